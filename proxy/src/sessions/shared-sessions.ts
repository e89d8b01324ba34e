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
  const { redis, prefix } = state;
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  const newId = options.newId ?? randomSessionId;
  const seenKey = `${prefix}sessions`;
  const keyOf = (id: string) => `${prefix}session:${id}`;
  /** Sessions this replica is serving now, with how many requests and streams. */
  const busy = new Map<string, number>();
  /** When this replica last saw each session, since the last sweep wrote it. */
  const seen = new Map<string, number>();
  /** Copies of records this replica has read or written, dropped whenever any replica changes or ends them. */
  const copies = new Map<string, string>();
  /** Changes heard so far: a record read while one arrived may be older than the change, and is not kept. */
  let changes = 0;
  state.sessionChanges.subscribe((id) => {
    changes++;
    if (id === null) copies.clear();
    else copies.delete(id);
  });
  const keep = (id: string, text: string, heardBefore: number) => {
    if (state.sessionChanges.listening() && changes === heardBefore) copies.set(id, text);
  };
  const { sessionChannel } = state;
  /** The last count the store gave, for when it cannot give one. */
  let counted = 0;

  const serialise = (session: ProxySession): string => {
    const record: SessionRecord = {
      owner: session.owner ?? null,
      createdAt: session.createdAt,
      ...(session.protocolVersion !== undefined && { protocolVersion: session.protocolVersion }),
      upstream: session.upstream.state?.() ?? {},
    };
    return JSON.stringify(record);
  };

  const revive = (id: string, text: string): ProxySession | undefined => {
    let record: SessionRecord;
    try {
      record = JSON.parse(text) as SessionRecord;
    } catch {
      return undefined;
    }
    const upstream = options.revive(record.upstream ?? {});
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
  };

  const reap = async (id: string, text: string) => {
    const session = revive(id, text);
    if (session) await endIdleSession(session, options.onReaped);
  };

  const sweep = async () => {
    const now = Date.now();
    // Busy here is not idle anywhere: written before anyone looks for idle sessions.
    for (const id of busy.keys()) seen.set(id, now);
    if (seen.size) {
      const times = [...seen].flatMap(([id, at]) => [at, id]);
      seen.clear();
      // XX: a session deleted meanwhile is not brought back; GT: a later time another replica wrote stays.
      await redis.zadd(seenKey, 'XX', 'GT', ...times);
    }
    const cutoff = now - idleTimeoutMs;
    const idle = await redis.zrangebyscore(seenKey, '-inf', cutoff, 'LIMIT', 0, 200);
    for (const id of idle) {
      const claimed = (await redis.eval(CLAIM_IDLE, 2, seenKey, keyOf(id), id, cutoff, sessionChannel)) as string | null;
      if (claimed) await reap(id, claimed);
    }
  };

  let sweeping = false;
  const sweeper = sweepIdle(idleTimeoutMs, () => {
    if (sweeping) return;
    sweeping = true;
    // A store that is away now is asked again at the next sweep.
    void sweep()
      .catch(() => undefined)
      .finally(() => (sweeping = false));
  });

  return {
    async create(upstream, owner, protocolVersion) {
      const session = newSession(newId(), upstream, owner, protocolVersion);
      session.stored = serialise(session);
      const heard = changes;
      await inStore(() => redis.multi().set(keyOf(session.id), session.stored!).zadd(seenKey, session.createdAt, session.id).exec());
      keep(session.id, session.stored, heard);
      return session;
    },
    async get(id) {
      let text = state.sessionChanges.listening() ? copies.get(id) : undefined;
      if (text === undefined) {
        const heard = changes;
        const read = await inStore(() => redis.get(keyOf(id)));
        if (read === null) return undefined;
        text = read;
        keep(id, text, heard);
      }
      seen.set(id, Date.now());
      return revive(id, text);
    },
    async save(session) {
      const text = serialise(session);
      if (text === session.stored) return;
      // XX: a session deleted meanwhile (on any replica) stays deleted. The others drop their copies.
      copies.delete(session.id);
      await inStore(() => redis.multi().set(keyOf(session.id), text, 'XX').publish(sessionChannel, session.id).exec());
      session.stored = text;
    },
    hold(session) {
      busy.set(session.id, (busy.get(session.id) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (busy.get(session.id) ?? 1) - 1;
        if (left > 0) busy.set(session.id, left);
        else busy.delete(session.id);
        seen.set(session.id, Date.now());
      };
    },
    async remove(id) {
      copies.delete(id);
      await inStore(() => redis.multi().del(keyOf(id)).zrem(seenKey, id).publish(sessionChannel, id).exec());
    },
    size: () =>
      redis.zcard(seenKey).then(
        (n) => (counted = n),
        () => counted,
      ),
    async closeAll() {
      clearInterval(sweeper);
      copies.clear();
    },
  };
}
