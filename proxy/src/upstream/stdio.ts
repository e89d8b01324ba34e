/**
 * stdio upstream: one child process per upstream session, newline-delimited JSON-RPC. Each POSTed
 * request gets a route; the child's messages for it (matched by id, by progress token, or by the
 * subscription id a 2026-07-28 subscription's notifications carry) are relayed on that route: as
 * JSON when the first thing the child says is the answer, as SSE otherwise. Other messages go to the
 * request in flight (a subscription aside), else to the session's GET stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { WireErrors } from '../errors.ts';
import { RPC } from '../protocol/codes.ts';
import type { StdioUpstreamConfig } from '../config/schema.ts';
import { idKey, type MessageInfo } from '../protocol/message.ts';
import type { ClientGone, UpstreamConnector, UpstreamReply, UpstreamSession } from './types.ts';
import { META_SUBSCRIPTION_ID } from '../bridge/meta.ts';

/** The first revision whose SSE streams open with a priming event (2026-07-28 removed them with the GET stream). */
const PRIMING_FROM = '2025-11-25';
/** How long a client that lost a stream waits before it reconnects, as the priming event tells it. */
const PRIMING_RETRY_MS = 1000;
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const MAX_BACKLOG = 100;
/** How many tasks' progress tokens a session keeps routing after their requests were answered. */
const MAX_TASK_TOKENS = 1000;

interface Route {
  /** The HTTP status of a whole answer, from the message it is (a stateless request's error status comes from its code). */
  statusOf: (answer: unknown) => number;
  /** The ids of the request's messages, which route to it until it is finished. */
  ids: readonly string[];
  /** Those of them still waiting for their answer. */
  remaining: Set<string>;
  tokens: string[];
  /** A subscriptions/listen: its stream carries what names the subscription, and nothing unsolicited. */
  listen: boolean;
  /** Whether its SSE stream opens with a priming event (a session-era request of 2025-11-25), and can be resumed. */
  primes: boolean;
  /** Whether its answer is an SSE stream (decided by the first thing the child says). */
  sse: boolean;
  /** The client's stream, while one is connected. */
  stream: PassThrough | null;
  /** The events of a resumable stream, for a client that comes back with Last-Event-ID; null: not resumable (any more). */
  log: Array<{ seq: number; text: string }> | null;
  /** Whether its answer is complete. */
  done: boolean;
  /** Whether the request has its reply (or its failure). */
  settled: boolean;
  settle: (reply: UpstreamReply) => void;
  fail: (err: Error) => void;
}

export function createStdioConnector(config: StdioUpstreamConfig, log: (msg: string) => void = () => {}): UpstreamConnector {
  const children = new Set<ChildProcess>();
  return {
    open: (): UpstreamSession => {
      const session = new StdioSession(config, log, children);
      // A plain object, as every part the proxy hands out: a wrapper (ProxyParts.connector) may spread it.
      return {
        post: (body, headers, info, gone) => session.post(body, headers, info, gone),
        get: (headers) => session.get(headers),
        delete: () => session.delete(),
        close: () => session.close(),
        onEnded: (listener) => session.onEnded(listener),
      };
    },
    async close() {
      await Promise.all([...children].map(stop));
    },
  };
}

/** One client session's child process, and the routes that carry its messages to the requests they answer. */
class StdioSession implements UpstreamSession {
  private readonly child: ChildProcess;
  /** The request in flight for each id it carries. */
  private readonly routes = new Map<string, Route>();
  /** The request in flight for each progress token it carries. */
  private readonly byToken = new Map<string, Route>();
  private getStream: PassThrough | null = null;
  /**
   * Progress tokens of requests answered with a CreateTaskResult (2025-11-25): the task runs on and
   * its progress keeps the token, so it goes where messages for no request in flight go (oldest dropped past the bound).
   */
  private readonly taskTokens = new Set<string>();
  /** What the child said for no request while no GET stream was open, for the next one. */
  private readonly backlog: string[] = [];
  private eventSeq = 0;
  private exited = false;
  /** Whether the child has answered once (until then it may still be starting). */
  private answered = false;
  /** The resumable streams, by the ids of their events. */
  private readonly resumable = new Map<number, Route>();
  /** What re-arms the timers of the requests sent before the first answer. */
  private started: Array<() => void> = [];
  private readonly endedListeners: Array<() => void> = [];

