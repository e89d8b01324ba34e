/**
 * A proxy run as several replicas behind a balancer with no affinity: any replica must carry any
 * session on, see it end everywhere at once, survive the loss of another replica, count a rate limit
 * for all of them together, and (2026-07-28) answer any request on its own.
 */
import { defineChecks } from '../define.ts';

const DEPLOYMENT = 'README.md#testing-replicas';

export const REPLICAS_CHECKS = defineChecks([
  {
    id: 'replicas/session-continues-elsewhere',
    title: 'A proxy run as replicas MUST carry a session opened on one replica on another: its calls, its tasks (2025-11-25: one started on one replica is read and its result taken on another), its GET stream and its DELETE, on the same upstream session',
    level: 3,
    scenario: 'replicas/replicas.test.ts',
    provenBy: [{ defect: 'ref-replicas-no-store', revisions: ['2025-11-25'] }, { defect: 'ref-tasks-kept-per-replica', revisions: ['2025-11-25'] }],
    needs: ['sessions', 'get-stream'],
    feature: 'replicas',
    requirements: ['session-assign'],
    externalRefs: [
      {
        requirement: 'proxyspec-replicas-any-replica',
        revision: 'proxyspec',
        url: DEPLOYMENT,
        quote: 'A proxy that claims replicas serves every request of a session on whichever replica the balancer picks, with no affinity.',
        strength: 'MUST',
      },
    ],
    why: 'A session kept in one replica\'s memory breaks the moment a balancer sends the next request elsewhere: one of the failures most reported of MCP gateways run at scale.',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: 'a stdio upstream is a child of one replica, so its session cannot move',
  },
  {
    id: 'replicas/delete-seen-everywhere',
    title: 'A proxy run as replicas MUST answer 404 on every replica, itself, for a session deleted on one of them, the replicas that served it before included',
    level: 3,
    scenario: 'replicas/replicas.test.ts',
    provenBy: [{ defect: 'ref-stale-session-copies', revisions: ['2025-11-25'] }],
    needs: ['sessions'],
    feature: 'replicas',
    requirements: ['session-terminated-404'],
    why: 'A replica that keeps serving a session from a copy of its own after the client ended it runs requests in a session the user, and the upstream, consider over.',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: 'a stdio upstream is a child of one replica, so its session cannot move',
  },
  {
    id: 'replicas/replica-loss-survived',
    title: 'A proxy run as replicas MUST serve a client through another replica when the one that served it is killed (carrying its session on, in the session era)',
    level: 3,
    scenario: 'replicas/replicas.test.ts',
    provenBy: [
      { defect: 'ref-replicas-no-store', revisions: ['2025-11-25'] },
      // Its surviving replica refuses a client whose server/discover the killed one answered.
      { defect: 'ref-stateless-needs-discover', revisions: ['2026-07-28'] },
    ],
    needs: [],
    feature: 'replicas',
    requirements: [],
    externalRefs: [
      {
        requirement: 'proxyspec-replicas-survive-loss',
        revision: 'proxyspec',
        url: DEPLOYMENT,
        quote: 'When a replica dies, the sessions it opened go on through the others; the client sees no error beyond the requests that were in flight on it.',
        strength: 'MUST',
      },
    ],
    why: 'Replicas exist so that losing one loses nothing; a session that dies with its replica makes every deploy and every crash a user-visible outage.',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: 'a stdio upstream is a child of one replica, so its session cannot move',
  },
  {
    id: 'replicas/rate-limit-shared',
    title: 'A proxy run as replicas MUST hold a subject to its rate across all replicas together, not per replica',
    level: 3,
    scenario: 'replicas/replicas.test.ts',
    provenBy: [{ defect: 'ref-replicas-no-store', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    feature: 'replicas',
    alsoNeeds: ['rate-limit'],
    hints: ['rateLimit'],
    requirements: [],
    externalRefs: [
      {
        requirement: 'proxyspec-replicas-shared-limit',
        revision: 'proxyspec',
        url: DEPLOYMENT,
        quote: 'A rate limit configured for a subject holds for the sum of the requests every replica served it.',
        strength: 'MUST',
      },
    ],
    why: 'A limit counted per replica lets a client through as many times over as there are replicas, which grows with every scale-out and protects nothing.',
    proxyOnly: true,
  },
  {
    id: 'replicas/stateless-any-replica',
    title: 'A proxy run as replicas MUST answer each request of the stateless era on whichever replica gets it, with nothing from earlier requests',
    level: 3,
    scenario: 'replicas/replicas.test.ts',
    provenBy: [{ defect: 'ref-stateless-needs-discover', revisions: ['2026-07-28'] }],
    needs: ['discover', 'request-meta'],
    feature: 'replicas',
    requirements: ['stateless-no-connection-context', 'stateless-no-connection-affinity'],
    why: 'The stateless era exists so that any server instance can take any request; a proxy that needs a replica to have seen the client before puts the affinity back.',
    proxyOnly: true,
  },
]);
