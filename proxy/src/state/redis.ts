/**
 * The store that replicas of the proxy share (`state.redis`), on ioredis. Commands fail fast while
 * Redis is away (no offline queue, one retry, a timeout), so a request waits at most `timeoutMs` and
 * then gets the proxy's own 503: a session is never guessed, and never served from a stale copy.
 * A second connection listens for what other replicas say: circuits they opened, sessions that
 * changed or ended (so that a replica may keep copies of session records and still never serve one
 * that is gone).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ProxyConfig } from '../config/schema.ts';
import { WireErrors } from '../errors.ts';

/** Messages between replicas, by topic: a JSON object each. */
export interface EventBus {
  publish(topic: string, body: Record<string, unknown>): Promise<void>;
  subscribe(topic: string, listener: (body: Record<string, unknown>) => void): void;
}

export interface SharedState {
  redis: Redis;
  prefix: string;
  /** What replicas tell one another (circuits, what the upstream speaks): each replica hears the others', never its own. */
  events: EventBus;
  /** The channel on which a session's id is published whenever its record changes or goes. */
  sessionChannel: string;
  sessionChanges: {
    /** Whether every change published now reaches this replica (subscribed, connected). */
    listening(): boolean;
    /** Called with the id of each session changed or ended on any replica; with null when changes may have been missed. */
    subscribe(listen: (id: string | null) => void): void;
  };
  /** Whether the store is connected now (part of readiness). */
  connected(): boolean;
  /** Resolves once connected, or after `ms` (the proxy starts anyway, not ready, and asks again). */
  settled(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Runs a store command; a store that fails or does not answer becomes the proxy's 503. */
export async function inStore<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch {
    throw WireErrors.stateUnavailable();
  }
}

/**
 * Whether an error came from the store's connection (as ioredis words them), for errors raised in a
 * library's hands (the rate limiter's counters) rather than through `inStore`.
 */
export function isStoreError(err: Error): boolean {
  return err.name === 'MaxRetriesPerRequestError' || /Connection is closed|enableOfflineQueue|Command timed out|connect ECONNREFUSED/.test(err.message);
}

export function connectSharedState(config: ProxyConfig['state'], log: (err: Error) => void): SharedState | undefined {
  if (config.redis === undefined) return undefined;
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: config.timeoutMs,
    connectTimeout: config.timeoutMs,
    // Keep trying to reconnect, a little slower each time, up to a second apart.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  };
  const redis = new Redis(config.redis, options);
  // The listener subscribes each time it is (re)connected.
  const listener = new Redis(config.redis, { connectTimeout: config.timeoutMs, retryStrategy: options.retryStrategy });
  // ioredis reports a lost connection as an 'error' event: logged, never fatal, since it reconnects.
  let reported = false;
  for (const connection of [redis, listener]) {
    connection.on('error', (err: Error) => {
      if (!reported) log(err);
      reported = true;
    });
    connection.on('ready', () => (reported = false));
  }
  // What replicas tell one another: events by topic, and sessions that changed or ended.
  const eventChannel = `${config.keyPrefix}events`;
  const sessionChannel = `${config.keyPrefix}sessions:changed`;
  const self = randomBytes(8).toString('hex');
  const eventListeners = new Map<string, Array<(body: Record<string, unknown>) => void>>();
  const sessionListeners: Array<(id: string | null) => void> = [];
  let listening = false;
  const forgetAll = () => {
    for (const listen of sessionListeners) listen(null);
  };
  // Until subscribed (and whenever the connection drops), messages may be missed: nothing heard before counts.
  listener.on('ready', () => {
    void listener.subscribe(eventChannel, sessionChannel).then(
      () => {
        forgetAll();
        listening = true;
      },
      () => undefined,
    );
  });
  listener.on('close', () => {
    listening = false;
    forgetAll();
  });
  listener.on('message', (channel: string, text: string) => {
    if (channel === sessionChannel) {
      for (const listen of sessionListeners) listen(text);
      return;
    }
    try {
      const { from, topic, body } = JSON.parse(text) as { from?: unknown; topic?: unknown; body?: unknown };
      if (from === self || typeof topic !== 'string' || typeof body !== 'object' || body === null) return;
      for (const listen of eventListeners.get(topic) ?? []) listen(body as Record<string, unknown>);
    } catch {
      // Not one of ours.
    }
  });
  return {
    redis,
    prefix: config.keyPrefix,
    sessionChannel,
    events: {
      // Told or not, the sender goes on: a replica that missed an event learns the same on its own.
      publish: (topic, body) => redis.publish(eventChannel, JSON.stringify({ from: self, topic, body })).then(() => undefined, () => undefined),
      subscribe: (topic, listen) => void eventListeners.set(topic, [...(eventListeners.get(topic) ?? []), listen]),
    },
    sessionChanges: {
      listening: () => listening,
      subscribe: (listen) => void sessionListeners.push(listen),
    },
    connected: () => redis.status === 'ready',
    settled: (ms) =>
      new Promise<void>((resolve) => {
        if (redis.status === 'ready') return resolve();
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          redis.off('ready', done);
          resolve();
        }
        redis.once('ready', done);
      }),
    async close() {
      redis.disconnect();
      listener.disconnect();
    },
  };
}
