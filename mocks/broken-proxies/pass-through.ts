/**
 * A minimal Streamable HTTP pass-through proxy on `node:http` + undici, used by the self-tests: with
 * defect `none` it is a correct proxy (sessions passed through, SSE streamed as it arrives, hop-by-hop
 * headers and credentials dropped); with a defect it breaks one requirement on purpose.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { localAnswer, mapStatus, mutateMessage, ownErrorCode, mutateRequestBody, mutateRequestHeaders, needsWholeBody, rewritesEvents, type Defect } from './defects.ts';
import { requestProtocolVersion } from '../../wire/index.ts';
import { oauthFront, type OAuthFrontOptions } from './oauth-front.ts';

export interface BrokenProxyOptions {
  upstream: string;
  defect: Defect;
  port?: number;
  /** Time the upstream has to start answering before the client gets a 504. */
  timeoutMs?: number;
  /** Be an OAuth proxy too: the authorization front of oauth-front.ts, in front of this third party. */
  oauth?: OAuthFrontOptions;
}

export interface BrokenProxy {
  url: string;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

function forwardHeaders(headers: IncomingMessage['headers'], defect: Defect, parsed: unknown): Record<string, string> {
  const named = new Set(String(headers.connection ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
  const leaky = defect === 'forward-hop-by-hop';
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (k === 'host' && defect === 'forward-client-host') {
      out.host = String(v);
      continue;
    }
    if (leaky ? ['connection', 'keep-alive', 'host', 'content-length', 'transfer-encoding'].includes(k) : HOP.has(k) || named.has(k)) continue;
    if (k === 'authorization' && defect !== 'forward-authorization') continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return mutateRequestHeaders(defect, out, parsed);
}

/** Rewrites SSE text event by event; keeps what it cannot parse. */
function createSseRewriter(defect: Defect) {
  let pending = '';
  let nextId = 0;
  const rewriteEvent = (block: string): string | null => {
    const lines = block.split('\n');
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    if (defect === 'drop-empty-events' && data === '') return null;
    let out = lines;
    if (defect === 'renumber-event-ids') out = out.map((l) => (l.startsWith('id:') ? `id: ${++nextId}` : l));
    if (defect === 'strip-event-ids') out = out.filter((l) => !l.startsWith('id:'));
    if (data) {
      try {
        const changed = mutateMessage(defect, JSON.parse(data));
        if (changed === null) return null;
        out = [...out.filter((l) => !l.startsWith('data:')), `data: ${JSON.stringify(changed)}`];
      } catch {
        // Not JSON: relayed as is.
      }
    }
    return out.join('\n');
  };
  return (chunk: string, end = false): string => {
    pending += chunk;
    const blocks = pending.split('\n\n');
    pending = end ? '' : (blocks.pop() ?? '');
    return blocks
      .filter((b) => b !== '')
      .map(rewriteEvent)
      .filter((b): b is string => b !== null)
      .map((b) => `${b}\n\n`)
      .join('');
  };
}

/**
 * With route-tasks-by-id: remembers the upstream session that created each task (from its
 * CreateTaskResult) and sends every tasks/* request naming the task there. Otherwise it does nothing.
 */
function taskRouter(defect: Defect) {
  const owners = new Map<string, string>();
  return {
    route(headers: Record<string, string>, parsed: unknown): void {
      const asked = parsed as { method?: unknown; params?: { taskId?: unknown } } | undefined;
      const owner = typeof asked?.params?.taskId === 'string' ? owners.get(asked.params.taskId) : undefined;
      if (defect === 'route-tasks-by-id' && owner && typeof asked?.method === 'string' && asked.method.startsWith('tasks/')) headers['mcp-session-id'] = owner;
    },
    learn(answer: string, sessionId: string | undefined): void {
      if (defect !== 'route-tasks-by-id' || !sessionId) return;
      try {
        const taskId = (JSON.parse(answer) as { result?: { task?: { taskId?: unknown } } }).result?.task?.taskId;
        if (typeof taskId === 'string') owners.set(taskId, sessionId);
      } catch {
        // Not JSON: no task in it.
      }
    },
  };
}

export async function startBrokenProxy(options: BrokenProxyOptions): Promise<BrokenProxy> {
  const { defect } = options;
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let firstUpstreamSession: string | undefined;
  const tasks = taskRouter(defect);
  // With connection-per-client: one single-connection agent for each client session (and for each initialize).
  const perClient = new Map<string, Agent>();
  const agentFor = (sessionId: string | undefined): Agent => {
    if (defect !== 'connection-per-client') return agent;
    const known = sessionId === undefined ? undefined : perClient.get(sessionId);
    if (known) return known;
    const own = new Agent({ keepAliveTimeout: 10_000, connections: 1 });
    if (sessionId !== undefined) perClient.set(sessionId, own);
    return own;
  };

  const front = options.oauth && oauthFront(options.oauth, defect);
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (front && (await front.handle(req, res))) return;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Buffer | undefined = chunks.length ? Buffer.concat(chunks) : undefined;
    let parsed: unknown;
    let parseFailed = false;
    if (body) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        parseFailed = true;
      }
    }
    const local = localAnswer(defect, req.method ?? 'GET', body, parsed, parseFailed);
    if (local) {
      res.writeHead(local.status, local.headers);
      return void res.end(local.body);
    }
    if (body) body = mutateRequestBody(defect, body, parsed);
    const headers = forwardHeaders(req.headers, defect, parsed);
    if (defect === 'shared-upstream-session' && headers['mcp-session-id'] && firstUpstreamSession) headers['mcp-session-id'] = firstUpstreamSession;
    tasks.route(headers, parsed);
    try {
      const headersTimeout = defect === 'no-upstream-timeout' ? 0 : (options.timeoutMs ?? 30_000);
      const dispatcher = agentFor(headers['mcp-session-id']);
      const upstream = await request(options.upstream, { method: req.method as 'POST', headers, body, dispatcher, bodyTimeout: 0, headersTimeout });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
      if (defect === 'connection-per-client' && out['mcp-session-id'] && !perClient.has(out['mcp-session-id'])) perClient.set(out['mcp-session-id'], dispatcher);
      if (out['mcp-session-id'] && !firstUpstreamSession) firstUpstreamSession = out['mcp-session-id'];
      const sse = (out['content-type'] ?? '').startsWith('text/event-stream');
      if (defect === 'drop-unbuffered-header') delete out['x-accel-buffering'];

      if (!sse && needsWholeBody(defect)) {
        const text = await upstream.body.text();
        tasks.learn(text, headers['mcp-session-id']);
        const status = mapStatus(defect, upstream.statusCode, headers['mcp-session-id'] !== undefined, text);
        let outBody = text;
        try {
          const changed = Array.isArray(JSON.parse(text)) ? (JSON.parse(text) as unknown[]).map((m) => mutateMessage(defect, m)) : mutateMessage(defect, JSON.parse(text));
          outBody = JSON.stringify(changed);
        } catch {
          // Not JSON: relayed as is.
        }
        if (defect === 'notification-ack-200' && upstream.statusCode === 202) outBody = '{}';
        if (defect === 'html-error-body' && upstream.statusCode >= 400 && upstream.statusCode < 500) {
          res.writeHead(status, { ...out, 'content-type': 'text/html; charset=utf-8' });
          return void res.end(`<!doctype html><html><body><h1>${status} Error</h1><p>Something went wrong.</p></body></html>`);
        }
        if (defect === 'json-to-sse' && outBody) {
          delete out['content-length'];
          res.writeHead(status, { ...out, 'content-type': 'text/event-stream' });
          return void res.end(`data: ${outBody}\n\n`);
        }
        res.writeHead(status, { ...out, ...(defect === 'notification-ack-200' && upstream.statusCode === 202 ? { 'content-type': 'application/json' } : {}) });
        return void res.end(outBody);
      }

      res.writeHead(upstream.statusCode, out);
      if (defect === 'buffer-sse' && sse) {
        const whole = await upstream.body.text();
        return void res.end(whole);
      }
      res.flushHeaders();
      // 2026-07-28: a client that closes its response stream cancels the call, so the upstream's stream is closed too.
      // (Earlier revisions say a disconnect is no cancellation: the upstream's answer is read to its end.)
      const stateless = parsed !== undefined && requestProtocolVersion((parsed as { params?: unknown }).params) !== undefined;
      if (stateless && defect !== 'keep-upstream-on-client-close') res.on('close', () => !res.writableEnded && upstream.body.destroy());
      const rewrite = sse && rewritesEvents(defect) ? createSseRewriter(defect) : null;
      try {
        for await (const chunk of upstream.body) res.write(rewrite ? rewrite((chunk as Buffer).toString('utf8')) : chunk);
      } catch {
        // The upstream dropped the stream mid-way: pass the ending on (or, with the defect, do not).
        if (defect === 'keep-stream-open-on-drop') return;
        return void res.destroy();
      }
      res.end(rewrite ? rewrite('', true) : undefined);
    } catch (err) {
      if (defect === 'hang-on-upstream-error') return;
      const timedOut = (err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT';
      if (!res.headersSent) res.writeHead(defect === 'upstream-error-as-200' ? 200 : timedOut ? 504 : 502, { 'content-type': 'application/json' });
      const id = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? ((parsed as Record<string, unknown>).id ?? null) : null;
      res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: ownErrorCode(defect, timedOut), message: timedOut ? 'Upstream timed out' : 'Upstream unavailable', data: { source: 'proxyspec-pass-through', reason: String(err) } } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([agent.close(), ...[...perClient.values()].map((a) => a.close())]);
    },
  };
}
