/**
 * A raw MCP client over Streamable HTTP on undici. It speaks the protocol correctly by default and
 * can be told to misbehave (any body, any headers, no session); it reads SSE incrementally and
 * stamps every event with its arrival time. Failures of the peer are returned in the exchange, never
 * thrown, because a broken proxy is an observation, not an exception.
 */
import { Agent, request } from 'undici';
import { createParser } from 'eventsource-parser';
import { CID_META_KEY, HEADER, META, SSE_META_KEY, isStateless, mirroredHeaders, preciseNow, sendsProtocolVersionHeader, type Revision } from '../../../wire/index.ts';
import type { Exchange, SseEventRecord } from './exchange.ts';
import { HARNESS_VERSION } from '../version.ts';
import { bodyKind, failureOutcome, findResponse, newExchange } from './exchange.ts';

export interface McpClientOptions {
  url: string;
  revision: Revision;
  /** Sent on every request (a target profile's `headers`). */
  headers?: Record<string, string>;
  /** Called with every exchange, for the scenario's transcript. */
  onExchange?: (exchange: Exchange) => void;
  /** Longest an exchange may take before the client gives up on it. */
  timeoutMs?: number;
  dispatcher?: Agent;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** Session id to send; null sends none; default: the client's session. */
  session?: string | null;
  /** Protocol version header; null sends none; default: per revision once initialized. */
  protocolVersion?: string | null;
  timeoutMs?: number;
  /** Called with each SSE event as it arrives (to answer a server request, or to time a progress). */
  onEvent?: (event: SseEventRecord) => void;
  /** Aborting it closes the request's connection (its response stream included), as a client that goes away. */
  signal?: AbortSignal;
  /** Why the body is invalid for the revision on purpose (hostile input): the schema check leaves the exchange out. */
  hostile?: string;
}

export interface RequestOptions extends PostOptions {
  id?: string | number;
  /** Ask the mock upstream to answer on an SSE stream. */
  sse?: boolean;
  cid?: string;
}

export interface CallResult {
  exchange: Exchange;
  /** The JSON-RPC response with the request's id, if one came back. */
  response?: Record<string, unknown>;
}

/** The result of a call when it came back with one (an object); undefined for an error or no answer. */
export function resultOf(call: CallResult): Record<string, any> | undefined {
  const result = call.response && 'result' in call.response ? call.response.result : undefined;
  return typeof result === 'object' && result !== null && !Array.isArray(result) ? (result as Record<string, any>) : undefined;
}

/**
 * An idle connection is kept 2 s, well inside the 5 s after which a Node server (the most common
 * default) closes one. Kept 10 s, a request sent on a connection the server was closing at that
 * moment got "other side closed" and no answer: a target's verdict drawn from our own race (seen
 * with supergateway, whose answers carry no Keep-Alive hint for undici to go by).
 */
export const IDLE_CONNECTION_MS = 2_000;

const sharedAgent = new Agent({ keepAliveTimeout: IDLE_CONNECTION_MS, connections: 256 });
/**
 * Request ids unique across the run's worker processes: clients of different scenarios never share
 * one by accident, so only the check that makes ids collide on purpose judges what a proxy does then.
 */
const ID_PREFIX = `h${process.pid.toString(36)}`;
let nextId = 1;

export class McpClient {
  sessionId: string | undefined;
  negotiatedVersion: string | undefined;
  readonly options: McpClientOptions;
  private readonly streams = new Set<GetStream>();

  constructor(options: McpClientOptions) {
    this.options = options;
  }

  /** Whether the client speaks a stateless revision: no handshake, the version and capabilities in every request. */
  get stateless(): boolean {
    return isStateless(this.options.revision);
  }

  /**
   * Opens the conversation. Session era: initialize + notifications/initialized, keeping the session
   * id and the negotiated version. Stateless era: server/discover, the one request a client may send
   * first to learn the server; the version is the client's own once the server lists it.
   */
  async initialize(options: RequestOptions & { params?: Record<string, unknown> } = {}): Promise<CallResult> {
    if (this.stateless) {
      const result = await this.request('server/discover', options.params ?? {}, options);
      const supported = (result.response?.result as { supportedVersions?: unknown } | undefined)?.supportedVersions;
      if (Array.isArray(supported) && supported.includes(this.options.revision)) this.negotiatedVersion = this.options.revision;
      return result;
    }
    const params = {
      protocolVersion: this.options.revision,
      capabilities: { sampling: {}, roots: { listChanged: true } },
      clientInfo: { name: 'proxyspec-harness', version: HARNESS_VERSION },
      ...options.params,
    };
    const result = await this.request('initialize', params, { ...options, session: null, protocolVersion: null });
    const sid = result.exchange.headers[HEADER.sessionId];
    if (sid !== undefined) this.sessionId = sid;
    const negotiated = (result.response?.result as Record<string, unknown> | undefined)?.protocolVersion;
    if (typeof negotiated === 'string') this.negotiatedVersion = negotiated;
    if (result.response && 'result' in result.response) {
      await this.notify('notifications/initialized', {}, { cid: options.cid });
    }
    return result;
  }

