/**
 * The reference MCP proxy as a library: `buildProxy(config)` returns a fastify app, not yet listening.
 *
 * @example
 * const app = await buildProxy(parseConfig({ upstream: { url: 'http://127.0.0.1:9000/mcp' } }));
 * await app.listen({ port: 0, host: '127.0.0.1' });
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { ProxyWireError, WireErrors } from './errors.ts';
import type { RpcId } from './protocol/message.ts';
import { isHttpUpstream, type ProxyConfig } from './config/schema.ts';
import { createHttpConnector, isHttpConnector, type CircuitBus } from './upstream/http.ts';
import { createStdioConnector } from './upstream/stdio.ts';
import { createSessionMap, type ProxySession, type SessionMap } from './sessions/session-map.ts';
import { createSharedSessionMap } from './sessions/shared-sessions.ts';
import { connectSharedState, isStoreError, type EventBus, type SharedState } from './state/redis.ts';
import { reviveBridgedSession } from './bridge/to-modern.ts';
import { createLegacyPool } from './bridge/to-legacy.ts';
import { SharedStdio } from './upstream/stdio-shared.ts';
import { ERA_FACTS, UpstreamEra, type EraFact } from './bridge/era.ts';
import { createOriginPolicy } from './policy/origin.ts';
import { createStateSeal } from './bridge/state-seal.ts';
import { mcpRoutes, RoutedWireError, type McpRouteOptions, type RequestRecord } from './routes/mcp.ts';
import { createMetrics, outcomeOf, type ProxyMetrics } from './observe/metrics.ts';
import { createAuditLog, type AuditLog } from './observe/audit.ts';
import { createPolicy, type Policy } from './policy/policy.ts';
import { healthRoutes } from './routes/health.ts';
import { createAuthGate, resourceMetadataRoutes, type AuthGate, type Principal } from './auth/plugin.ts';
import type { AuthConfig } from './config/schema.ts';
import type { UpstreamConnector } from './upstream/types.ts';
import type { UpstreamCredential } from './upstream/credential.ts';
import { RPC } from './protocol/codes.ts';

export { parseConfig, loadConfigFile } from './config/load.ts';
export { ProxyConfigSchema } from './config/schema.ts';
export type { ProxyConfig, ProxyConfigInput } from './config/schema.ts';
export { ProxyError, ProxyWireError, ERROR_SOURCE, WireErrors } from './errors.ts';
export { createAuthGate, resourceMetadataUrl, type AuthGate, type Principal } from './auth/plugin.ts';
export { createTokenVerifier, discoverJwksUri, TokenRejected, type TokenVerifier } from './auth/verifier.ts';
export { ClientGone, type UpstreamConnector } from './upstream/types.ts';
export type { ProxySession, SessionMap } from './sessions/session-map.ts';
export { mirroredHeaderMismatch } from './protocol/mirrored.ts';
export { ParamHeaders } from './protocol/param-headers.ts';
export { createPolicy, type Policy } from './policy/policy.ts';
export { createUpstreamCredential, tokenRequestBody } from './upstream/credential.ts';
export type { AuditLog } from './observe/audit.ts';

/** How long a stdio server has to answer the era probe (it may be starting) before its silence marks it legacy. */
const STDIO_PROBE_SILENCE_MS = 10_000;

/**
 * Replaceable parts, for embedding and for tests: a custom token check, an instrumented upstream
 * connector, another notion of who owns a session, another session id generator.
 */
