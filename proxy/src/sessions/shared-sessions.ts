/**
 * Client sessions in the store that replicas share (Redis), so that any replica serves any session:
 * a record per session (its owner, the protocol version, and its upstream side as the connector
 * saves it), and one sorted set of every session by the time it was last seen.
 *
 * A replica keeps copies of the records it has read, so that a request costs no round trip to the
 * store. Every change to a record, and its end, is published in the same transaction that makes it,
 * before the replica that made it answers its client: by the time a client can ask another replica,
 * that replica has been told, and drops its copy. While a replica is not sure to hear (not yet
 * subscribed, or its listening connection dropped) it keeps no copies and reads the store each time.
 *
 * Idleness is shared too, at the cost of no round trip per request: each sweep, a replica writes the
 * last-seen times of the sessions it served since the last one, and refreshes those it is serving
 * now (a request in flight, a stream open), so a session busy anywhere is not idle. Sweeps come every
 * quarter of the idle time, so what a replica has not written yet is never old enough to matter. A
 * replica that dies stops writing, and its sessions become idle like any other. Every replica sweeps,
 * and a session is reaped by the one that claims it first (one atomic script), which tells the upstream.
 */
import { endIdleSession, newSession, randomSessionId, sweepIdle, type ProxySession, type SessionMap, type SessionMapOptions } from './session-map.ts';
import type { UpstreamSession, UpstreamSessionState } from '../upstream/types.ts';
import { inStore, type SharedState } from '../state/redis.ts';

/** A session as the store holds it. */
interface SessionRecord {
  owner: string | null;
  createdAt: number;
  protocolVersion?: string;
  upstream: UpstreamSessionState;
}

export interface SharedSessionOptions extends SessionMapOptions {
  /** The session a record describes; undefined when this replica cannot carry it. */
  revive: (state: UpstreamSessionState) => UpstreamSession | undefined;
}

/** Removes the session from the set and returns its record, if it is still there and idle since before the cut-off. */
const CLAIM_IDLE = `
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not seen or tonumber(seen) > tonumber(ARGV[2]) then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
local record = redis.call('GET', KEYS[2])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return record`;

export function createSharedSessionMap(state: SharedState, options: SharedSessionOptions): SessionMap {
  const map = new SharedSessionMap(state, options);
  // A plain object, as every part the proxy hands out: a wrapper (ProxyParts.sessions) may spread it.
  return {
    create: (upstream, owner, protocolVersion) => map.create(upstream, owner, protocolVersion),
    get: (id) => map.get(id),
    save: (session) => map.save(session),
    hold: (session) => map.hold(session),
    remove: (id) => map.remove(id),
    size: () => map.size(),
    closeAll: () => map.closeAll(),
  };
}

class SharedSessionMap implements SessionMap {
  private readonly idleTimeoutMs: number;
  private readonly newId: () => string;
  private readonly seenKey: string;
  /** Sessions this replica is serving now, with how many requests and streams. */
  private readonly busy = new Map<string, number>();
  /** When this replica last saw each session, since the last sweep wrote it. */
  private readonly seen = new Map<string, number>();
  /** Copies of records this replica has read or written, dropped whenever any replica changes or ends them. */
  private readonly copies = new Map<string, string>();
  /** Changes heard so far: a record read while one arrived may be older than the change, and is not kept. */
  private changes = 0;
  /** The last count the store gave, for when it cannot give one. */
  private counted = 0;
  private sweeping = false;
  private readonly sweeper: ReturnType<typeof sweepIdle>;

  constructor(
    private readonly state: SharedState,
    private readonly options: SharedSessionOptions,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.newId = options.newId ?? randomSessionId;
    this.seenKey = `${state.prefix}sessions`;
    state.sessionChanges.subscribe((id) => {
      this.changes++;
      if (id === null) this.copies.clear();
      else this.copies.delete(id);
    });
    this.sweeper = sweepIdle(this.idleTimeoutMs, () => {
      if (this.sweeping) return;
      this.sweeping = true;
      // A store that is away now is asked again at the next sweep.
      void this.sweep()
        .catch(() => undefined)
        .finally(() => (this.sweeping = false));
    });
  }

