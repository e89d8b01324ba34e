/**
 * The bundled reference proxy as a target profile states it: the hints its configs
 * (proxy/configs/reference-*.yaml) give the checks, and the features it claims. Stated here once:
 * the built-in targets, the defect profiles, the image example and the README all read these.
 */
import type { Hints } from './hints.ts';
import type { Feature } from './types.ts';

/** What proxy/configs/reference-http.yaml and reference-stdio.yaml set, told to the checks. */
export const REFERENCE_HINTS: Hints = {
  upstreamTimeoutMs: 3000,
  sessionIdleTimeoutMs: 10000,
  requiredScopes: ['mcp:read'],
  toolScope: { tool: 'echo', scope: 'mcp:write' },
  breaker: { failures: 5, openMs: 2000 },
  rateLimit: { requests: 5, windowMs: 10000, subject: 'proxyspec-rate-limited', otherSubject: 'proxyspec-rate-limited-2' },
  metrics: {
    url: 'http://127.0.0.1:{port}/metrics',
    requests: 'mcp_proxy_requests_total',
    methodLabel: 'method',
    outcomeLabel: 'outcome',
    upstreamFailures: 'mcp_proxy_upstream_failures_total',
    sessionsOpen: 'mcp_proxy_sessions_open',
    circuitOpen: 'mcp_proxy_circuit_open',
  },
  health: { liveness: 'http://127.0.0.1:{port}/healthz', readiness: 'http://127.0.0.1:{port}/readyz' },
  auditLog: '{workdir}/audit.log',
  shutdownGraceMs: 3000,
  policy: { deniedTool: 'restricted' },
};

/** The hints a Level 2 judgement needs of the reference: timeouts and scopes. */
export const REFERENCE_LEVEL2_HINTS: Hints = {
  upstreamTimeoutMs: REFERENCE_HINTS.upstreamTimeoutMs,
  sessionIdleTimeoutMs: REFERENCE_HINTS.sessionIdleTimeoutMs,
  requiredScopes: REFERENCE_HINTS.requiredScopes,
  toolScope: REFERENCE_HINTS.toolScope,
};

/** What the reference proxy claims with an HTTP upstream, era bridging aside. */
const LEVEL3_FEATURES = ['byte-transparency', 'auth', 'failover', 'circuit-breaker', 'rate-limit', 'metrics', 'resumability', 'audit', 'policy'] as const satisfies readonly Feature[];

/** The features each way of running the reference claims. */
export const REFERENCE_FEATURES = {
  /** An HTTP upstream: it relays bodies as bytes, and bridges the two eras. */
  http: [...LEVEL3_FEATURES, 'era-bridging'],
  /** The same without era bridging: the features a Level 3 defect of the reference proxy is judged with. */
  level3: LEVEL3_FEATURES,
  /** A stdio upstream: a bridge parses and writes lines, so no byte transparency, and keeps no upstream to fail over to; it keeps the events of the streams it makes, so they can be resumed. */
  stdio: ['auth', 'rate-limit', 'metrics', 'audit', 'policy', 'resumability'],
  /** Two of it sharing a Redis behind the harness's balancer. */
  replicas: [...LEVEL3_FEATURES, 'era-bridging', 'replicas'],
} as const satisfies Record<string, readonly Feature[]>;