export interface ProxyParts {
  authGate?: (auth: AuthConfig) => AuthGate;
  connector?: (built: UpstreamConnector) => UpstreamConnector;
  sessionOwner?: (principal: Principal | null) => string | undefined;
  newSessionId?: () => string;
  /** Whom a rate limit counts a request against; default the token's subject (the client's address without auth). */
  rateLimitKey?: (request: FastifyRequest) => string;
  /** Wraps the metrics the proxy keeps. */
  metrics?: (built: ProxyMetrics) => ProxyMetrics;
  /** Wraps the audit trail, when the config asks for one. */
  audit?: (built: AuditLog) => AuditLog;
  /** Replaces the policy built from the config (null for none). */
  policy?: Policy | null;
  /** Wraps the readiness test (is there an upstream to send to). */
  readiness?: (built: () => Promise<boolean>) => () => Promise<boolean>;
  /** Replaces the check of a stateless request's mirrored headers against its body. */
  headerCheck?: McpRouteOptions['headerCheck'];
  /** Replaces what judges a tools/call's Mcp-Param headers against its arguments. */
  paramHeaders?: McpRouteOptions['paramHeaders'];
  /** Wraps where sessions live (this process, or the store replicas share). */
  sessions?: (built: SessionMap) => SessionMap;
  /** Wraps what gives an HTTP upstream request its credential. */
  upstreamCredential?: (built: UpstreamCredential) => UpstreamCredential;
}

export interface ProxyApp extends FastifyInstance {
  /** Stops taking requests, lets in-flight ones finish (up to `shutdown.graceMs`), then closes streams and upstreams. */
  shutdown(): Promise<void>;
}

/** Answers a request the HTTP parser refused (head too large, too slow, malformed) with a JSON-RPC error, then closes. */
function refuseOnSocket(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text, wire] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ([431, 'Request Header Fields Too Large', WireErrors.headersTooLarge()] as const)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ([408, 'Request Timeout', new ProxyWireError(408, RPC.invalidRequest, 'Request Timeout')] as const)
        : ([400, 'Bad Request', WireErrors.invalidRequest('malformed HTTP request')] as const);
  const body = wire.body(null);
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * What one replica learns of the upstream's era, all of them know: told on the event bus (topic
 * `era`) and kept in the store for replicas that start later.
 */
function shareEra(era: UpstreamEra, shared: SharedState): void {
  const key = `${shared.prefix}era`;
  const known = (fact: unknown): fact is EraFact => (ERA_FACTS as readonly unknown[]).includes(fact);
  era.onLearnt = (fact) => {
    void shared.redis.sadd(key, fact).catch(() => undefined);
    void shared.events.publish('era', { fact });
  };
  shared.events.subscribe('era', ({ fact }) => {
    if (known(fact)) era.apply(fact);
  });
  void shared.redis.smembers(key).then(
    (facts) => facts.filter(known).forEach((fact) => era.apply(fact)),
    () => undefined,
  );
}

/** Circuits shared over the replicas' event bus (topic `circuit`). */
function circuitBus(events: EventBus): CircuitBus {
  return {
    publish: (event) => void events.publish('circuit', event),
    subscribe: (listen) =>
      events.subscribe('circuit', (body) => {
        const { url, kind, openMs } = body as { url?: unknown; kind?: unknown; openMs?: unknown };
        if (typeof url !== 'string') return;
        if (kind === 'failure' || kind === 'success') listen({ url, kind });
        else if (kind === 'open' && typeof openMs === 'number') listen({ url, kind, openMs });
      }),
  };
}

/** The HTTP server with the proxy's limits, which keeps bodies as the bytes it got. */
function createServer(config: Readonly<ProxyConfig>): FastifyInstance {
  const app = Fastify({
    logger: config.logging.level === 'silent' ? false : { level: config.logging.level },
    bodyLimit: config.limits.maxBodyBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Timeouts are checked every second, so that a slow client is cut off close to its deadline.
    http: { maxHeaderSize: config.limits.maxHeaderBytes, connectionsCheckingInterval: 1000 },
    disableRequestLogging: config.logging.level !== 'debug' && config.logging.level !== 'trace',
    requestTimeout: config.limits.requestTimeoutMs,
    clientErrorHandler: refuseOnSocket,
  });
  app.server.headersTimeout = Math.min(config.limits.headersTimeoutMs, config.limits.requestTimeoutMs);
  // Bodies stay bytes: the proxy relays exactly what it got.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  return app;
}

