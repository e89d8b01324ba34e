/**
 * The mock's tools on a real server of the official TypeScript SDK v1 (`McpServer` of
 * `@modelcontextprotocol/sdk`), which is what most MCP servers run today: the session era only
 * (initialize, then requests; 2025-11-25 and earlier). The SDK speaks the protocol; proxyspec only
 * supplies the tools and taps the wire, so that what a proxy meets is what the SDK says, quirks and all
 * (a tool that throws becomes an `isError` result, as McpServer makes it). The one change: a tools/list
 * asked for fresh carries the mark the mock's own lists carry (`markFreshLists`).
 *
 * Over stdio, every line in and out is reported to the harness before it is acted on, as the stdio
 * mock does, and the process counts as one upstream session.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createParser } from 'eventsource-parser';
import type { Recorder } from './recorder.ts';
import type { HttpUpstream } from './http-server.ts';
import { HttpExchanges, header, parseJson, serverLife } from './http/exchange.ts';
import { faultOf, injectFault } from './http/faults.ts';
import { McpError, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CACHE_SCOPE_META_KEY, CID_META_KEY, SERVED_META_KEY, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../../wire/index.ts';
import { TOOLS, callTool, type ToolContext } from './tools.ts';
import { ControlChannel } from './stdio-server.ts';

export const SDK_SERVER_INFO = { name: 'proxyspec-sdk-v1-upstream', version: '0.1.0' } as const;

/** Any JSON object: the arguments of every tool, and the client's answers to the server's requests. */
const AnyObject = z.looseObject({});

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** An McpServer with the mock's tools, each running the mock's own implementation through the SDK's request context. */
export function sdkServer(waitRelease: (cid: string, timeoutMs: number) => Promise<boolean>): McpServer {
  const server = new McpServer(SDK_SERVER_INFO, { capabilities: { tools: { listChanged: true }, logging: {} }, instructions: 'proxyspec mock tools on the TypeScript SDK v1.' });
  for (const tool of TOOLS) {
    server.registerTool(tool.name, { description: tool.description, inputSchema: AnyObject }, async (args: Record<string, unknown>, extra: ToolExtra) => {
      const request: JsonRpcRequest = { jsonrpc: '2.0', id: extra.requestId, method: 'tools/call', params: { name: tool.name, arguments: args, ...(extra._meta && { _meta: extra._meta }) } };
      const ctx: ToolContext = {
        request,
        emit: (message) => void extra.sendNotification(message as never),
        notify: (message) => (void server.server.notification(message as never), true),
        ask: async (method, params) => {
          try {
            const result = await extra.sendRequest({ method, params } as never, AnyObject as never);
            return { jsonrpc: '2.0', id: String(extra.requestId), result: result as Record<string, unknown> } as JsonRpcResponse;
          } catch (err) {
            const e = err as { code?: number; message?: string };
            return { jsonrpc: '2.0', id: String(extra.requestId), error: { code: e.code ?? -32603, message: e.message ?? String(err) } } as JsonRpcResponse;
          }
        },
        error: (code, message, data) => new McpError(code, message, data),
        waitRelease,
        stateless: false,
      };
      return (await callTool(tool.name, args, ctx)) as never;
    });
  }
  return server;
}

export interface SdkStdioOptions {
  controlUrl?: string;
  name?: string;
}

/** The SDK server on this process's stdin and stdout, every line reported to the harness before it is read or written. */
export async function runSdkStdioUpstream(options: SdkStdioOptions = {}): Promise<void> {
  const name = options.name ?? 'primary';
  const sessionId = `stdio-${randomUUID()}`;
  const control = new ControlChannel(options.controlUrl, name, sessionId);
  await control.report('/sessions', { upstream: name, sessionId, open: true });
  const ended = () => control.report('/sessions', { upstream: name, sessionId, open: false });
  process.once('SIGTERM', () => void ended().finally(() => process.exit(0)));

  // What the SDK reads: each line once the harness has it.
  const input = new PassThrough();
  // What the SDK writes: each line to the harness, then out, in order.
  let queue = Promise.resolve();
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = chunk.toString('utf8').split('\n').filter((l) => l.trim() !== '');
      queue = queue.then(async () => {
        for (const line of lines) await control.record('out', line);
        process.stdout.write(chunk);
      });
      done();
    },
  });
  const server = sdkServer((cid, timeoutMs) => control.waitRelease(cid, timeoutMs));
  const transport = new StdioServerTransport(input, output as never);
  await server.connect(transport);
  markFreshLists(transport);
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    // Every line is evidence, a blank one too (what a proxy writes to stdin is judged); the SDK gets the messages.
    await control.record('in', line);
    if (line.trim() === '') continue;
    input.write(`${line}\n`);
  }
  // Input ended: what is still running gets a moment to answer, then the session is over.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await queue;
  await server.close();
  await ended();
}

/**
 * The SDK server over Streamable HTTP, one McpServer and transport per session as the SDK's own
 * examples run it, recorded as the HTTP mock records: each request as it came, each message of each
 * answer before its bytes go out.
 */