  constructor(
    private readonly config: StdioUpstreamConfig,
    private readonly log: (msg: string) => void,
    children: Set<ChildProcess>,
  ) {
    const child = spawn(config.command, {
      shell: true,
      cwd: config.cwd,
      env: { ...process.env, ...config.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so that stopping the session stops whatever the shell started.
      detached: true,
    });
    this.child = child;
    children.add(child);
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => this.onLine(line));
    child.stderr!.on('data', (chunk: Buffer) => log(`stdio upstream stderr: ${chunk.toString('utf8').trimEnd()}`));
    child.stdin!.on('error', () => {});
    child.on('error', (err) => log(`stdio upstream failed to start: ${err.message}`));
    child.on('exit', (code, signal) => {
      children.delete(child);
      this.onExit(signal ?? code);
    });
  }

  async post(body: Buffer, headers: Record<string, string>, info: MessageInfo, gone: ClientGone): Promise<UpstreamReply> {
    if (this.exited) throw WireErrors.upstreamUnavailable('upstream process has exited');
    if (info.requestIds.length === 0) {
      this.write(body);
      return { status: 202, headers: {}, body: null };
    }
    const { config } = this;
    return new Promise<UpstreamReply>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          route.settled = true;
          this.finish(route);
          reject(WireErrors.upstreamTimeout());
        }, ms);
      };
      // Until the process has answered once, it may still be starting; from its first answer on, a request has timeoutMs of its own.
      arm(this.answered ? config.timeoutMs : Math.max(config.timeoutMs, config.startupTimeoutMs));
      if (!this.answered) this.started.push(() => !route.sse && !route.settled && arm(config.timeoutMs));
      const route: Route = {
        statusOf: info.protocolVersion === undefined ? () => 200 : statelessStatus,
        ids: info.requestIds.map(idKey),
        remaining: new Set(info.requestIds.map(idKey)),
        tokens: info.progressTokens.map(idKey),
        listen: info.method === 'subscriptions/listen',
        primes: info.protocolVersion === undefined && (headers['mcp-protocol-version'] ?? '') >= PRIMING_FROM,
        sse: false,
        stream: null,
        log: null,
        done: false,
        settled: false,
        settle: (reply) => {
          clearTimeout(timer);
          route.settled = true;
          resolve(reply);
        },
        fail: (err) => {
          clearTimeout(timer);
          route.settled = true;
          reject(err);
        },
      };
      for (const key of route.remaining) this.routes.set(key, route);
      for (const token of route.tokens) this.byToken.set(token, route);
      gone.once('abort', () => {
        // 2026-07-28: the client closing its response stream is the call's cancellation, which stdio says with notifications/cancelled.
        if (info.protocolVersion !== undefined) for (const key of route.remaining) this.cancel(idOfKey(key));
        // The session era: "Disconnection SHOULD NOT be interpreted as the client cancelling its
        // request". A stream the client can resume goes on, kept in its log for the client's return.
        else if (route.log && !route.done) {
          route.stream = null;
          return;
        }
        this.finish(route);
      });
      this.write(body);
    });
  }

  async get(headers: Record<string, string> = {}): Promise<UpstreamReply> {
    const last = Number(headers['last-event-id']);
    const resumed = Number.isInteger(last) ? this.resumable.get(last) : undefined;
    if (resumed?.log) return this.resume(resumed, last);
    if (this.exited) throw WireErrors.upstreamUnavailable('upstream process has exited');
    if (this.getStream) throw WireErrors.streamConflict();
    const stream = new PassThrough();
    this.getStream = stream;
    stream.on('close', () => {
      if (this.getStream === stream) this.getStream = null;
    });
    for (const line of this.backlog.splice(0)) stream.write(this.sse(line));
    return { status: 200, headers: SSE_HEADERS, body: stream };
  }

  async delete(): Promise<UpstreamReply> {
    await stop(this.child);
    return { status: 200, headers: {}, body: null };
  }

  close(): Promise<void> {
    return stop(this.child);
  }

  onEnded(listener: () => void): void {
    this.endedListeners.push(listener);
  }

  private sse(line: string): string {
    return `id: ${++this.eventSeq}\ndata: ${line}\n\n`;
  }

  /**
   * A stream resumed after event `last`: the events it missed, once each, then the rest as they
   * come; a stream already finished ends after them. The stream it replaces, if still connected,
   * ends: each message goes on one stream only.
   */
  private resume(route: Route, last: number): UpstreamReply {
    const stream = new PassThrough();
    for (const event of route.log!) if (event.seq > last) stream.write(event.text);
    if (route.done) stream.end();
    else {
      route.stream?.end();
      route.stream = stream;
      stream.once('close', () => {
        if (route.stream === stream) route.stream = null;
      });
    }
    return { status: 200, headers: SSE_HEADERS, body: stream };
  }

  /** One event of a request's stream: to its client, if connected, and to its log, if it keeps one. */
  private event(route: Route, fields: string): void {
    const seq = ++this.eventSeq;
    const text = `id: ${seq}\n${fields}`;
    if (route.log) {
      if (route.log.length < this.config.resumption.maxEvents) {
        route.log.push({ seq, text });
        this.resumable.set(seq, route);
      } else this.forget(route);
    }
    route.stream?.write(text);
  }

  /** A stream no client can resume any more. */
  private forget(route: Route): void {
    for (const { seq } of route.log ?? []) this.resumable.delete(seq);
    route.log = null;
  }

  /** One line to the child: stdio forbids embedded newlines, so a pretty-printed body is compacted, any other is sent as is. */
  private write(body: Buffer): void {
    const bytes = body.includes(0x0a) ? Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')))) : body;
    this.child.stdin!.write(Buffer.concat([bytes, Buffer.from('\n')]));
  }

  /** Tells the child a request is cancelled, if it can still hear. */
  private cancel(requestId: unknown): void {
    if (this.exited || !this.child.stdin?.writable) return;
    this.write(Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the client closed its response stream' } })));
  }

  private keepTaskTokens(route: Route): void {
    for (const token of route.tokens) {
      this.taskTokens.add(token);
      if (this.taskTokens.size > MAX_TASK_TOKENS) this.taskTokens.delete(this.taskTokens.values().next().value!);
    }
  }

  private finish(route: Route): void {
    // Every id of the request, answered or not: an answered one left here would take messages meant for the requests after it.
    for (const key of route.ids) if (this.routes.get(key) === route) this.routes.delete(key);
    for (const token of route.tokens) this.byToken.delete(token);
    route.done = true;
    route.stream?.end();
    if (route.log) setTimeout(() => this.forget(route), this.config.resumption.keepMs).unref();
  }

  /** A line for a request: its whole answer as JSON when that is the first thing, else an event of its SSE answer. */
  private deliver(route: Route, line: string, final: boolean, answer?: unknown): void {
    if (!route.sse) {
      if (final) {
        route.settle({ status: route.statusOf(answer), headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(line)]) });
        return;
      }
      route.sse = true;
      route.stream = new PassThrough();
      // 2025-11-25: "The server SHOULD immediately send an SSE event consisting of an event ID and an
      // empty data field"; the proxy is the server of the streams it makes for a stdio one, and
      // keeps their events so that a client can resume with that id.
      if (route.primes) {
        route.log = [];
        this.event(route, `retry: ${PRIMING_RETRY_MS}\ndata: \n\n`);
      }
      route.settle({ status: 200, headers: SSE_HEADERS, body: route.stream });
    }
    this.event(route, `data: ${line}\n\n`);
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line);
    } catch {
      this.log(`stdio upstream wrote a line that is not JSON; dropped`);
      return;
    }
    const items = Array.isArray(msg) ? msg : [msg];
    const first = items[0] as Record<string, unknown> | undefined;
    const isResponse = first && !('method' in first) && ('result' in first || 'error' in first);
    if (isResponse) {
      if (!this.answered) {
        this.answered = true;
        for (const rearm of this.started.splice(0)) rearm();
      }
      const route = this.routes.get(idKey(first.id));
      if (!route) return this.log('stdio upstream answered an id nobody asked; dropped');
      for (const item of items) route.remaining.delete(idKey((item as Record<string, unknown>).id));
      const final = route.remaining.size === 0;
      this.deliver(route, line, final, msg);
      if (final) {
        if (items.some((item) => typeof ((item as { result?: { task?: unknown } }).result?.task) === 'object')) this.keepTaskTokens(route);
        this.finish(route);
      }
      return;
    }
    const params = first?.params as Record<string, unknown> | undefined;
    const token = params?.progressToken;
    const byProgress = token !== undefined ? this.byToken.get(idKey(token)) : undefined;
    if (byProgress) return this.deliver(byProgress, line, false);
    const ofTask = token !== undefined && this.taskTokens.has(idKey(token));
    // A subscription's notifications carry its id (2026-07-28): they go to its stream.
    const subscription = (params?._meta as Record<string, unknown> | undefined)?.[META_SUBSCRIPTION_ID];
    const bySubscription = subscription !== undefined ? this.routes.get(idKey(subscription)) : undefined;
    if (bySubscription?.listen) return this.deliver(bySubscription, line, false);
    // Progress, or a subscription's notification, for a request no longer in flight (a call cancelled,
    // a subscription closed) belongs to no other: dropped, not handed to whatever is in flight now.
    if ((token !== undefined && !ofTask) || subscription !== undefined) return this.log('stdio upstream sent a notification for a request no longer in flight; dropped');
    // stdio cannot say which request any other message belongs to. A server→client request is answered
    // in the context of a call in flight; any other notification goes to the GET stream when one is open.
    const inFlight = [...this.routes.values()].filter((r) => !r.listen).at(-1);
    const isRequest = first !== undefined && 'id' in first;
    if (inFlight && !ofTask && (isRequest || !this.getStream)) return this.deliver(inFlight, line, false);
    if (this.getStream) this.getStream.write(this.sse(line));
    else if (this.backlog.length < MAX_BACKLOG) this.backlog.push(line);
  }

  /** The child is gone: every request in flight gets the proxy's error, on its stream or as its answer. */
  private onExit(how: number | string | null): void {
    this.exited = true;
    const failure = WireErrors.upstreamUnavailable(`upstream process exited (${how})`);
    for (const route of new Set(this.routes.values())) {
      if (route.sse) {
        // On its stream, or in its log for a client that resumes it.
        for (const key of route.remaining) this.event(route, `data: ${failure.body(idOfKey(key))}\n\n`);
        this.finish(route);
      } else route.fail(failure);
    }
    this.routes.clear();
    this.byToken.clear();
    this.getStream?.end();
    for (const listener of this.endedListeners) listener();
  }
}

