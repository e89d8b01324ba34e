/**
 * The upstream for load: a minimal MCP server on raw `node:http` (and over stdio) that records
 * nothing, so that it is far faster than any proxy in front of it and a ratio against `direct`
 * measures the proxy, not the mock. It accepts any session id; its tools answer at once (`echo`,
 * `large`), after a fixed delay (`slow`), or as SSE with progress notifications (`progress`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
// The revisions module alone: this process stays lean (wire/index.ts would load the schema library).
import { LATEST_SESSION_REVISION } from '../../wire/revisions.ts';

type Json = Record<string, any>;

/** The revision the bench speaks (the session era's newest: its load runs inside one session), and the one this upstream answers with. */
export const BENCH_REVISION = LATEST_SESSION_REVISION;

function result(id: unknown, value: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result: value });
}

function text(value: string): Json {
  return { content: [{ type: 'text', text: value }] };
}

/** What the bench upstream answers one request with: a JSON body, SSE events, or nothing (202). */
export type BenchAnswer = { kind: 'json'; body: string; delayMs?: number } | { kind: 'sse'; events: string[] } | { kind: 'accepted' };

export function answer(message: Json): BenchAnswer {
  if (message.id === undefined || typeof message.method !== 'string') return { kind: 'accepted' };
  const { id, method } = message;
  const params = (message.params ?? {}) as Json;
  if (method === 'initialize') {
    return { kind: 'json', body: result(id, { protocolVersion: params.protocolVersion ?? BENCH_REVISION, capabilities: { tools: {} }, serverInfo: { name: 'proxyspec-bench-upstream', version: '1' } }) };
  }
  if (method === 'ping') return { kind: 'json', body: result(id, {}) };
  if (method === 'tools/list') return { kind: 'json', body: result(id, { tools: ['echo', 'large', 'slow', 'progress'].map((name) => ({ name, inputSchema: { type: 'object' } })) }) };
  if (method === 'tools/call') {
    const args = (params.arguments ?? {}) as Json;
    switch (params.name) {
      case 'echo':
        return { kind: 'json', body: result(id, text(JSON.stringify(args))) };
      case 'large':
        return { kind: 'json', body: result(id, text('x'.repeat(Math.min(Number(args.bytes) || 1024, 10 * 1024 * 1024)))) };
      case 'slow':
        return { kind: 'json', body: result(id, text('done')), delayMs: Math.min(Number(args.ms) || 20, 60_000) };
      case 'progress': {
        const token = params._meta?.progressToken;
        const count = Math.min(Number(args.count) || 3, 100);
        const events = [];
        for (let i = 1; i <= count; i++) events.push(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: i, total: count } }));
        events.push(result(id, text(`sent ${count}`)));
        return { kind: 'sse', events };
      }
    }
  }
  return { kind: 'json', body: JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: `unknown method or tool` } }) };
}

function reply(res: ServerResponse, a: BenchAnswer, sessionId: string | undefined): void {
  const session = sessionId ? { 'mcp-session-id': sessionId } : {};
  if (a.kind === 'accepted') {
    res.writeHead(202, session).end();
  } else if (a.kind === 'sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...session });
    res.end(a.events.map((e) => `data: ${e}\n\n`).join(''));
  } else {
    const send = () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(a.body), ...session }).end(a.body);
    if (a.delayMs) setTimeout(send, a.delayMs);
    else send();
  }
}

let calls = 0;

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'DELETE') return void res.writeHead(200).end();
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST, DELETE' }).end();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let message: Json;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
    } catch {
      return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
    }
    // A client can ask for every Nth call to fail (500), to see how the bench treats an erring target.
    const failEvery = Number(req.headers['x-proxyspec-fail-every']);
    if (failEvery > 0 && message.method === 'tools/call' && ++calls % failEvery === 0) return void res.writeHead(500, { 'content-type': 'text/plain' }).end('scripted failure');
    const a = answer(message);
    reply(res, a, message.method === 'initialize' ? randomUUID() : undefined);
  });
}

export interface BenchUpstream {
  url: string;
  close(): Promise<void>;
}

export async function startBenchUpstream(port = 0): Promise<BenchUpstream> {
  const server = createServer({ keepAliveTimeout: 30_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The same server over stdio: newline-delimited JSON-RPC on stdin and stdout. */
export function runBenchStdio(): Promise<number> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    lines.on('line', (line) => {
      let message: Json;
      try {
        message = JSON.parse(line) as Json;
      } catch {
        return;
      }
      const a = answer(message);
      if (a.kind === 'accepted') return;
      const write = (out: string) => process.stdout.write(`${out}\n`);
      if (a.kind === 'sse') a.events.forEach(write);
      else if (a.delayMs) setTimeout(() => write(a.body), a.delayMs);
      else write(a.body);
    });
    lines.on('close', () => resolve(0));
  });
}
