/**
 * Rate limits per subject, on @fastify/rate-limit (whose store can be Redis when there are several
 * replicas). Registered inside the MCP routes' scope, after authentication, so that the key is the
 * token's subject and the health endpoints are never limited.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ProxyConfig } from '../config/schema.ts';
import { WireErrors } from '../errors.ts';
import type { RpcId } from '../protocol/message.ts';

type Rate = { requests: number; windowMs: number };

/** Counters shared by replicas: a limit holds for the sum of what they all served. */
export interface RateLimitStore {
  redis: Redis;
  prefix: string;
}

/** The request's JSON-RPC id, when its body has one (read only for a refusal). */
function requestId(request: FastifyRequest): RpcId {
  try {
    const id = (JSON.parse((request.body as Buffer | undefined)?.toString('utf8') ?? '') as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}

export async function registerRateLimit(
  app: FastifyInstance,
  config: ProxyConfig['rateLimit'],
  keyOf: (request: FastifyRequest) => string,
  store: RateLimitStore | undefined,
  refuse: (wire: ReturnType<typeof WireErrors.rateLimited>, id: RpcId) => Error,
  onRefused: (request: FastifyRequest) => void,
): Promise<void> {
  const subjects = new Map(Object.entries(config.subjects));
  if (!config.default && subjects.size === 0) return;
  // Whose limit applies is the subject's business; what is counted together is the key's (the subject too, unless told otherwise).
  const rateOf = (request: FastifyRequest): Rate | undefined => (request.principal ? subjects.get(request.principal.subject) : undefined) ?? config.default;
  await app.register(rateLimit, {
    global: true,
    // After the onRequest hooks: the token has been checked and the subject is known.
    hook: 'preHandler',
    keyGenerator: keyOf,
    // A store that is away fails the request (503), rather than letting it through unlimited.
    ...(store && { redis: store.redis, nameSpace: `${store.prefix}rate:`, skipOnError: false }),
    allowList: (request) => rateOf(request) === undefined,
    max: async (request) => rateOf(request)!.requests,
    timeWindow: async (request) => rateOf(request)!.windowMs,
    // Relayed answers carry the upstream's headers, not the limiter's; a refusal carries Retry-After.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
    onExceeded: (request) => onRefused(request),
    errorResponseBuilder: (request) => refuse(WireErrors.rateLimited(), requestId(request)),
  });
}