  async request(method: string, params: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<CallResult> {
    const id = options.id ?? `${ID_PREFIX}-${nextId++}`;
    const message = { jsonrpc: '2.0', id, method, params: withMeta(this.requestParams(params), options) };
    const exchange = await this.post(message, options);
    return { exchange, response: findResponse(exchange, id) };
  }

  callTool(name: string, args: Record<string, unknown>, options: RequestOptions & { meta?: Record<string, unknown> } = {}): Promise<CallResult> {
    const params: Record<string, unknown> = { name, arguments: args };
    if (options.meta) params._meta = options.meta;
    return this.request('tools/call', params, options);
  }

  notify(method: string, params: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<Exchange> {
    return this.post({ jsonrpc: '2.0', method, params: withMeta(this.requestParams(params), options) }, options);
  }

  /** Stateless era: the version, capabilities and identity every request carries in _meta (what the caller put there wins); as is in the session era. */
  requestParams(params: Record<string, unknown>): Record<string, unknown> {
    if (!this.stateless) return params;
    const meta = {
      [META.protocolVersion]: this.options.revision,
      [META.clientCapabilities]: { sampling: {}, roots: {}, elicitation: {} },
      [META.clientInfo]: { name: 'proxyspec-harness', version: HARNESS_VERSION },
      ...(params._meta as Record<string, unknown> | undefined),
    };
    return { ...params, _meta: meta };
  }

  /** The headers this client would send with `body` beyond the content headers: its session and version, and (stateless era) the mirrored ones. */
  headersFor(body: unknown): Record<string, string> {
    return { ...this.sessionHeaders({}), ...this.mirrored(body) };
  }

  /** Stateless era: the Mcp-Method and Mcp-Name headers the body calls for. */
  private mirrored(body: unknown): Record<string, string> {
    if (!this.stateless) return {};
    let message = body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      try {
        message = JSON.parse(body.toString());
      } catch {
        return {};
      }
    }
    const { method, params } = (message ?? {}) as { method?: unknown; params?: Record<string, unknown> };
    return typeof method === 'string' ? mirroredHeaders(method, params) : {};
  }

  /** POSTs any body: an object is serialised, a string or Buffer is sent byte for byte. */
  async post(body: unknown, options: PostOptions = {}): Promise<Exchange> {
    const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.sessionHeaders(options),
      ...this.mirrored(body),
      ...this.options.headers,
      ...options.headers,
    };
    const ex = await this.exchange('POST', headers, bytes, options.timeoutMs, { onEvent: options.onEvent && ((_ex, e) => options.onEvent!(e)), signal: options.signal });
    if (options.hostile) ex.hostile = options.hostile;
    return ex;
  }

  /** Opens the GET stream; events are collected as they arrive. */
  async openGet(options: PostOptions = {}): Promise<GetStream> {
    const headers = { accept: 'text/event-stream', ...this.sessionHeaders(options), ...this.options.headers, ...options.headers };
    const stream = new GetStream(this, headers, options.timeoutMs ?? 60_000);
    this.streams.add(stream);
    await stream.opened;
    return stream;
  }

  /**
   * The session's standalone GET stream, beside a call, when it opens with 200 within `waitMs` (a
   * proxy that holds a stream's headers back must not hang the caller); none in the stateless era.
   * A stream that opens later is still closed with the client.
   */
  async standaloneStream(waitMs = 2000): Promise<GetStream | undefined> {
    if (this.stateless) return undefined;
    const stream = await Promise.race([this.openGet(), new Promise<undefined>((resolve) => setTimeout(resolve, waitMs))]);
    return stream?.status === 200 ? stream : undefined;
  }

  async delete(options: PostOptions = {}): Promise<Exchange> {
    const headers = { ...this.sessionHeaders(options), ...this.options.headers, ...options.headers };
    return this.exchange('DELETE', headers, undefined, options.timeoutMs);
  }

  /** Closes open GET streams and, when a session is open, ends it with DELETE (errors ignored). */
  async close(): Promise<void> {
    for (const stream of this.streams) stream.close();
    this.streams.clear();
    if (this.sessionId !== undefined) {
      await this.delete({ timeoutMs: 5000 }).catch(() => undefined);
      this.sessionId = undefined;
    }
  }

  private sessionHeaders(options: PostOptions): Record<string, string> {
    const headers: Record<string, string> = {};
    const session = options.session === undefined ? this.sessionId : options.session;
    if (session !== null && session !== undefined) headers[HEADER.sessionId] = session;
    // Stateless era: on every request from the first; session era: once a version was negotiated.
    const version =
      options.protocolVersion === undefined
        ? this.stateless
          ? this.options.revision
          : this.negotiatedVersion && sendsProtocolVersionHeader(this.options.revision)
            ? this.negotiatedVersion
            : undefined
        : options.protocolVersion;
    if (version !== null && version !== undefined) headers[HEADER.protocolVersion] = version;
    return headers;
  }

