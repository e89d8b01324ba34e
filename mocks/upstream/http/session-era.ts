/**
 * The session era of the HTTP mock (2025-03-26 to 2025-11-25): `initialize` opens a session, JSON or
 * SSE answers are chosen per call, a GET stream carries what the server sends unprompted, DELETE ends
 * the session, a cut answer stream is resumed with Last-Event-ID, and the transport page's 400 and
 * 404 rules hold.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ErrorCode, HEADER, allowsBatches, classifyMessage, errorResponse, formatSseEvent, has, isRevision, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../../../wire/index.ts';
import { McpSession } from '../mcp-session.ts';
import { faultOf, injectFault } from './faults.ts';
import { header, type HttpExchanges } from './exchange.ts';

/** The `retry` the mock announces on its priming events; a proxy must pass it on. */
export const PRIMING_RETRY_MS = 2500;

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

export class SessionEra {
  private readonly sessions = new Map<string, SessionState>();

  constructor(
    private readonly io: HttpExchanges,
    /** The endpoint's path, for the records of what the GET stream carries. */
    private readonly endpoint: string,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Forgets every session, as a restarted process does. */
  forgetAll(): void {
    for (const id of this.sessions.keys()) this.io.recorder.sessionClosed(this.io.name, id);
    this.sessions.clear();
  }

  /** Ends every GET stream (the server goes down). */
  endStreams(): void {
    for (const state of this.sessions.values()) state.getStream?.end();
  }

  /** A POST of this era; `parsed` is its body as JSON, undefined when it is none. */
  async post(req: IncomingMessage, res: ServerResponse, parsed: unknown, sessionId: string | undefined): Promise<void> {
    const { io } = this;
    if (parsed === undefined) return io.send(req, res, 400, errorResponse(null, ErrorCode.ParseError, 'Parse error'), sessionId ?? null);
    if (Array.isArray(parsed)) return this.batch(req, res, parsed, sessionId);

    const kind = classifyMessage(parsed);
    if (kind === 'invalid') return io.send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request'), sessionId ?? null);
    const message = parsed as JsonRpcMessage;

    if (kind === 'request' && (message as JsonRpcRequest).method === 'initialize') {
      if (sessionId !== undefined) {
        return io.send(req, res, 400, errorResponse((message as JsonRpcRequest).id, ErrorCode.InvalidRequest, 'initialize must not carry a session id'), sessionId);
      }
      const state = this.open();
      const response = await state.session.handleRequest(message as JsonRpcRequest, null);
      return io.send(req, res, 200, response, state.session.id, { [HEADER.sessionId]: state.session.id });
    }

    const state = this.lookup(req, res, sessionId);
    if (!state) return;
    if (kind === 'notification') {
      state.session.handleNotification(message as never);
      return io.send(req, res, 202, undefined, state.session.id);
    }
    if (kind === 'response') {
      state.session.handleResponse(message as JsonRpcResponse);
      return io.send(req, res, 202, undefined, state.session.id);
    }
    return this.request(req, res, state, message as JsonRpcRequest);
  }

  /** A request inside a session: its scripted fault, else its answer as JSON or on a stream of its own. */
  private async request(req: IncomingMessage, res: ServerResponse, state: SessionState, request: JsonRpcRequest): Promise<void> {
    const { io } = this;
    const fault = faultOf((request.params?._meta ?? {}) as Record<string, unknown>);
    const dropStream = () => {
      io.openSse(res);
      const [stream, no] = this.newStream(state, res);
      this.writeEvent(req, state, stream, no, { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'the stream is about to drop' } });
      state.streams.delete(no);
      res.socket?.end(() => res.socket?.destroy());
    };
    if (injectFault(fault, io, { req, res, request, sessionId: state.session.id }, dropStream)) return;
    if (!state.session.wantsStream(request)) {
      const response = await state.session.handleRequest(request, null);
      return io.send(req, res, 200, response, state.session.id);
    }
    const dropAfter = fault?.kind === 'drop-after' ? fault.events : undefined;
    io.openSse(res);
    const [stream, no] = this.newStream(state, res);
    const emit = (m: JsonRpcMessage | null, retry?: number) => {
      this.writeEvent(req, state, stream, no, m, retry);
      if (dropAfter !== undefined && stream.sink === res && stream.events.length >= dropAfter) {
        // Cut: the call runs on, and its events wait for a GET with Last-Event-ID.
        io.note(req, '(stream cut)', state.session.id);
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

  private async batch(req: IncomingMessage, res: ServerResponse, batch: unknown[], sessionId: string | undefined): Promise<void> {
    const state = this.lookup(req, res, sessionId);
    if (!state) return;
    if (!allowsBatches(state.session.protocolVersion ?? '') || batch.length === 0) {
      return this.io.send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Batches are not supported in this protocol version'), state.session.id);
    }
    const responses: JsonRpcResponse[] = [];
    for (const item of batch) {
      const kind = classifyMessage(item);
      if (kind === 'request') responses.push(await state.session.handleRequest(item as JsonRpcRequest, null));
      else if (kind === 'response') state.session.handleResponse(item as JsonRpcResponse);
      else if (kind === 'invalid') responses.push(errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request'));
    }
    if (responses.length === 0) return this.io.send(req, res, 202, undefined, state.session.id);
    this.io.send(req, res, 200, responses, state.session.id);
  }

  get(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): void {
    const state = this.lookup(req, res, sessionId);
    if (!state) return;
    const lastEventId = header(req, HEADER.lastEventId);
    const resumed = lastEventId === undefined ? undefined : this.resumable(state, lastEventId);
    if (resumed) return this.resume(req, res, state, resumed.stream, resumed.after);
    if (state.getStream) {
      return this.io.send(req, res, 409, errorResponse(null, ErrorCode.InvalidRequest, 'Conflict: a GET stream is already open for this session'), state.session.id);
    }
    this.io.openSse(res);
    state.getStream = res;
    res.on('close', () => {
      if (state.getStream === res) state.getStream = null;
    });
    // Let the harness know the stream is open through a record, with the event that primes it.
    const primer = formatSseEvent({ id: `${state.session.id}:0:${++state.eventSeq}`, data: '' });
    this.io.record({ direction: 'out', req, body: Buffer.alloc(0), sessionId: state.session.id });
    res.write(primer);
  }

  delete(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): void {
    const state = this.lookup(req, res, sessionId);
    if (!state) return;
    this.sessions.delete(state.session.id);
    this.io.recorder.sessionClosed(this.io.name, state.session.id);
    state.getStream?.end();
    this.io.send(req, res, 200, undefined, state.session.id);
  }

  /** The session a request names: 400 without an id, 404 for one it does not know. */
  private lookup(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): SessionState | null {
    if (sessionId === undefined) {
      this.io.send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required'), null);
      return null;
    }
    const state = this.sessions.get(sessionId);
    if (!state) {
      this.io.send(req, res, 404, errorResponse(null, ErrorCode.SessionNotFound, 'Session not found'), sessionId);
      return null;
    }
    return state;
  }

  /**
   * Writes one event of a POST's answer stream. Its id names the session, the stream and the event
   * (`session:stream:n`), so an event replayed on the wrong stream shows. A cut stream keeps its events.
   */
  private writeEvent(req: IncomingMessage, state: SessionState, stream: AnswerStream, streamNo: number, message: JsonRpcMessage | null, retry?: number): void {
    const data = message === null ? '' : JSON.stringify(message);
    const id = `${state.session.id}:${streamNo}:${++state.eventSeq}`;
    const text = formatSseEvent({ id, data, retry });
    stream.events.push({ id, text, data });
    if (!stream.sink) return;
    this.io.record({ direction: 'out', req, body: Buffer.from(data), sessionId: state.session.id });
    stream.sink.write(text);
  }

  private newStream(state: SessionState, res: ServerResponse): [AnswerStream, number] {
    const stream: AnswerStream = { events: [], sink: res, done: false };
    const no = state.nextStream++;
    state.streams.set(no, stream);
    return [stream, no];
  }

  /** The answer stream an event id belongs to, when it is one of this session's and the id is known. */
  private resumable(state: SessionState, eventId: string): { stream: AnswerStream; after: number } | undefined {
    const [session, no] = eventId.split(':');
    const stream = session === state.session.id ? state.streams.get(Number(no)) : undefined;
    const after = stream ? stream.events.findIndex((e) => e.id === eventId) : -1;
    return stream && after >= 0 ? { stream, after } : undefined;
  }

  /** Replays the stream's events after the given one (2025-11-25 resumability), then goes on live until the answer is complete. */
  private resume(req: IncomingMessage, res: ServerResponse, state: SessionState, stream: AnswerStream, after: number): void {
    this.io.openSse(res);
    for (const event of stream.events.slice(after + 1)) {
      this.io.record({ direction: 'out', req, body: Buffer.from(event.data), sessionId: state.session.id });
      res.write(event.text);
    }
    if (stream.done) return void res.end();
    stream.sink?.destroy();
    stream.sink = res;
  }

  private open(): SessionState {
    const { recorder, name } = this.io;
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
            recorder.add({ upstream: name, transport: 'http', direction: 'out', httpMethod: 'GET', path: this.endpoint, body: Buffer.from(data), sessionId: id });
            stream.write(formatSseEvent({ id: `${id}:0:${++state.eventSeq}`, data }));
            return true;
          },
        },
      }),
    };
    this.sessions.set(id, state);
    recorder.sessionOpened(name, id);
    return state;
  }
}
