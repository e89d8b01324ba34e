/**
 * Streamable HTTP upstreams over undici Pools: connections are reused across client sessions, the
 * upstream's session id is kept per client session, and transport failures become the proxy's own
 * attributable wire errors (502 unreachable, 503 circuit open, 504 timed out).
 *
 * Each upstream (the primary, then its backups) has a circuit breaker (cockatiel): after
 * `breaker.failures` failures in a row it stops sending there for `breaker.openMs`, then lets one
 * probe through. A client session lives on one upstream. When a request cannot be delivered there
 * (connection refused, circuit open), the session moves to the next upstream that takes it: the
 * proxy replays the client's own initialize and initialized messages there, then sends the request.
 * A request that may have reached an upstream is never sent again.
 */
import { connect } from 'node:net';
import { Pool, errors as undiciErrors } from 'undici';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import { WireErrors, ProxyWireError } from '../errors.ts';
import type { HttpUpstreamConfig } from '../config/schema.ts';
import type { MessageInfo } from '../protocol/message.ts';
import { firstHeader } from '../protocol/headers.ts';
import type { ClientGone, SendOptions, UpstreamConnector, UpstreamReply, UpstreamSession } from './types.ts';
import { createUpstreamCredential, type UpstreamCredential } from './credential.ts';

/** Statuses that say the upstream itself is in trouble (as opposed to the request): they count against its circuit. */
const UPSTREAM_TROUBLE = new Set([502, 503, 504]);
/** Connection errors that prove the request never left the proxy, so it may go to another upstream. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** One upstream instance: its pool and its circuit. */
interface Endpoint {
  url: string;
  pool: Pool;
  path: string;
  breaker: CircuitBreakerPolicy;
  openedAt: number;
  /** Set while the circuit is held open because another replica's opened. */
  heard?: boolean;
  /** The failure count replicas share, when they do. */
  shared?: SharedConsecutiveBreaker;
}

/** What the connector tells the rest of the proxy about its upstreams (readiness, metrics). */
export interface UpstreamHealth {
  url: string;
  circuit: 'closed' | 'open' | 'half-open';
}

/** A failure before the request left the proxy: safe to send it elsewhere. */
class NotSent extends Error {
  constructor(readonly wire: ProxyWireError) {
    super(wire.message);
  }
}

type Send = (endpoint: Endpoint, method: 'POST' | 'GET' | 'DELETE', headers: Record<string, string>, body: Buffer | null, gone?: ClientGone, streaming?: boolean, options?: SendOptions) => Promise<UpstreamReply>;

export interface HttpConnector extends UpstreamConnector {
  health(): UpstreamHealth[];
  /** Called with an upstream's URL and its circuit's new state. */
  onCircuit(listener: (url: string, state: UpstreamHealth['circuit']) => void): void;
  /** Called with an upstream's URL each time a request to it fails (what counts against its circuit). */
  onFailure(listener: (url: string) => void): void;
  /** Whether some upstream can take requests: its circuit is not open and it accepts a TCP connection (known for a second). */
  reachable(): Promise<boolean>;
}

export function isHttpConnector(connector: UpstreamConnector): connector is HttpConnector {
  return typeof (connector as Partial<HttpConnector>).reachable === 'function';
}