export async function startSdkHttpUpstream(options: { recorder: Recorder; name?: string; host?: string }): Promise<HttpUpstream> {
  const name = options.name ?? 'primary';
  const io = new HttpExchanges(options.recorder, name);
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const endSession = (id: string) => {
    if (sessions.delete(id)) options.recorder.sessionClosed(name, id);
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const sessionId = header(req, 'mcp-session-id');
    io.record({ direction: 'in', req, body, sessionId: sessionId ?? null });
    if ((req.url ?? '/').split('?')[0] !== '/mcp') return io.send(req, res, 404, { error: 'not found' }, null);
    const parsed = req.method === 'POST' ? parseJson(body) : undefined;
    // The wire faults a scenario scripts (a status, a reset, a cut stream) are the harness's, not the server's: the same as the mock's.
    if (scriptedFault(io, req, res, parsed, sessionId ?? null)) return;
    let transport = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (!transport) {
      const opening = req.method === 'POST' && (parsed as { method?: unknown } | undefined)?.method === 'initialize';
      if (sessionId !== undefined) return io.send(req, res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }, sessionId);
      if (!opening) return io.send(req, res, 400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: No valid session ID provided' } }, null);
      const fresh = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, fresh);
          options.recorder.sessionOpened(name, id);
        },
      });
      fresh.onclose = () => fresh.sessionId && endSession(fresh.sessionId);
      await sdkServer((cid, timeoutMs) => options.recorder.waitRelease(cid, timeoutMs)).connect(fresh);
      markFreshLists(fresh);
      transport = fresh;
    }
    tapAnswer(io, req, res, () => transport.sessionId ?? sessionId ?? null);
    await transport.handleRequest(req, res, parsed);
    if (req.method === 'DELETE' && sessionId !== undefined) endSession(sessionId);
  });
  const host = options.host ?? '127.0.0.1';
  const { listen, stop, port: portOf } = serverLife(server, host, io);
  await listen(0);
  const port = portOf();
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    server,
    name,
    sessionCount: () => sessions.size,
    kill: stop,
    async restart({ keepSessions }) {
      if (!keepSessions) for (const id of [...sessions.keys()]) endSession(id);
      await listen(port);
    },
    async close() {
      for (const transport of [...sessions.values()]) await transport.close();
      await stop();
    },
  };
}

/**
 * McpServer answers tools/list itself. A list asked for fresh (a private one, as the mock's own
 * session era serves it) leaves with the mark the mock puts on it, a new one each time, and the
 * correlation id: the harness can then follow each copy to the client it reaches. The mark is
 * added as the SDK hands the answer to its transport, before the tap records it.
 */
function markFreshLists(transport: Transport): void {
  const fresh = new Map<unknown, unknown>();
  const receive = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const request = message as JsonRpcRequest;
    const meta = (request.params?._meta ?? {}) as Record<string, unknown>;
    if (request.method === 'tools/list' && request.id !== undefined && meta[CACHE_SCOPE_META_KEY] === 'private') fresh.set(request.id, meta[CID_META_KEY]);
    receive?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const answer = message as { id?: unknown; result?: Record<string, unknown> };
    if (answer.result === undefined || !fresh.has(answer.id)) return send(message, options);
    const cid = fresh.get(answer.id);
    fresh.delete(answer.id);
    const _meta = { ...(answer.result._meta as Record<string, unknown> | undefined), ...(cid !== undefined && { [CID_META_KEY]: cid }), [SERVED_META_KEY]: randomUUID() };
    return send({ ...message, result: { ...answer.result, _meta } } as never, options);
  };
}

/** Carries out the fault a request's `_meta` scripts, before the SDK sees the request; whether there was one. */
function scriptedFault(io: HttpExchanges, req: IncomingMessage, res: ServerResponse, parsed: unknown, sessionId: string | null): boolean {
  const request = parsed as JsonRpcRequest | undefined;
  const meta = (request?.params?._meta ?? {}) as Record<string, unknown>;
  const dropStream = () => {
    io.openSse(res);
    res.write(': the stream is about to drop\n\n');
    io.note(req, '(stream cut)', sessionId);
    res.socket?.end(() => res.socket?.destroy());
  };
  // As in the mock's session era, a session's requests are scripted, not the initialize that opens it.
  return request?.id !== undefined && request.method !== 'initialize' && injectFault(faultOf(meta), io, { req, res, request, sessionId }, dropStream);
}

/** Records what the SDK writes on `res`, message by message for a stream and whole for JSON, before the bytes leave. */
function tapAnswer(io: HttpExchanges, req: IncomingMessage, res: ServerResponse, sessionId: () => string | null): void {
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  // The SDK names the content type in writeHead's headers as often as with setHeader.
  let named: string | undefined;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null) as Record<string, unknown> | undefined;
    const type = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    if (type !== undefined) named = String(type);
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
  const isSse = () => /^text\/event-stream/.test(named ?? String(res.getHeader('content-type') ?? ''));
  const parser = createParser({ onEvent: (event) => event.data && io.record({ direction: 'out', req, body: Buffer.from(event.data), sessionId: sessionId(), status: res.statusCode }) });
  const whole: Buffer[] = [];
  const take = (chunk: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    if (isSse()) parser.feed(bytes.toString('utf8'));
    else whole.push(bytes);
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    take(chunk);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    take(args[0]);
    if (!isSse()) io.record({ direction: 'out', req, body: Buffer.concat(whole), sessionId: sessionId(), status: res.statusCode });
    return end(...args);
  }) as ServerResponse['end'];
}

export type { JsonRpcMessage };
