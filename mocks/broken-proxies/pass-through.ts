/**
 * A minimal Streamable HTTP pass-through proxy on `node:http` + undici, used by the self-tests: with
 * defect `none` it is a correct proxy (sessions passed through, SSE streamed, hop-by-hop headers and
 * credentials dropped); with a defect it breaks exactly one requirement.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { changesResponses, mutateRequest, mutateResponse, type Defect } from './defects.ts';

export interface BrokenProxyOptions {
  upstream: string;
  defect: Defect;
  port?: number;
}

export interface BrokenProxy {
  url: string;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

function forwardHeaders(headers: IncomingMessage['headers'], defect: Defect): Record<string, string> {
  const named = new Set(String(headers.connection ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP.has(k) || named.has(k)) continue;
    if (k === 'authorization' && defect !== 'forward-authorization') continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export async function startBrokenProxy(options: BrokenProxyOptions): Promise<BrokenProxy> {
  const { defect } = options;
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let firstUpstreamSession: string | undefined;

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Buffer | undefined = chunks.length ? Buffer.concat(chunks) : undefined;
    if (body && defect === 'strip-request-meta') {
      try {
        body = Buffer.from(JSON.stringify(mutateRequest(defect, JSON.parse(body.toString('utf8')))));
      } catch {
        // Not JSON: relayed as is.
      }
    }
    const headers = forwardHeaders(req.headers, defect);
    if (defect === 'shared-upstream-session' && headers['mcp-session-id'] && firstUpstreamSession) headers['mcp-session-id'] = firstUpstreamSession;
    try {
      const upstream = await request(options.upstream, { method: req.method as 'POST', headers, body, dispatcher: agent, bodyTimeout: 0 });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
      if (out['mcp-session-id'] && !firstUpstreamSession) firstUpstreamSession = out['mcp-session-id'];
      res.writeHead(upstream.statusCode, out);
      res.flushHeaders();
      const sse = (out['content-type'] ?? '').startsWith('text/event-stream');
      if (!changesResponses(defect)) {
        for await (const chunk of upstream.body) res.write(chunk);
        return void res.end();
      }
      if (!sse) {
        const text = await upstream.body.text();
        try {
          return void res.end(JSON.stringify(mutateResponse(defect, JSON.parse(text))));
        } catch {
          return void res.end(text);
        }
      }
      // SSE: rewrite each data line as it passes, still streaming.
      let pending = '';
      for await (const chunk of upstream.body) {
        pending += (chunk as Buffer).toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        res.write(lines.map((line) => rewriteDataLine(defect, line)).join('\n') + '\n');
      }
      res.end(pending);
    } catch (err) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32050, message: 'Upstream unavailable', data: { source: 'proxyspec-pass-through', reason: String(err) } } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}

function rewriteDataLine(defect: Defect, line: string): string {
  if (!line.startsWith('data:')) return line;
  const data = line.slice(5).trim();
  if (!data) return line;
  try {
    return `data: ${JSON.stringify(mutateResponse(defect, JSON.parse(data)))}`;
  } catch {
    return line;
  }
}
