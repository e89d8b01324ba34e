/**
 * The proxy's Prometheus metrics (prom-client, a registry of the app's own so that several proxies in
 * one process never share counters), served in the text format on `metrics.path`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** What a request came to, as a metric label: relayed or answered (2xx/3xx), refused (4xx), failed (5xx). */
export type Outcome = 'ok' | 'refused' | 'error';

export function outcomeOf(status: number): Outcome {
  return status >= 500 ? 'error' : status >= 400 ? 'refused' : 'ok';
}

export interface ProxyMetrics {
  registry: Registry;
  request(method: string, status: number): void;
  upstreamFailure(upstream: string): void;
  circuit(upstream: string, open: boolean): void;
}

export function createMetrics(openSessions: () => number | Promise<number>): ProxyMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mcp_proxy_process_' });
  const requests = new Counter({
    name: 'mcp_proxy_requests_total',
    help: 'Client requests by JSON-RPC method (GET and DELETE for the stream and session requests) and outcome (ok, refused, error).',
    labelNames: ['method', 'outcome'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'mcp_proxy_upstream_failures_total',
    help: 'Upstream requests that failed: refused or reset connections, timeouts, 502/503/504 answers.',
    labelNames: ['upstream'],
    registers: [registry],
  });
  const circuit = new Gauge({ name: 'mcp_proxy_circuit_open', help: '1 while the upstream\'s circuit is open or half-open, 0 while it is closed.', labelNames: ['upstream'], registers: [registry] });
  new Gauge({
    name: 'mcp_proxy_sessions_open',
    help: 'Client sessions open now (with a shared state store: on all replicas together).',
    registers: [registry],
    async collect() {
      this.set(await openSessions());
    },
  });
  return {
    registry,
    request: (method, status) => requests.inc({ method, outcome: outcomeOf(status) }),
    upstreamFailure: (upstream) => failures.inc({ upstream }),
    circuit: (upstream, open) => circuit.set({ upstream }, open ? 1 : 0),
  };
}
