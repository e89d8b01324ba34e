/**
 * Liveness and readiness endpoints for orchestrators. Liveness is the process answering; readiness
 * also needs an upstream to send to (a circuit not open, a port that accepts connections).
 */
import type { FastifyInstance } from 'fastify';
import type { SessionMap } from '../sessions/session-map.ts';

export async function healthRoutes(app: FastifyInstance, options: { sessions: SessionMap; isDraining: () => boolean; upstreamReady: () => Promise<boolean> }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (options.isDraining()) return reply.code(503).send({ status: 'draining' });
    if (!(await options.upstreamReady())) return reply.code(503).send({ status: 'no upstream available' });
    return { status: 'ready', sessions: await options.sessions.size() };
  });
}
