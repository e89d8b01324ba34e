/**
 * The store that replicas of the proxy share (`state.redis`), on ioredis. Commands fail fast while
 * Redis is away (no offline queue, one retry, a timeout), so a request waits at most `timeoutMs` and
 * then gets the proxy's own 503: a session is never guessed, and never served from a stale copy.
 * A second connection listens for circuits that other replicas opened.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ProxyConfig } from '../config/schema.ts';
import { WireErrors } from '../errors.ts';
import type { CircuitBus } from '../upstream/http.ts';

export interface SharedState {
  redis: Redis;
  prefix: string;
  circuits: CircuitBus;
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
  // The listener may queue its SUBSCRIBE until connected; ioredis subscribes again after a reconnect.
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
  const channel = `${config.keyPrefix}circuits`;
  const self = randomBytes(8).toString('hex');
  const listeners: Array<(url: string, openMs: number) => void> = [];
  void listener.subscribe(channel).catch(() => undefined);
  listener.on('message', (_channel: string, text: string) => {
    try {
      const { from, url, openMs } = JSON.parse(text) as { from: string; url: string; openMs: number };
      if (from === self || typeof url !== 'string' || typeof openMs !== 'number') return;
      for (const listen of listeners) listen(url, openMs);
    } catch {
      // Not one of ours.
    }
  });
  return {
    redis,
    prefix: config.keyPrefix,
    circuits: {
      publish: (url, openMs) => void redis.publish(channel, JSON.stringify({ from: self, url, openMs })).catch(() => undefined),
      subscribe: (listen) => void listeners.push(listen),
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