  /** Runs one exchange to its end (or timeout) and reports it. */
  async exchange(method: string, headers: Record<string, string>, body: string | Buffer | undefined, timeoutMs?: number, live: ExchangeListeners = {}): Promise<Exchange> {
    const limit = timeoutMs ?? this.options.timeoutMs ?? 15_000;
    const { signal } = live;
    const ex = newExchange(method, this.options.url, headers, body === undefined ? '' : body.toString(), preciseNow());
    const timeout = AbortSignal.timeout(limit);
    try {
      const res = await request(this.options.url, {
        method: method as 'POST',
        headers,
        body,
        dispatcher: this.options.dispatcher ?? sharedAgent,
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
        headersTimeout: limit,
        bodyTimeout: 0,
      });
      ex.headersAt = preciseNow();
      ex.status = res.statusCode;
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) ex.headers[k] = Array.isArray(v) ? v.join(', ') : v;
      live.onHeaders?.(ex);
      ex.kind = bodyKind(ex.headers['content-type']);
      const decoder = new TextDecoder();
      if (ex.kind === 'sse') {
        const parser = createParser({
          onRetry: (retry) => (ex.retries ??= []).push(retry),
          onEvent: (e) => {
            const event: SseEventRecord = { at: preciseNow(), data: e.data };
            if (e.id !== undefined) event.id = e.id;
            if (e.event !== undefined) event.event = e.event;
            if (e.data !== '') {
              try {
                event.json = JSON.parse(e.data);
              } catch {
                // Not JSON: kept as data, and checks say so.
              }
            }
            ex.events.push(event);
            live.onEvent?.(ex, event);
          },
        });
        for await (const chunk of res.body) {
          const text = decoder.decode(chunk as Buffer, { stream: true });
          ex.body += text;
          parser.feed(text);
        }
      } else {
        for await (const chunk of res.body) ex.body += decoder.decode(chunk as Buffer, { stream: true });
        ex.body += decoder.decode();
        if (ex.body === '') ex.kind = ex.kind === 'other' ? 'empty' : ex.kind;
        if (ex.kind === 'json' && ex.body !== '') {
          try {
            ex.json = JSON.parse(ex.body);
          } catch {
            ex.error = 'the body says application/json but is not JSON';
          }
        }
      }
      ex.outcome = 'answered';
    } catch (err) {
      ex.outcome = timeout.aborted ? 'timeout' : signal?.aborted ? 'aborted' : failureOutcome(err);
      ex.error = timeout.aborted ? `no complete answer within ${limit} ms` : signal?.aborted ? 'closed by the harness' : describe(err);
    }
    ex.endedAt = preciseNow();
    this.options.onExchange?.(ex);
    return ex;
  }
}

export interface ExchangeListeners {
  onHeaders?: (ex: Exchange) => void;
  onEvent?: (ex: Exchange, event: SseEventRecord) => void;
  signal?: AbortSignal;
}

/** A GET stream being read in the background; `waitFor` resolves on the first matching event. */
export class GetStream {
  readonly done: Promise<Exchange>;
  readonly opened: Promise<void>;
  events: SseEventRecord[] = [];
  status = 0;
  /** The answer's Content-Type, once its head has come. */
  contentType: string | undefined;
  private readonly controller = new AbortController();
  private waiters: Array<{ match: (e: SseEventRecord) => boolean; resolve: (e: SseEventRecord | undefined) => void }> = [];
  private openedResolve!: () => void;

  constructor(client: McpClient, headers: Record<string, string>, timeoutMs: number) {
    this.opened = new Promise((resolve) => (this.openedResolve = resolve));
    this.done = client
      .exchange('GET', headers, undefined, timeoutMs, {
        signal: this.controller.signal,
        onHeaders: (ex) => {
          this.status = ex.status;
          this.contentType = ex.headers['content-type'];
          this.events = ex.events;
          this.openedResolve();
        },
        onEvent: (_ex, event) => {
          for (const w of [...this.waiters]) {
            if (w.match(event)) {
              this.waiters.splice(this.waiters.indexOf(w), 1);
              w.resolve(event);
            }
          }
        },
      })
      .then((ex) => {
        this.status = ex.status;
        this.events = ex.events;
        this.openedResolve();
        for (const w of this.waiters.splice(0)) w.resolve(undefined);
        return ex;
      });
  }

  /** The first event (already received or still to come) that matches; undefined if the stream ends first or time runs out. */
  waitFor(match: (e: SseEventRecord) => boolean, timeoutMs = 5000): Promise<SseEventRecord | undefined> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter = { match, resolve: (e: SseEventRecord | undefined) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.controller.abort();
  }
}

function withMeta(params: Record<string, unknown>, options: RequestOptions): Record<string, unknown> {
  if (options.cid === undefined && !options.sse) return params;
  const meta: Record<string, unknown> = { ...(params._meta as Record<string, unknown> | undefined) };
  if (options.cid !== undefined) meta[CID_META_KEY] = options.cid;
  if (options.sse) meta[SSE_META_KEY] = true;
  return { ...params, _meta: meta };
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ') || String(err);
}
