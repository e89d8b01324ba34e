/** Liveness and readiness endpoints for orchestrators; they never touch the upstream. */
import type { FastifyInstance } from 'fastify';
import type { SessionMap } from '../sessions/session-map.ts';

export async function healthRoutes(app: FastifyInstance, options: { sessions: SessionMap; isDraining: () => boolean }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (options.isDraining()) return reply.code(503).send({ status: 'draining' });
    return { status: 'ready', sessions: options.sessions.size() };
  });
}
