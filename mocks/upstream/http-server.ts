/**
 * The mock MCP upstream over Streamable HTTP, on raw `node:http` so that it stays far faster than
 * any proxy in front of it. Dual-era, as servers migrate: 2025-03-26 to 2025-11-25 with sessions,
 * JSON or SSE answers chosen per call, the GET stream, DELETE, resumption and the 400/404 rules of
 * the transport page; and 2026-07-28 on the same endpoint, chosen per request by the protocol
 * version in its _meta: no session, mirrored headers checked against the body, server/discover,
 * subscriptions/listen, and a closed response stream taken as the call's cancellation.
 * Every request it receives and every message it sends is given to the recorder.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  CID_META_KEY,
  ErrorCode,
  FAULT_META_KEY,
  HEADER,
  HTTP_STATUS_META_KEY,
  META,
  revisionsOfEra,
  allowsBatches,
  headerMismatch,
  isRevision,
  has,
  isStateless,
  requestProtocolVersion,
  classifyMessage,
  errorResponse,
  formatSseEvent,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from '../../wire/index.ts';
import { McpSession, forSubscription } from './mcp-session.ts';
import type { Recorder } from './recorder.ts';

export interface HttpUpstreamOptions {
  recorder: Recorder;
  /** Name in the records, to tell several upstreams apart. */
  name?: string;
  port?: number;
  host?: string;
  /** Endpoint path; default /mcp. */
  path?: string;
  /**
   * The revisions it serves: `dual` (default) both eras on one endpoint; `legacy` 2025-11-25 and
   * earlier only, as a server that predates 2026-07-28; `modern` 2026-07-28 only, as a server that
   * dropped sessions. The last two are the upstreams a version-bridging proxy is judged against.
   */
  era?: UpstreamEra;
}

export type UpstreamEra = 'dual' | 'legacy' | 'modern';

export interface HttpUpstream {
  url: string;
  port: number;
  server: Server;
  /** This upstream's name in the records. */
  name: string;
  sessionCount(): number;
  /** Stops listening and cuts every connection, as a crashed server would; its sessions stay for a restart. */
  kill(): Promise<void>;
  /** Listens again on the same port after kill(); `keepSessions: false` forgets every session, as a restarted process does. */
  restart(options: { keepSessions: boolean }): Promise<void>;
  close(): Promise<void>;
}

interface SessionState {
  session: McpSession;
  getStream: ServerResponse | null;
  eventSeq: number;
  /** Streams opened by POSTs, numbered from 1 (0 is the GET stream), with their events for resumption. */
  streams: Map<number, AnswerStream>;
  nextStream: number;
}

/** A POST's SSE answer: every event it carried, where it goes now (null while cut), and whether it is complete. */
interface AnswerStream {
  events: Array<{ id: string; text: string; data: string }>;
  sink: ServerResponse | null;
  done: boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** The `retry` the mock announces on its priming events; a proxy must pass it on. */
export const PRIMING_RETRY_MS = 2500;

export async function startHttpUpstream(options: HttpUpstreamOptions): Promise<HttpUpstream> {
  const { recorder } = options;
  const name = options.name ?? 'primary';
  const endpoint = options.path ?? '/mcp';
  const era = options.era ?? 'dual';
  const sessions = new Map<string, SessionState>();
  const connectionIds = new WeakMap<Socket, number>();
  const openSockets = new Set<Socket>();

  const record = (fields: {
    direction: 'in' | 'out';
    req: IncomingMessage;
    body: Buffer;
    sessionId: string | null;
    status?: number;
  }) =>
    recorder.add({
      upstream: name,
      transport: 'http',
      direction: fields.direction,
      httpMethod: fields.req.method,
      path: fields.req.url,
      status: fields.status,
      headers: fields.direction === 'in' ? (fields.req.headers as Record<string, string | string[]>) : undefined,
      body: fields.body,
      sessionId: fields.sessionId,
      connectionId: connectionIds.get(fields.req.socket),
    });

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, sessionId: string | null, headers: Record<string, string> = {}) => {
    const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    record({ direction: 'out', req, body: bytes, sessionId, status });
    res.writeHead(status, body === undefined ? headers : { ...JSON_HEADERS, ...headers, 'content-length': String(bytes.length) });
    res.end(bytes);
  };

