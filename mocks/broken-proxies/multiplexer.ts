/**
 * A broken stdio bridge built the way many real ones are: every client is put onto one shared
 * upstream process, answers are routed back by JSON-RPC id and progress by token (so clients that
 * use the same id or token get each other's), and a DELETE from any client closes the shared
 * upstream, after which every request gets "Not connected". It proves that colliding ids are caught,
 * and that a target which stops relaying gets its later checks blocked with the culprit named.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { requestProtocolVersion } from '../../wire/index.ts';

export interface MultiplexerOptions {
  /** Shell command that runs the stdio upstream. */
  upstreamCommand: string;
  port?: number;
}

type Json = Record<string, unknown>;
const JSON_HEADERS = { 'content-type': 'application/json' };

export async function startMultiplexer(options: MultiplexerOptions): Promise<{ url: string; close(): Promise<void> }> {
  let child: ChildProcess | undefined;
  let closed = false;
  let initialized: Promise<Json> | undefined;
  const sessions = new Set<string>();
  // The defect: one table for every client, keyed by what only one client's session makes unique.
  const byId = new Map<string, ServerResponse>();
  const byToken = new Map<string, ServerResponse>();
  let lastStream: ServerResponse | undefined;
  const waiting = new Map<string, (m: Json) => void>();

  const send = (m: unknown) => child?.stdin?.write(`${JSON.stringify(m)}\n`);
  const event = (res: ServerResponse, m: unknown) => res.write(`data: ${JSON.stringify(m)}\n\n`);

  const start = () => {
    child = spawn(options.upstreamCommand, { shell: true, stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    child.on('exit', () => (closed = true));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: Json;
      try {
        m = JSON.parse(line) as Json;
      } catch {
        return;
      }
      const key = JSON.stringify(m.id);
      if ('id' in m && !('method' in m)) {
        const waiter = waiting.get(key);
        if (waiter) return waiting.delete(key), waiter(m);
        const res = byId.get(key);
        byId.delete(key);
        if (res) {
          event(res, m);
          res.end();
        }
        return;
      }
      const token = (m.params as Json | undefined)?.progressToken;
      const res = token !== undefined ? byToken.get(JSON.stringify(token)) : lastStream;
      if (res && !res.writableEnded) event(res, m);
    });
  };

  const stop = () => {
    closed = true;
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const sid = req.headers['mcp-session-id'] as string | undefined;
    if (req.method === 'DELETE') {
      if (!sid || !sessions.has(sid)) return void res.writeHead(404).end();
      sessions.delete(sid);
      stop();
      return void res.writeHead(200).end();
    }
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST, DELETE' }).end();
    let m: Json;
    try {
      m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
    } catch {
      return void res.writeHead(400, JSON_HEADERS).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
    }
    if (closed) return void res.writeHead(500, JSON_HEADERS).end(JSON.stringify({ jsonrpc: '2.0', id: m.id ?? null, error: { code: -32000, message: 'Not connected' } }));
    if (m.method === 'initialize') {
      if (!initialized) {
        start();
        initialized = new Promise<Json>((resolve) => waiting.set(JSON.stringify(m.id), resolve));
        send(m);
      }
      const first = await initialized;
      const id = randomUUID();
      sessions.add(id);
      return void res.writeHead(200, { ...JSON_HEADERS, 'mcp-session-id': id }).end(JSON.stringify({ ...first, id: m.id }));
    }
    // A request of the stateless era needs no session: it goes to the shared upstream (started on first use) like the rest.
    const stateless = requestProtocolVersion(m.params) !== undefined;
    if (stateless && !child) start();
    if (!stateless && (!sid || !sessions.has(sid))) return void res.writeHead(sid ? 404 : 400, JSON_HEADERS).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
    if (!('id' in m) || !('method' in m)) {
      // Notifications and the client's answers to server requests: the upstream was initialized once, by the first client.
      if (m.method !== 'notifications/initialized') send(m);
      return void res.writeHead(202).end();
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    byId.set(JSON.stringify(m.id), res);
    const token = ((m.params as Json | undefined)?._meta as Json | undefined)?.progressToken;
    if (token !== undefined) byToken.set(JSON.stringify(token), res);
    lastStream = res;
    send(m);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: async () => {
      stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