/** The JSON-RPC id an `idKey` stands for. */
function idOfKey(key: string): string | number {
  return key.startsWith('n:') ? Number(key.slice(2)) : key.slice(2);
}

/**
 * A stateless request's answer, when it is an error, as the HTTP status MCP 2026-07-28 gives it: the
 * stdio server cannot say one, and over HTTP the bridge is the server. A method it does not implement
 * is 404; an unsupported protocol version, a header that disagrees with the body and a missing client
 * capability are 400. Anything else is 200, as a JSON-RPC error on HTTP is.
 */
function statelessStatus(answer: unknown): number {
  const code = (answer as { error?: { code?: unknown } } | undefined)?.error?.code;
  if (code === RPC.methodNotFound) return 404;
  if (code === RPC.unsupportedProtocolVersion || code === RPC.headerMismatch || code === RPC.missingClientCapability) return 400;
  return 200;
}

/** How long a child has to exit once its input is closed, before it is sent SIGTERM; and after that, before SIGKILL. */
const EXIT_GRACE_MS = 1000;
const KILL_GRACE_MS = 2000;

/**
 * MCP's stdio shutdown: close the child's input and let it exit, then SIGTERM if it has not within
 * a second, then SIGKILL two seconds later. A line written just before (a notification relayed on
 * its own) is read before the end of input, not lost to a signal.
 */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        child.kill(signal);
      }
    };
    const term = setTimeout(() => signalGroup('SIGTERM'), EXIT_GRACE_MS);
    const kill = setTimeout(() => signalGroup('SIGKILL'), EXIT_GRACE_MS + KILL_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve();
    });
    child.stdin?.end();
  });
}