  const openSse = (res: ServerResponse, headers: Record<string, string> = {}) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    res.flushHeaders();
  };

  /**
   * Writes one event of a POST's answer stream. Its id names the session, the stream and the event
   * (`session:stream:n`), so an event replayed on the wrong stream shows. A cut stream keeps its events.
   */
  const writeEvent = (req: IncomingMessage, state: SessionState, stream: AnswerStream, streamNo: number, message: JsonRpcMessage | null, retry?: number) => {
    const data = message === null ? '' : JSON.stringify(message);
    const id = `${state.session.id}:${streamNo}:${++state.eventSeq}`;
    const text = formatSseEvent({ id, data, retry });
    stream.events.push({ id, text, data });
    if (!stream.sink) return;
    record({ direction: 'out', req, body: Buffer.from(data), sessionId: state.session.id });
    stream.sink.write(text);
  };

  const newStream = (state: SessionState, res: ServerResponse): [AnswerStream, number] => {
    const stream: AnswerStream = { events: [], sink: res, done: false };
    const no = state.nextStream++;
    state.streams.set(no, stream);
    return [stream, no];
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const sessionHeader = header(req, HEADER.sessionId);
    record({ direction: 'in', req, body, sessionId: sessionHeader ?? null });

    const path = (req.url ?? '/').split('?')[0];
    if (path !== endpoint) return send(req, res, 404, { error: 'not found' }, null);

    // The stateless era is chosen per request: a protocol version in the body's _meta, or a header naming one.
    const version = header(req, HEADER.protocolVersion);
    const modernHeader = version !== undefined && isRevision(version) && isStateless(version);
    if (req.method === 'POST') {
      const parsed = parseJson(body);
      const asked = parsed && !Array.isArray(parsed) ? requestProtocolVersion((parsed as { params?: unknown }).params) : undefined;
      // A legacy server knows nothing of _meta versions: such a request goes where any other would (and lacks a session).
      if (era === 'modern' || (era === 'dual' && (asked !== undefined || (modernHeader && sessionHeader === undefined)))) return handleStateless(req, res, parsed);
    } else if (era === 'modern' || (era === 'dual' && modernHeader && sessionHeader === undefined)) {
      // No GET stream and no DELETE in this era.
      return send(req, res, 405, errorResponse(null, ErrorCode.InvalidRequest, `Method not allowed: ${req.method} has no meaning in ${version ?? 'the stateless revisions'}`), null, { allow: 'POST' });
    }

    if (version !== undefined && !revisionsOfEra(false).includes(version as never)) {
      return send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, `Bad Request: unsupported MCP-Protocol-Version ${version}`), sessionHeader ?? null);
    }

    if (req.method === 'POST') return handlePost(req, res, body, sessionHeader);
    if (req.method === 'GET') return handleGet(req, res, sessionHeader);
    if (req.method === 'DELETE') return handleDelete(req, res, sessionHeader);
    send(req, res, 405, errorResponse(null, ErrorCode.InvalidRequest, 'Method not allowed'), sessionHeader ?? null, { allow: 'GET, POST, DELETE' });
  });

  function lookup(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): SessionState | null {
    if (sessionId === undefined) {
      send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required'), null);
      return null;
    }
    const state = sessions.get(sessionId);
    if (!state) {
      send(req, res, 404, errorResponse(null, ErrorCode.SessionNotFound, 'Session not found'), sessionId);
      return null;
    }
    return state;
  }

  async function handlePost(req: IncomingMessage, res: ServerResponse, body: Buffer, sessionId: string | undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return send(req, res, 400, errorResponse(null, ErrorCode.ParseError, 'Parse error'), sessionId ?? null);
    }

    if (Array.isArray(parsed)) return handleBatch(req, res, parsed, sessionId);

    const kind = classifyMessage(parsed);
    if (kind === 'invalid') {
      return send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request'), sessionId ?? null);
    }
    const message = parsed as JsonRpcMessage;

    if (kind === 'request' && (message as JsonRpcRequest).method === 'initialize') {
      if (sessionId !== undefined) {
        return send(req, res, 400, errorResponse((message as JsonRpcRequest).id, ErrorCode.InvalidRequest, 'initialize must not carry a session id'), sessionId);
      }
      const state = createSession();
      const response = await state.session.handleRequest(message as JsonRpcRequest, null);
      return send(req, res, 200, response, state.session.id, { [HEADER.sessionId]: state.session.id });
    }

    const state = lookup(req, res, sessionId);
    if (!state) return;

    if (kind === 'notification') {
      state.session.handleNotification(message as never);
      return send(req, res, 202, undefined, state.session.id);
    }
    if (kind === 'response') {
      state.session.handleResponse(message as JsonRpcResponse);
      return send(req, res, 202, undefined, state.session.id);
    }
    const request = message as JsonRpcRequest;
    const meta = (request.params?._meta ?? {}) as Record<string, unknown>;
    const scriptedStatus = meta[HTTP_STATUS_META_KEY];
    if (typeof scriptedStatus === 'number' && scriptedStatus >= 400 && scriptedStatus <= 599) {
      return send(req, res, scriptedStatus, errorResponse(request.id, ErrorCode.InvalidRequest, `scripted HTTP ${scriptedStatus}`, { scripted: true }), state.session.id);
    }
    if (meta[FAULT_META_KEY] === 'reset') {
      record({ direction: 'out', req, body: Buffer.from('(connection reset)'), sessionId: state.session.id });
      return void req.socket.destroy();
    }
    if (meta[FAULT_META_KEY] === 'drop-sse') {
      openSse(res);
      const [stream, no] = newStream(state, res);
      writeEvent(req, state, stream, no, { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'the stream is about to drop' } });
      state.streams.delete(no);
      return void res.socket?.end(() => res.socket?.destroy());
    }
    if (!state.session.wantsStream(request)) {
      const response = await state.session.handleRequest(request, null);
      return send(req, res, 200, response, state.session.id);
    }
    const dropAfter = typeof meta[FAULT_META_KEY] === 'string' ? /^drop-after:(\d+)$/.exec(meta[FAULT_META_KEY] as string) : null;
    openSse(res);
    const [stream, no] = newStream(state, res);
    const emit = (m: JsonRpcMessage | null, retry?: number) => {
      writeEvent(req, state, stream, no, m, retry);
      if (dropAfter && stream.sink === res && stream.events.length >= Number(dropAfter[1])) {
        // Cut: the call runs on, and its events wait for a GET with Last-Event-ID.
        record({ direction: 'out', req, body: Buffer.from('(stream cut)'), sessionId: state.session.id });
        stream.sink = null;
        res.socket?.destroy();
      }
    };
    // Priming event (2025-11-25 on): an event id with empty data, so a client can resume, and a retry hint.
    const negotiated = state.session.protocolVersion;
    if (isRevision(negotiated) && has(negotiated, 'priming-events')) emit(null, PRIMING_RETRY_MS);
    const response = await state.session.handleRequest(request, { emit: (m) => emit(m) });
    emit(response);
    stream.done = true;
    stream.sink?.end();
    // A stream delivered whole in one go is never resumed: only a cut one keeps its events.
    if (stream.sink === res) state.streams.delete(no);
  }

  /** Subscriptions of the stateless era (subscriptions/listen), across every client: a change goes to those that asked for it. */
  const subscriptions = new Set<{ id: JsonRpcRequest['id']; toolsListChanged: boolean; res: ServerResponse; req: IncomingMessage }>();
  const statelessChannel = {
    notify(message: JsonRpcMessage): boolean {
      let delivered = false;
      for (const sub of subscriptions) {
        const tagged = forSubscription(message, sub.id, sub.toolsListChanged);
        if (!tagged) continue;
        record({ direction: 'out', req: sub.req, body: Buffer.from(JSON.stringify(tagged)), sessionId: null });
        sub.res.write(formatSseEvent({ data: JSON.stringify(tagged) }));
        delivered = true;
      }
      return delivered;
    },
  };

  /** One request of the stateless era: its headers checked against its body, then answered on its own. */
  async function handleStateless(req: IncomingMessage, res: ServerResponse, parsed: unknown) {
    if (parsed === undefined) return send(req, res, 400, errorResponse(null, ErrorCode.ParseError, 'Parse error'), null);
    const kind = classifyMessage(parsed);
    if (kind === 'invalid' || kind === 'response' || Array.isArray(parsed)) {
      return send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request: a POST carries one request or notification'), null);
    }
    // This revision sets no header rules for a notification POST: it is accepted as it is.
    if (kind === 'notification') return send(req, res, 202, undefined, null);
    const message = parsed as JsonRpcRequest;
    const params = message.params as Record<string, unknown> | undefined;
    const id = message.id;
    // No _meta version: a legacy client (initialize) at a server of this era only, which names what it supports.
    if (requestProtocolVersion(params) === undefined) {
      return send(req, res, 400, errorResponse(id, ErrorCode.UnsupportedProtocolVersion, 'Unsupported protocol version: this server speaks only the stateless revisions', { supported: revisionsOfEra(true) }), null);
    }
    const mismatch = headerMismatch(req.headers, message.method, params, HEADER.protocolVersion);
    if (mismatch) return send(req, res, 400, errorResponse(id, ErrorCode.HeaderMismatch, `Header mismatch: ${mismatch}`), null);
    const asked = requestProtocolVersion(params)!;
    if (!revisionsOfEra(true).includes(asked as never)) {
      return send(req, res, 400, errorResponse(id, ErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version ${asked}`, { requested: asked, supported: revisionsOfEra(true) }), null);
    }
    if (typeof (params?._meta as Record<string, unknown>)[META.clientCapabilities] !== 'object') {
      return send(req, res, 400, errorResponse(id, ErrorCode.InvalidParams, `_meta lacks ${META.clientCapabilities}, which every request of ${asked} carries`), null);
    }
    const meta = (params?._meta ?? {}) as Record<string, unknown>;
    const scriptedStatus = meta[HTTP_STATUS_META_KEY];
    if (typeof scriptedStatus === 'number' && scriptedStatus >= 400 && scriptedStatus <= 599) {
      return send(req, res, scriptedStatus, errorResponse(message.id, ErrorCode.InvalidRequest, `scripted HTTP ${scriptedStatus}`, { scripted: true }), null);
    }
    if (meta[FAULT_META_KEY] === 'reset') {
      record({ direction: 'out', req, body: Buffer.from('(connection reset)'), sessionId: null });
      return void req.socket.destroy();
    }
    if (message.method === 'subscriptions/listen') return openSubscription(req, res, message);

    if (meta[FAULT_META_KEY] === 'drop-sse') {
      openSse(res, { 'x-accel-buffering': 'no' });
      const writeDrop = (m: JsonRpcMessage) => {
        record({ direction: 'out', req, body: Buffer.from(JSON.stringify(m)), sessionId: null });
        res.write(formatSseEvent({ data: JSON.stringify(m) }));
      };
      // Something on the stream first, then the cut: a progress notification when the call asked for them, else a comment.
      if (meta.progressToken !== undefined) writeDrop({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: meta.progressToken, progress: 0, message: 'the stream is about to drop' } });
      else res.write(': the stream is about to drop\n\n');
      record({ direction: 'out', req, body: Buffer.from('(stream cut)'), sessionId: null });
      return void res.socket?.end(() => res.socket?.destroy());
    }
    const session = new McpSession({ id: randomUUID(), stateless: true, channel: statelessChannel, waitRelease: (cid, timeoutMs) => recorder.waitRelease(cid, timeoutMs) });
    session.protocolVersion = asked;
    const notFound = (response: JsonRpcResponse) => 'error' in response && (response.error as { code?: number }).code === ErrorCode.MethodNotFound;
    if (!session.wantsStream(message)) {
      const response = await session.handleRequest(message, null);
      // A method the server does not implement is HTTP 404 with -32601 in this era.
      return send(req, res, notFound(response) ? 404 : 200, response, null);
    }
    openSse(res, { 'x-accel-buffering': 'no' });
    // Closing the response stream is the cancellation of the call: nothing more is sent for it.
    let cancelled = false;
    res.on('close', () => {
      if (res.writableEnded) return;
      cancelled = true;
      // The call's correlation id in the record, so that the harness finds the cancellation of its own call.
      record({ direction: 'out', req, body: Buffer.from(`(stream closed by the client: call cancelled) ${String(meta[CID_META_KEY] ?? '')}`), sessionId: null });
    });
    const emit = (m: JsonRpcMessage) => {
      if (cancelled) return;
      record({ direction: 'out', req, body: Buffer.from(JSON.stringify(m)), sessionId: null });
      res.write(formatSseEvent({ data: JSON.stringify(m) }));
    };
    const response = await session.handleRequest(message, { emit });
    emit(response);
    if (!cancelled) res.end();
  }

  /** subscriptions/listen: the acknowledgement first, then the changes it asked for, until the client closes the stream. */
  function openSubscription(req: IncomingMessage, res: ServerResponse, request: JsonRpcRequest) {
    const wanted = ((request.params ?? {}) as { notifications?: Record<string, unknown> }).notifications ?? {};
    // The mock has tools only: that is the one kind of change it can promise.
    const honoured = wanted.toolsListChanged === true ? { toolsListChanged: true } : {};
    openSse(res, { 'x-accel-buffering': 'no' });
    const sub = { id: request.id, toolsListChanged: wanted.toolsListChanged === true, res, req };
    const cid = ((request.params?._meta ?? {}) as Record<string, unknown>)[CID_META_KEY];
    const ack = { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: request.id, ...(cid !== undefined && { [CID_META_KEY]: cid }) }, notifications: honoured } };
    record({ direction: 'out', req, body: Buffer.from(JSON.stringify(ack)), sessionId: null });
    res.write(formatSseEvent({ data: JSON.stringify(ack) }));
    subscriptions.add(sub);
    res.on('close', () => {
      subscriptions.delete(sub);
      record({ direction: 'out', req, body: Buffer.from('(subscription stream closed)'), sessionId: null });
    });
  }

  async function handleBatch(req: IncomingMessage, res: ServerResponse, batch: unknown[], sessionId: string | undefined) {
    const state = lookup(req, res, sessionId);
    if (!state) return;
    if (!allowsBatches(state.session.protocolVersion ?? '') || batch.length === 0) {
      return send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Batches are not supported in this protocol version'), state.session.id);
    }
    const responses: JsonRpcResponse[] = [];
    for (const item of batch) {
      const kind = classifyMessage(item);
      if (kind === 'request') responses.push(await state.session.handleRequest(item as JsonRpcRequest, null));
      else if (kind === 'response') state.session.handleResponse(item as JsonRpcResponse);
      else if (kind === 'invalid') responses.push(errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request'));
    }
    if (responses.length === 0) return send(req, res, 202, undefined, state.session.id);
    send(req, res, 200, responses, state.session.id);
  }

  function handleGet(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined) {
    const state = lookup(req, res, sessionId);
    if (!state) return;
    const lastEventId = header(req, HEADER.lastEventId);
    const resumed = lastEventId === undefined ? undefined : resumable(state, lastEventId);
    if (resumed) return resume(req, res, state, resumed.stream, resumed.after);
    if (state.getStream) {
      return send(req, res, 409, errorResponse(null, ErrorCode.InvalidRequest, 'Conflict: a GET stream is already open for this session'), state.session.id);
    }
    openSse(res);
    state.getStream = res;
    res.on('close', () => {
      if (state.getStream === res) state.getStream = null;
    });
    // Let the harness know the stream is open through a record, with the event that primes it.
    const primer = formatSseEvent({ id: `${state.session.id}:0:${++state.eventSeq}`, data: '' });
    record({ direction: 'out', req, body: Buffer.alloc(0), sessionId: state.session.id });
    res.write(primer);
  }

  /** The answer stream an event id belongs to, when it is one of this session's and the id is known. */
  function resumable(state: SessionState, eventId: string): { stream: AnswerStream; after: number } | undefined {
    const [session, no] = eventId.split(':');
    const stream = session === state.session.id ? state.streams.get(Number(no)) : undefined;
    const after = stream ? stream.events.findIndex((e) => e.id === eventId) : -1;
    return stream && after >= 0 ? { stream, after } : undefined;
  }

  /** Replays the stream's events after the given one (2025-11-25 resumability), then goes on live until the answer is complete. */
  function resume(req: IncomingMessage, res: ServerResponse, state: SessionState, stream: AnswerStream, after: number) {
    openSse(res);
    for (const event of stream.events.slice(after + 1)) {
      record({ direction: 'out', req, body: Buffer.from(event.data), sessionId: state.session.id });
      res.write(event.text);
    }
    if (stream.done) return void res.end();
    stream.sink?.destroy();
    stream.sink = res;
  }

  function handleDelete(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined) {
    const state = lookup(req, res, sessionId);
    if (!state) return;
    sessions.delete(state.session.id);
    recorder.sessionClosed(name, state.session.id);
    state.getStream?.end();
    send(req, res, 200, undefined, state.session.id);
  }

  function createSession(): SessionState {
    const id = randomUUID();
    const state: SessionState = {
      eventSeq: 0,
      getStream: null,
      streams: new Map(),
      nextStream: 1,
      session: new McpSession({
        id,
        waitRelease: (cid, timeoutMs) => recorder.waitRelease(cid, timeoutMs),
        channel: {
          notify: (message) => {
            const stream = state.getStream;
            if (!stream) return false;
            const data = JSON.stringify(message);
            recorder.add({ upstream: name, transport: 'http', direction: 'out', httpMethod: 'GET', path: endpoint, body: Buffer.from(data), sessionId: id });
            stream.write(formatSseEvent({ id: `${id}:0:${++state.eventSeq}`, data }));
            return true;
          },
        },
      }),
    };
    sessions.set(id, state);
    recorder.sessionOpened(name, id);
    return state;
  }

  server.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
    connectionIds.set(socket, recorder.addConnection(name, socket.remotePort).id);
  });
  server.keepAliveTimeout = 60_000;

  const host = options.host ?? '127.0.0.1';
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      // As a crash: nothing new is accepted from the first moment, so a proxy that tries again on the
      // connections' reset finds the port refusing, not a listener about to go (seen under load).
      const closed = server.listening ? new Promise<void>((done) => server.close(() => done())) : Promise.resolve();
      for (const state of sessions.values()) state.getStream?.end();
      for (const sub of subscriptions) sub.res.end();
      for (const socket of openSockets) socket.destroy();
      void closed.then(resolve);
    });
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}${endpoint}`,
    port,
    server,
    name,
    sessionCount: () => sessions.size,
    kill: stop,
    async restart({ keepSessions }) {
      if (!keepSessions) {
        for (const id of sessions.keys()) recorder.sessionClosed(name, id);
        sessions.clear();
      }
      await listen(port);
    },
    close: stop,
  };
}
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
