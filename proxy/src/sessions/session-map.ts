/**
 * Client sessions minted by the proxy, each mapped to its upstream session. Ids are 192 random bits
 * in base64url: visible ASCII, unguessable, and never the upstream's own id. A session belongs to the
 * subject whose token opened it. One idle for longer than the configured time (no request in flight,
 * no stream open) is ended, with a DELETE upstream, so that neither side keeps it for ever.
 */
import { randomBytes } from 'node:crypto';
import type { UpstreamSession } from '../upstream/types.ts';

export interface ProxySession {
  id: string;
  upstream: UpstreamSession;
  /** The token subject that opened the session; undefined without authentication. */
  owner: string | undefined;
  createdAt: number;
  lastSeenAt: number;
  /** Requests and streams of this session still open. */
  active: number;
  /** The MCP-Protocol-Version the client last sent, repeated on the proxy's own DELETE. */
  protocolVersion?: string;
  /** What a shared store last held for the session (its serialised record), to write only what changed. */
  stored?: string;
}

export interface SessionMapOptions {
  /** End sessions idle this long; 0 = never. */
  idleTimeoutMs?: number;
  /** Called for each session ended for idleness, after its upstream side is told. */
  onReaped?: (session: ProxySession) => void;
  /** Session id generator; default 192 random bits. */
  newId?: () => string;
}

/**
 * Where sessions live: this process's memory (below), or a store that every replica shares
 * (shared-sessions.ts). Asynchronous, since a shared store is a round trip away.
 */
export interface SessionMap {
  create(upstream: UpstreamSession, owner: string | undefined, protocolVersion: string | undefined): Promise<ProxySession>;
  get(id: string): Promise<ProxySession | undefined>;
  /** Keeps what a request changed (the upstream session moved, another protocol version). */
  save(session: ProxySession): Promise<void>;
  /** Marks the session busy until the returned function is called. */
  hold(session: ProxySession): () => void;
  /** Forgets a session and releases its upstream side. */
  remove(id: string): Promise<void>;
  /** Sessions open (in a shared store: on every replica together, asked of the store). */
  size(): number | Promise<number>;
  /** Stops sweeping and releases what this process holds; sessions in a shared store stay for the other replicas. */
  closeAll(): Promise<void>;
}

/** 192 random bits in base64url. */
export const randomSessionId = () => randomBytes(24).toString('base64url');

/** A session just opened, not yet busy. */
export function newSession(id: string, upstream: UpstreamSession, owner: string | undefined, protocolVersion: string | undefined): ProxySession {
  const now = Date.now();
  return { id, upstream, owner, createdAt: now, lastSeenAt: now, active: 0, ...(protocolVersion !== undefined && { protocolVersion }) };
}

/** Ends an idle session upstream (a DELETE, whatever it answers: the upstream may be gone already) and tells `onReaped`. */
export async function endIdleSession(session: ProxySession, onReaped: SessionMapOptions['onReaped']): Promise<void> {
  const headers: Record<string, string> = session.protocolVersion ? { 'mcp-protocol-version': session.protocolVersion } : {};
  await session.upstream
    .delete(headers)
    .then((reply) => reply.body?.resume())
    .catch(() => undefined);
  await session.upstream.close();
  onReaped?.(session);
}

/** Runs `sweep` every quarter of the idle time (between 250 ms and a minute); none for no idle time. */
export function sweepIdle(idleTimeoutMs: number, sweep: () => void): NodeJS.Timeout | undefined {
  if (idleTimeoutMs <= 0) return undefined;
  const timer = setInterval(sweep, Math.min(Math.max(idleTimeoutMs / 4, 250), 60_000));
  timer.unref();
  return timer;
}

export function createSessionMap(options: SessionMapOptions = {}): SessionMap {
  const sessions = new Map<string, ProxySession>();
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  const newId = options.newId ?? randomSessionId;
  const remove = async (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    await session.upstream.close();
  };

  const reap = async (session: ProxySession) => {
    sessions.delete(session.id);
    await endIdleSession(session, options.onReaped);
  };

  const sweeper = sweepIdle(idleTimeoutMs, () => {
    const cutoff = Date.now() - idleTimeoutMs;
    for (const session of sessions.values()) if (session.active === 0 && session.lastSeenAt < cutoff) void reap(session);
  });

  return {
    async create(upstream, owner, protocolVersion) {
      const session = newSession(newId(), upstream, owner, protocolVersion);
      sessions.set(session.id, session);
      upstream.onEnded?.(() => void remove(session.id));
      return session;
    },
    async get(id) {
      const session = sessions.get(id);
      if (session) session.lastSeenAt = Date.now();
      return session;
    },
    // The session object is the record: nothing to write.
    async save() {},
    hold(session) {
      session.active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        session.active--;
        session.lastSeenAt = Date.now();
      };
    },
    remove,
    size: () => sessions.size,
    async closeAll() {
      clearInterval(sweeper);
      await Promise.all([...sessions.keys()].map(remove));
    },
  };
}
