/**
 * Client sessions minted by the proxy, each mapped to its upstream session. Ids are 192 random bits
 * in base64url: visible ASCII, unguessable, and never the upstream's own id.
 */
import { randomBytes } from 'node:crypto';
import type { UpstreamSession } from '../upstream/types.ts';

export interface ProxySession {
  id: string;
  upstream: UpstreamSession;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionMap {
  create(upstream: UpstreamSession): ProxySession;
  get(id: string): ProxySession | undefined;
  /** Forgets a session and releases its upstream side. */
  remove(id: string): Promise<void>;
  size(): number;
  closeAll(): Promise<void>;
}

export function createSessionMap(): SessionMap {
  const sessions = new Map<string, ProxySession>();
  const remove = async (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    await session.upstream.close();
  };
  return {
    create(upstream) {
      const now = Date.now();
      const session: ProxySession = { id: randomBytes(24).toString('base64url'), upstream, createdAt: now, lastSeenAt: now };
      sessions.set(session.id, session);
      upstream.onEnded?.(() => void remove(session.id));
      return session;
    },
    get(id) {
      const session = sessions.get(id);
      if (session) session.lastSeenAt = Date.now();
      return session;
    },
    remove,
    size: () => sessions.size,
    async closeAll() {
      await Promise.all([...sessions.keys()].map(remove));
    },
  };
}
