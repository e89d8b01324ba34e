/**
 * Level 3: what an operator needs from a proxy in production: limits per user, metrics that count
 * exactly, health and readiness an orchestrator can act on.
 */
import { defineChecks, STREAMABLE } from '../../harness/src/checks/define.ts';
import type { SpecRef } from '../../harness/src/checks/types.ts';

const level3 = (requirement: string, quote: string): SpecRef => ({ requirement, revision: 'proxyspec', url: 'README.md#level-3-enterprise', quote, strength: 'MUST' });

export const OPERATIONS_CHECKS = defineChecks([
  {
    id: 'operations/rate-limited-per-subject',
    title: 'A proxy MUST refuse a token subject over its rate limit with HTTP 429, Retry-After and a JSON-RPC error, without calling the upstream, while requests under the limit and other subjects are served',
    suite: 'operations',
    level: 3,
    strength: 'MUST',
    revisions: STREAMABLE,
    feature: 'rate-limit',
    hints: ['rateLimit'],
    requirements: ['base-error-code-message'],
    externalRefs: [
      level3('proxyspec-l3-rate-limit', 'Level 3: rate limiting (429 + Retry-After, per-user isolation).'),
      {
        requirement: 'rfc6585-429',
        revision: 'RFC 6585',
        url: 'https://www.rfc-editor.org/rfc/rfc6585#section-4',
        quote: 'The 429 status code indicates that the user has sent too many requests in a given amount of time ("rate limiting").',
        strength: 'informative',
      },
    ],
    why: 'One runaway agent must not starve everyone else, nor run up the upstream\'s bill; a limit per address instead of per user punishes everyone behind the same gateway.',
    proxyOnly: true,
  },
  {
    id: 'operations/metrics-exact',
    title: 'A proxy MUST serve Prometheus metrics whose request, upstream-failure, open-session (and circuit) series move by exactly what a client did',
    suite: 'operations',
    level: 3,
    strength: 'MUST',
    revisions: STREAMABLE,
    feature: 'metrics',
    hints: ['metrics'],
    requirements: [],
    externalRefs: [level3('proxyspec-l3-metrics', 'Level 3: metrics (Prometheus text) that count requests by method and outcome, upstream failures, circuit state and open sessions.')],
    why: 'Alerts and capacity plans are only as good as the counters under them; a proxy that counts a retry twice or misses its own errors sends operators the wrong way.',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: 'the upstream failure it counts is a reset HTTP connection, which a stdio server cannot script',
  },
  {
    id: 'operations/health-and-readiness',
    title: 'A proxy MUST stay live while its upstream is down, report not ready while no upstream can take requests, and ready again once one can',
    suite: 'operations',
    level: 3,
    strength: 'MUST',
    revisions: STREAMABLE,
    hints: ['health'],
    requirements: [],
    externalRefs: [level3('proxyspec-l3-health', 'Level 3: liveness stays up; readiness is false while no upstream is reachable, and true again after.')],
    why: 'An orchestrator restarts what is not live and routes around what is not ready; a proxy that reports ready with nothing behind it takes traffic it can only fail.',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: 'a stdio upstream is started per session, so there is no upstream to be down between sessions',
  },
]);