/** What is told of every answered request: the metrics and the audit trail, or nothing when neither is on. */
function answeredRecorder(metrics: ProxyMetrics | undefined, audit: AuditLog | undefined): ((record: RequestRecord) => void) | undefined {
  if (!metrics && !audit) return undefined;
  return (record) => {
    metrics?.request(record.method, record.status);
    audit?.write({
      subject: record.subject,
      session: record.session ?? null,
      method: record.method,
      ...(record.tool !== undefined && { tool: record.tool }),
      status: record.status,
      outcome: outcomeOf(record.status),
      ...(record.reason !== undefined && { reason: record.reason }),
      durationMs: Math.round((performance.now() - record.startedAt) * 10) / 10,
    });
  };
}

/** Every error a route throws, as the wire error a client gets: the proxy's own, or a 4xx or 500 of Fastify's made into one. */
function wireErrorOf(error: Error & { statusCode?: number; code?: string }, storeShared: boolean, request: FastifyRequest): { wire: ProxyWireError; id: RpcId } {
  if (error instanceof RoutedWireError) return { wire: error.wire, id: error.id };
  if (error instanceof ProxyWireError) return { wire: error, id: null };
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { wire: WireErrors.payloadTooLarge(), id: null };
  if (storeShared && isStoreError(error)) return { wire: WireErrors.stateUnavailable(), id: null };
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return { wire: WireErrors.invalidRequest(error.message), id: null };
  request.log.error({ err: error }, 'unexpected error');
  return { wire: WireErrors.internal(), id: null };
}

/**
 * Shutdown without dropping what was accepted: readiness turns 503 at once (`draining`), GET streams
 * end, answers in flight get the grace period, then everything still open is ended.
 */
function shutdownOf(app: FastifyInstance, openStreams: Set<FastifyReply>, graceMs: number, startDraining: () => void): () => Promise<void> {
  return async () => {
    startDraining();
    const closing = app.close();
    // A connection whose answer was in flight at close() becomes idle only once it is answered: close
    // such connections as they go idle, instead of waiting for the client's keep-alive to end.
    const idle = setInterval(() => app.server.closeIdleConnections(), 100);
    // Long-lived streams would hold close() forever: give in-flight answers the grace period, then end everything.
    const grace = setTimeout(() => {
      for (const reply of openStreams) reply.raw.end();
      app.server.closeAllConnections();
    }, graceMs);
    for (const reply of openStreams) {
      if (reply.request.method === 'GET') reply.raw.end();
    }
    try {
      await closing;
    } finally {
      clearInterval(idle);
      clearTimeout(grace);
    }
  };
}