/** Whether a TCP connection to the URL's host and port opens within a second. */
function accepts(raw: string): Promise<boolean> {
  const url = new URL(raw);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

const CIRCUIT_NAMES: Record<CircuitState, UpstreamHealth['circuit']> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** What a replica tells the others of an upstream's circuit: a failure or success counted, or the circuit opened. */
export type CircuitEvent = { url: string; kind: 'failure' | 'success' } | { url: string; kind: 'open'; openMs: number };

/**
 * How replicas share their circuits: each counts the failures in a row that all of them saw, and an
 * upstream whose circuit opened on one replica is spared by all of them for the same time.
 */
export interface CircuitBus {
  publish(event: CircuitEvent): void;
  subscribe(listener: (event: CircuitEvent) => void): void;
}

/** Failures in a row over every replica: this one's, and those the others report (cockatiel's ConsecutiveBreaker, shared). */
class SharedConsecutiveBreaker implements IBreaker {
  count = 0;
  constructor(
    private readonly threshold: number,
    private readonly tell: (kind: 'failure' | 'success') => void,
  ) {}

  success(): void {
    // Nothing to tell while nothing is counted: a healthy upstream costs no message per request.
    if (this.count === 0) return;
    this.count = 0;
    this.tell('success');
  }

  failure(): boolean {
    this.count++;
    this.tell('failure');
    return this.count >= this.threshold;
  }
}

export function createHttpConnector(config: HttpUpstreamConfig, bus?: CircuitBus, wrapCredential?: (built: UpstreamCredential) => UpstreamCredential): HttpConnector {
  const built = createUpstreamCredential(config);
  const credential = wrapCredential ? wrapCredential(built) : built;
  const listeners: Array<(url: string, state: UpstreamHealth['circuit']) => void> = [];
  const failureListeners: Array<(url: string) => void> = [];
  const endpoints: Endpoint[] = [config.url, ...config.backups].map((raw) => {
    const url = new URL(raw);
    const shared = bus && new SharedConsecutiveBreaker(config.breaker.failures, (kind) => bus.publish({ url: raw, kind }));
    const breaker = circuitBreaker(
      handleWhen((err) => !isClientAbort(err)).orWhenResult((reply) => UPSTREAM_TROUBLE.has((reply as UpstreamReply).status)),
      { halfOpenAfter: config.breaker.openMs, breaker: shared ?? new ConsecutiveBreaker(config.breaker.failures) },
    );
    const endpoint: Endpoint = {
      url: raw,
      ...(shared && { shared }),
      path: `${url.pathname}${url.search}`,
      pool: new Pool(url.origin, { connections: config.connections, headersTimeout: config.timeoutMs, bodyTimeout: config.idleTimeoutMs, keepAliveTimeout: 30_000 }),
      breaker,
      openedAt: 0,
    };
    breaker.onBreak(() => {
      endpoint.openedAt = Date.now();
      if (!endpoint.heard) bus?.publish({ url: raw, kind: 'open', openMs: config.breaker.openMs });
    });
    breaker.onFailure(({ handled }) => {
      if (handled) for (const listener of failureListeners) listener(raw);
    });
    breaker.onStateChange((state) => {
      for (const listener of listeners) listener(raw, CIRCUIT_NAMES[state]);
    });
    return endpoint;
  });

  const send: Send = async (endpoint, method, headers, body, gone, streaming = false, options = {}) => {
    const request = async (): Promise<UpstreamReply> => {
      const authorization = await credential();
      const res = await endpoint.pool.request({
        path: endpoint.path,
        method,
        headers: authorization === undefined ? headers : { ...headers, authorization },
        body,
        signal: gone,
        reset: !config.keepAlive,
        // A GET stream may be silent for as long as the session lives.
        bodyTimeout: streaming ? 0 : config.idleTimeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    };
    try {
      return await (options.bookkeeping ? bookkeeping(endpoint, request) : endpoint.breaker.execute(request));
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        const retryAfter = Math.max(1, Math.ceil((endpoint.openedAt + config.breaker.openMs - Date.now()) / 1000));
        throw new NotSent(WireErrors.circuitOpen(retryAfter));
      }
      const wire = toWireError(err);
      throw NOT_SENT.has(errorCode(err)) ? new NotSent(wire) : wire;
    }
  };

  /**
   * A request the proxy makes for itself, beside the breaker: refused while the circuit is open (or
   * held open by another replica), and counted against it when it fails, but never as a success, so
   * that a bridge's session keeping around each failing call cannot keep the circuit closed.
   */
  const bookkeeping = async (endpoint: Endpoint, request: () => Promise<UpstreamReply>): Promise<UpstreamReply> => {
    // cockatiel leaves Open for half-open only on the next call through it: past the open interval, the client's request that follows is that probe.
    const held = endpoint.breaker.state === CircuitState.Isolated || (endpoint.breaker.state === CircuitState.Open && Date.now() < endpoint.openedAt + config.breaker.openMs);
    if (held) throw new BrokenCircuitError();
    const failed = (outcome: () => Promise<UpstreamReply>) => endpoint.breaker.execute(outcome).catch(() => undefined);
    try {
      const reply = await request();
      if (UPSTREAM_TROUBLE.has(reply.status)) await failed(async () => reply);
      return reply;
    } catch (err) {
      if (!isClientAbort(err as Error)) await failed(() => Promise.reject(err));
      throw err;
    }
  };

  // What the other replicas saw: their failures and successes count here too; a circuit they opened is open here
  // as well (isolated, which reads as open), for as long.
  bus?.subscribe((event) => {
    const endpoint = endpoints.find((e) => e.url === event.url);
    if (!endpoint) return;
    if (event.kind === 'failure' && endpoint.shared) endpoint.shared.count++;
    else if (event.kind === 'success' && endpoint.shared) endpoint.shared.count = 0;
    else if (event.kind === 'open' && endpoint.breaker.state === CircuitState.Closed) {
      endpoint.heard = true;
      const handle = endpoint.breaker.isolate();
      endpoint.openedAt = Date.now();
      setTimeout(() => {
        endpoint.heard = false;
        if (endpoint.shared) endpoint.shared.count = 0;
        handle.dispose();
      }, event.openMs).unref();
    }
  });

  let known: { at: number; ready: Promise<boolean> } | undefined;
  const reachable = async (): Promise<boolean> => {
    for (const endpoint of endpoints) if (endpoint.breaker.state !== CircuitState.Open && (await accepts(endpoint.url))) return true;
    return false;
  };

  return {
    open: () => openSession(endpoints, send),
    revive: (state) => openSession(endpoints, send, state as unknown as SavedSession),
    reachable() {
      if (!known || Date.now() - known.at > 1000) known = { at: Date.now(), ready: reachable() };
      return known.ready;
    },
    health: () => endpoints.map((e) => ({ url: e.url, circuit: CIRCUIT_NAMES[e.breaker.state] })),
    onCircuit: (listener) => void listeners.push(listener),
    onFailure: (listener) => void failureListeners.push(listener),
    close: async () => {
      await Promise.all(endpoints.map((e) => e.pool.close()));
    },
  };
}

/** A message kept for replay, as JSON holds it. */
interface SavedMessage {
  body: string;
  headers: Record<string, string>;
}

/** What another replica needs to carry a session on: where it lives upstream, and how to move it. */
interface SavedSession {
  at: number;
  id?: string;
  initialize?: SavedMessage;
  initialized?: SavedMessage;
}

const toSaved = (m: { body: Buffer; headers: Record<string, string> } | undefined): SavedMessage | undefined => m && { body: m.body.toString('base64'), headers: m.headers };
const fromSaved = (m: SavedMessage | undefined) => m && { body: Buffer.from(m.body, 'base64'), headers: m.headers };

/** A client session's life on the upstreams: where it lives, and what it takes to move it. */
function openSession(endpoints: Endpoint[], send: Send, saved?: SavedSession): UpstreamSession {
  let at = saved && saved.at >= 0 && saved.at < endpoints.length ? saved.at : 0;
  let upstreamSessionId: string | undefined = saved?.id;
  /** The client's own initialize and initialized messages, replayed on the upstream a session moves to. */
  let initialize: { body: Buffer; headers: Record<string, string> } | undefined = fromSaved(saved?.initialize);
  let initialized: { body: Buffer; headers: Record<string, string> } | undefined = fromSaved(saved?.initialized);

  const withSession = (headers: Record<string, string>) => (upstreamSessionId === undefined ? headers : { ...headers, 'mcp-session-id': upstreamSessionId });

  /** Opens the client's session again on `endpoint`; a NotSent means that upstream did not take it either. */
  async function replayInitialization(endpoint: Endpoint): Promise<void> {
    if (!initialize) return;
    const reply = await send(endpoint, 'POST', initialize.headers, initialize.body);
    reply.body?.resume();
    const id = firstHeader(reply.headers, 'mcp-session-id');
    if (reply.status < 200 || reply.status >= 300 || id === undefined) throw WireErrors.upstreamUnavailable(`the backup upstream refused the session (HTTP ${reply.status})`);
    upstreamSessionId = id;
    if (initialized) {
      const ack = await send(endpoint, 'POST', { ...initialized.headers, 'mcp-session-id': id }, initialized.body);
      ack.body?.resume();
    }
  }

  /** Sends on the session's upstream; when the request could not be delivered, moves the session on and tries there. */
  async function deliver(request: () => Promise<UpstreamReply>): Promise<UpstreamReply> {
    let lastError: ProxyWireError | undefined;
    for (let tried = 0; tried < endpoints.length; tried++) {
      try {
        if (tried > 0) {
          at = (at + 1) % endpoints.length;
          await replayInitialization(endpoints[at]);
        }
        return await request();
      } catch (err) {
        if (!(err instanceof NotSent)) throw err;
        lastError = err.wire;
      }
    }
    throw lastError!;
  }

  return {
    post(body: Buffer, headers: Record<string, string>, info: MessageInfo, gone: ClientGone, options?: SendOptions) {
      if (info.method === 'notifications/initialized') initialized = { body, headers };
      return deliver(async () => {
        // A subscription's stream may be silent for as long as it lasts, as the GET stream may.
        const reply = await send(endpoints[at], 'POST', withSession(headers), body, gone, info.method === 'subscriptions/listen', options);
        if (info.isInitialize && reply.status >= 200 && reply.status < 300) {
          upstreamSessionId = firstHeader(reply.headers, 'mcp-session-id');
          initialize = { body, headers };
        }
        return reply;
      });
    },
    get: (headers, gone) => deliver(() => send(endpoints[at], 'GET', withSession(headers), null, gone, true)),
    async delete(headers, options) {
      try {
        return await send(endpoints[at], 'DELETE', withSession(headers), null, undefined, false, options);
      } catch (err) {
        throw err instanceof NotSent ? err.wire : err;
      }
    },
    async close() {},
    state: () => ({ at, ...(upstreamSessionId !== undefined && { id: upstreamSessionId }), ...(initialize && { initialize: toSaved(initialize) }), ...(initialized && { initialized: toSaved(initialized) }) }),
  };
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code ?? '';
}

function isClientAbort(err: Error): boolean {
  return err.name === 'AbortError' || errorCode(err) === 'UND_ERR_ABORTED';
}

function toWireError(err: unknown): ProxyWireError {
  if (err instanceof ProxyWireError) return err;
  const code = errorCode(err);
  if (err instanceof undiciErrors.HeadersTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') return WireErrors.upstreamTimeout();
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return WireErrors.upstreamTimeout();
  if ((err as Error).name === 'AbortError') return WireErrors.upstreamUnavailable('request aborted');
  return WireErrors.upstreamUnavailable(code || 'connection failed');
}
