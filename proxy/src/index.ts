/**
 * The reference MCP proxy as a library: `buildProxy(config)` returns a fastify app, not yet listening.
 *
 * @example
 * const app = await buildProxy(parseConfig({ upstream: { url: 'http://127.0.0.1:9000/mcp' } }));
 * await app.listen({ port: 0, host: '127.0.0.1' });
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ProxyWireError, WireErrors } from './errors.ts';
import type { RpcId } from './protocol/message.ts';
import { isHttpUpstream, type ProxyConfig } from './config/schema.ts';
import { createHttpConnector } from './upstream/http.ts';
import { createStdioConnector } from './upstream/stdio.ts';
import { createSessionMap } from './sessions/session-map.ts';
import { mcpRoutes, RoutedWireError } from './routes/mcp.ts';
import { healthRoutes } from './routes/health.ts';

export { parseConfig, loadConfigFile } from './config/load.ts';
export { ProxyConfigSchema } from './config/schema.ts';
export type { ProxyConfig, ProxyConfigInput } from './config/schema.ts';
export { ProxyError, ProxyWireError, ERROR_SOURCE } from './errors.ts';

export interface ProxyApp extends FastifyInstance {
  /** Stops taking requests, lets in-flight ones finish (up to `shutdown.graceMs`), then closes streams and upstreams. */
  shutdown(): Promise<void>;
}

export async function buildProxy(config: Readonly<ProxyConfig>): Promise<ProxyApp> {
  const app = Fastify({
    logger: config.logging.level === 'silent' ? false : { level: config.logging.level },
    bodyLimit: config.limits.maxBodyBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  const connector = isHttpUpstream(config.upstream)
    ? createHttpConnector(config.upstream)
    : createStdioConnector(config.upstream, (msg) => app.log.debug(msg));
  const sessions = createSessionMap();
  const openStreams = new Set<FastifyReply>();
  let draining = false;

  // Bodies stay bytes: the proxy relays exactly what it got.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    let wire: ProxyWireError;
    let id: RpcId = null;
    if (error instanceof RoutedWireError) {
      wire = error.wire;
      id = error.id;
    } else if (error instanceof ProxyWireError) wire = error;
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') wire = WireErrors.payloadTooLarge();
    else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) wire = WireErrors.invalidRequest(error.message);
    else {
      request.log.error({ err: error }, 'unexpected error');
      wire = WireErrors.internal();
    }
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
    logLevel,
  });
  await app.register(healthRoutes, { sessions, isDraining: () => draining, logLevel });

  app.addHook('onClose', async () => {
    await sessions.closeAll();
    await connector.close();
  });

  const proxy = app as unknown as ProxyApp;
  proxy.shutdown = async () => {
    draining = true;
    const closing = app.close();
    // Long-lived streams would hold close() forever: give in-flight answers the grace period, then end them.
    const grace = setTimeout(() => {
      for (const reply of openStreams) reply.raw.end();
    }, config.shutdown.graceMs);
    for (const reply of openStreams) {
      if (reply.request.method === 'GET') reply.raw.end();
    }
    await closing;
    clearTimeout(grace);
  };
  return proxy;
}