export async function buildProxy(config: Readonly<ProxyConfig>, parts: ProxyParts = {}): Promise<ProxyApp> {
  const app = createServer(config);
  const shared = connectSharedState(config.state, (err) => app.log.error({ err }, 'the shared state store is unreachable: requests that need it get 503 until it is back'));
  const built = isHttpUpstream(config.upstream)
    ? createHttpConnector(config.upstream, shared && circuitBus(shared.events), parts.upstreamCredential)
    : createStdioConnector(config.upstream, (msg) => app.log.debug(msg));
  const connector = parts.connector ? parts.connector(built) : built;
  const sessionOptions = {
    idleTimeoutMs: config.sessions.idleTimeoutMs,
    newId: parts.newSessionId,
    onReaped: (session: ProxySession) => app.log.info({ session: session.id }, 'idle session ended'),
  };
  const builtSessions = shared
    ? createSharedSessionMap(shared, { ...sessionOptions, revive: (state) => reviveBridgedSession(connector, state) ?? connector.revive?.(state) })
    : createSessionMap(sessionOptions);
  const sessions = parts.sessions ? parts.sessions(builtSessions) : builtSessions;
  const auth = config.auth ? (parts.authGate ?? createAuthGate)(config.auth) : undefined;
  const builtMetrics = config.metrics.enabled ? createMetrics(() => sessions.size()) : undefined;
  const metrics = builtMetrics && parts.metrics ? parts.metrics(builtMetrics) : builtMetrics;
  const builtAudit = config.audit.file ? createAuditLog(config.audit.file, config.audit.flushMs) : undefined;
  const audit = builtAudit && parts.audit ? parts.audit(builtAudit) : builtAudit;
  if (isHttpConnector(built)) {
    built.onFailure((url) => metrics?.upstreamFailure(url));
    built.onCircuit((url, state) => {
      metrics?.circuit(url, state !== 'closed');
      app.log.warn({ upstream: url, circuit: state }, 'upstream circuit changed');
    });
  }
  const onAnswered = answeredRecorder(metrics, audit);
  const openStreams = new Set<FastifyReply>();
  let draining = false;
  const era = new UpstreamEra(config.upstream.era);
  const legacyPool = isHttpUpstream(config.upstream) ? undefined : createLegacyPool(connector, config.upstream.pool);
  // maxIdle 0 keeps no process for later requests, of either era.
  const sharedStdio = isHttpUpstream(config.upstream) || config.upstream.pool.maxIdle === 0 ? undefined : new SharedStdio(connector, config.upstream.pool);

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const { wire, id } = wireErrorOf(error, shared !== undefined, request);
    if (request.seen) request.seen.reason = wire.reason ?? wire.message;
    void reply.code(wire.status).headers({ 'content-type': 'application/json', ...wire.headers }).send(wire.body(id));
  });

  // Per-request log lines cost on the hot path: only at debug and trace.
  const logLevel = config.logging.level === 'debug' || config.logging.level === 'trace' ? config.logging.level : 'warn';
  await app.register(mcpRoutes, {
    path: config.listen.path,
    connector,
    sessions,
    openStreams,
    validateProtocolVersion: !isHttpUpstream(config.upstream),
    era,
    stateSeal: createStateSeal(config.state.secret),
    // A stdio server cannot say its era by refusing with an HTTP status: it is asked, once.
    ...(!isHttpUpstream(config.upstream) && { probeEraMs: STDIO_PROBE_SILENCE_MS }),
    legacyPool,
    sharedStdio,
    auth,
    origins: createOriginPolicy(config.security, config.listen.host),
    sessionOwner: parts.sessionOwner,
    rateLimit: config.rateLimit,
    rateLimitStore: shared && { redis: shared.redis, prefix: shared.prefix },
    rateLimitKey: parts.rateLimitKey,
    policy: parts.policy === undefined ? createPolicy(config.policy) : (parts.policy ?? undefined),
    headerCheck: parts.headerCheck,
    paramHeaders: parts.paramHeaders,
    onAnswered,
    logLevel,
  });
  if (metrics) {
    app.get(config.metrics.path, { logLevel }, async (_request, reply) => {
      void reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  }
  if (config.auth) await app.register(resourceMetadataRoutes, { auth: config.auth, logLevel });
  const upstreamReadiness = isHttpConnector(built) ? () => built.reachable() : async () => true;
  // With a shared store, a replica that cannot reach it can serve no session: not ready.
  const builtReadiness = shared ? async () => shared.connected() && (await upstreamReadiness()) : upstreamReadiness;
  await shared?.settled(5 * config.state.timeoutMs);
  if (shared) shareEra(era, shared);
  const readiness = parts.readiness ? parts.readiness(builtReadiness) : builtReadiness;
  await app.register(healthRoutes, { sessions, isDraining: () => draining, upstreamReady: readiness, logLevel });

  app.addHook('onClose', async () => {
    await sessions.closeAll();
    legacyPool?.close();
    sharedStdio?.close();
    await connector.close();
    await shared?.close();
    await audit?.close();
  });

  const proxy = app as unknown as ProxyApp;
  proxy.shutdown = shutdownOf(app, openStreams, config.shutdown.graceMs, () => (draining = true));
  return proxy;
}