  async create(upstream: UpstreamSession, owner: string | undefined, protocolVersion: string | undefined): Promise<ProxySession> {
    const { redis } = this.state;
    const session = newSession(this.newId(), upstream, owner, protocolVersion);
    session.stored = serialise(session);
    const heard = this.changes;
    await inStore(() => redis.multi().set(this.keyOf(session.id), session.stored!).zadd(this.seenKey, session.createdAt, session.id).exec());
    this.keep(session.id, session.stored, heard);
    return session;
  }

  async get(id: string): Promise<ProxySession | undefined> {
    let text = this.state.sessionChanges.listening() ? this.copies.get(id) : undefined;
    if (text === undefined) {
      const heard = this.changes;
      const read = await inStore(() => this.state.redis.get(this.keyOf(id)));
      if (read === null) return undefined;
      text = read;
      this.keep(id, text, heard);
    }
    this.seen.set(id, Date.now());
    return this.revive(id, text);
  }

  async save(session: ProxySession): Promise<void> {
    const text = serialise(session);
    if (text === session.stored) return;
    // XX: a session deleted meanwhile (on any replica) stays deleted. The others drop their copies.
    this.copies.delete(session.id);
    await inStore(() => this.state.redis.multi().set(this.keyOf(session.id), text, 'XX').publish(this.state.sessionChannel, session.id).exec());
    session.stored = text;
  }

  hold(session: ProxySession): () => void {
    const { busy } = this;
    busy.set(session.id, (busy.get(session.id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (busy.get(session.id) ?? 1) - 1;
      if (left > 0) busy.set(session.id, left);
      else busy.delete(session.id);
      this.seen.set(session.id, Date.now());
    };
  }

  async remove(id: string): Promise<void> {
    this.copies.delete(id);
    await inStore(() => this.state.redis.multi().del(this.keyOf(id)).zrem(this.seenKey, id).publish(this.state.sessionChannel, id).exec());
  }

  size(): Promise<number> {
    return this.state.redis.zcard(this.seenKey).then(
      (n) => (this.counted = n),
      () => this.counted,
    );
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    this.copies.clear();
  }

  private keyOf(id: string): string {
    return `${this.state.prefix}session:${id}`;
  }

  private keep(id: string, text: string, heardBefore: number): void {
    if (this.state.sessionChanges.listening() && this.changes === heardBefore) this.copies.set(id, text);
  }

  private revive(id: string, text: string): ProxySession | undefined {
    let record: SessionRecord;
    try {
      record = JSON.parse(text) as SessionRecord;
    } catch {
      return undefined;
    }
    const upstream = this.options.revive(record.upstream ?? {});
    if (!upstream) return undefined;
    const now = Date.now();
    return {
      id,
      upstream,
      owner: record.owner ?? undefined,
      createdAt: record.createdAt,
      lastSeenAt: now,
      active: 0,
      ...(record.protocolVersion !== undefined && { protocolVersion: record.protocolVersion }),
      stored: text,
    };
  }

  private async sweep(): Promise<void> {
    const { redis, sessionChannel } = this.state;
    const now = Date.now();
    // Busy here is not idle anywhere: written before anyone looks for idle sessions.
    for (const id of this.busy.keys()) this.seen.set(id, now);
    if (this.seen.size) {
      const times = [...this.seen].flatMap(([id, at]) => [at, id]);
      this.seen.clear();
      // XX: a session deleted meanwhile is not brought back; GT: a later time another replica wrote stays.
      await redis.zadd(this.seenKey, 'XX', 'GT', ...times);
    }
    const cutoff = now - this.idleTimeoutMs;
    const idle = await redis.zrangebyscore(this.seenKey, '-inf', cutoff, 'LIMIT', 0, 200);
    for (const id of idle) {
      const claimed = (await redis.eval(CLAIM_IDLE, 2, this.seenKey, this.keyOf(id), id, cutoff, sessionChannel)) as string | null;
      if (!claimed) continue;
      const session = this.revive(id, claimed);
      if (session) await endIdleSession(session, this.options.onReaped);
    }
  }
}

function serialise(session: ProxySession): string {
  const record: SessionRecord = {
    owner: session.owner ?? null,
    createdAt: session.createdAt,
    ...(session.protocolVersion !== undefined && { protocolVersion: session.protocolVersion }),
    upstream: session.upstream.state?.() ?? {},
  };
  return JSON.stringify(record);
}
