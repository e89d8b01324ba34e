/**
 * Legacy sessions kept between the modern requests of a stdio upstream. Over HTTP a legacy session
 * per request costs a round trip; over stdio it costs a process, and a server started with `npx`
 * takes seconds to answer its first line. So the bridge keeps what it opened, for the next request
 * that would have opened the same session:
 *
 * - a session is kept for one key: the principal, and the capabilities and identity the client
 *   declared (what the legacy server learnt in `initialize`), so no client is served by a session
 *   that another principal, or a client of other capabilities, opened;
 * - a kept session serves one request at a time, so what the server says during the request
 *   (progress, logs, its own requests) belongs to that request alone;
 * - it goes back only when its request ended as it should (the upstream's answer read, the client
 *   still there); a cancelled or cut request ends its session, as it ended its process before;
 * - `spare` processes are started ahead of need, so that a key seen for the first time waits for
 *   `initialize` and not for the process to start;
 * - a list change that a legacy server announces during a request reaches every subscription of the
 *   principal (`watch`), since the server instance that changed is any of the principal's.
 */
import type { UpstreamConnector, UpstreamSession } from '../upstream/types.ts';
import type { Message } from './answers.ts';

export interface LegacyPoolConfig {
  /** Idle sessions kept, for all keys together; 0 keeps none (a process per request). */
  maxIdle: number;
  /** How long a kept session may stay idle before it is ended. */
  idleTimeoutMs: number;
  /** Processes started ahead of need. */
  spare: number;
}

/** A legacy session opened and initialized, as the bridge uses it for each request. */
export interface KeptSession<Opened> {
  key: string;
  session: UpstreamSession;
  opened: Opened;
}

export class LegacyPool<Opened> {
  /** Idle sessions, oldest first. */
  private readonly idle: Array<KeptSession<Opened> & { timer: NodeJS.Timeout }> = [];
  private readonly spares: UpstreamSession[] = [];
  private readonly watchers = new Map<string, Set<(message: Message | null) => void>>();
  /** Sessions handed out whose process has exited: they go back to nobody. */
  private readonly exited = new WeakSet<UpstreamSession>();
  private closed = false;

  constructor(
    private readonly connector: UpstreamConnector,
    private readonly config: LegacyPoolConfig,
    /** Ends a session the pool does not keep (DELETE, then its process stops). */
    private readonly end: (kept: KeptSession<Opened>) => void,
  ) {}

  /** An idle session of the key, now the caller's alone; none when there is none. */
  take(key: string): KeptSession<Opened> | undefined {
    const at = this.idle.findIndex((k) => k.key === key);
    if (at < 0) return undefined;
    const [kept] = this.idle.splice(at, 1);
    clearTimeout(kept!.timer);
    return { key: kept!.key, session: kept!.session, opened: kept!.opened };
  }

  /** A new upstream session: a spare when one is ready, with another started in its place. */
  open(): UpstreamSession {
    const session = this.spares.shift() ?? this.track(this.connector.open());
    this.refill();
    return session;
  }

  /** A session back from its request: kept when it may serve another and there is room, else ended. */
  give(kept: KeptSession<Opened>, reusable: boolean): void {
    if (!reusable || this.closed || this.exited.has(kept.session) || this.config.maxIdle === 0) return this.end(kept);
    const timer = setTimeout(() => this.drop(kept.session, true), this.config.idleTimeoutMs);
    timer.unref();
    this.idle.push({ ...kept, timer });
    while (this.idle.length > this.config.maxIdle) this.drop(this.idle[0]!.session, true);
  }

  /** Every list change announced in a session of the principal, until the returned function is called; `null` when the pool closes. */
  watch(principal: string, listener: (message: Message | null) => void): () => void {
    let set = this.watchers.get(principal);
    if (!set) this.watchers.set(principal, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(principal) === set) this.watchers.delete(principal);
    };
  }

  publish(principal: string, message: Message): void {
    for (const listener of this.watchers.get(principal) ?? []) listener(message);
  }

  /** Ends what is kept and tells the watchers; the connector stops the processes. */
  close(): void {
    this.closed = true;
    for (const kept of this.idle.splice(0)) clearTimeout(kept.timer);
    this.spares.splice(0);
    for (const set of this.watchers.values()) for (const listener of set) listener(null);
    this.watchers.clear();
  }

  private refill(): void {
    while (!this.closed && this.spares.length < this.config.spare) this.spares.push(this.track(this.connector.open()));
  }

  /** A session whose process exits is forgotten wherever the pool holds it. */
  private track(session: UpstreamSession): UpstreamSession {
    session.onEnded?.(() => {
      this.exited.add(session);
      this.drop(session, false);
      const spare = this.spares.indexOf(session);
      if (spare >= 0) this.spares.splice(spare, 1);
    });
    return session;
  }

  private drop(session: UpstreamSession, end: boolean): void {
    const at = this.idle.findIndex((k) => k.session === session);
    if (at < 0) return;
    const [kept] = this.idle.splice(at, 1);
    clearTimeout(kept!.timer);
    if (end) this.end(kept!);
  }
}
