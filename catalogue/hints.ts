/**
 * Hints: what a target profile tells the checks about how the proxy is configured (`config:` in the
 * profile), each defined once with its type and meaning. A check names the hints it needs; without
 * them it is `untested`, never `n/a` and never a pass. The profile's `config` is validated against
 * this schema when the profile is loaded, so a misspelt hint is an error, not a check gone quiet.
 */
import { z } from 'zod';

export const HintsSchema = z.strictObject({
  upstreamTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(60_000)
    .optional()
    .describe("how long the proxy waits for the upstream to answer before it gives up (ms, at most 60000); for a proxy with no timeout, the longest wait you accept"),
  sessionIdleTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(60_000)
    .optional()
    .describe('after how long without a request the proxy ends a session, upstream included (ms, at most 60000); the check allows 10 s more'),
  toolScope: z
    .strictObject({ tool: z.string().min(1), scope: z.string().min(1) })
    .optional()
    .describe('one tool of the mock upstream and the scope the proxy requires to call it, e.g. { tool: echo, scope: mcp:write }'),
  requiredScopes: z.array(z.string().min(1)).optional().describe('scopes the proxy requires on every request (its 401 challenge names them)'),
  breaker: z
    .strictObject({
      failures: z.number().int().positive().max(50),
      openMs: z.number().int().positive().max(60_000),
    })
    .optional()
    .describe('the circuit breaker per upstream: failures in a row that open it (at most 50), and how long it stays open before one probe goes through (ms, at most 60000), e.g. { failures: 5, openMs: 2000 }'),
  rateLimit: z
    .strictObject({
      requests: z.number().int().positive().max(1000),
      windowMs: z.number().int().positive().max(60_000),
      subject: z.string().min(1),
      otherSubject: z.string().min(1).optional(),
    })
    .optional()
    .describe('a rate limit the proxy applies to one token subject: requests per window (at most 1000 per 60000 ms), and the subject (`sub`) it applies to; the harness signs tokens for that subject and for another one. With `otherSubject`, a second subject under the same limit: its requests come from the same address while the first is limited, and must be served (a limit per address would refuse them), e.g. { requests: 5, windowMs: 2000, subject: proxyspec-rate-limited, otherSubject: proxyspec-rate-limited-2 }'),
  metrics: z
    .strictObject({
      url: z.string().min(1),
      requests: z.string().min(1),
      methodLabel: z.string().min(1).default('method'),
      outcomeLabel: z.string().min(1).default('outcome'),
      upstreamFailures: z.string().min(1),
      sessionsOpen: z.string().min(1),
      circuitOpen: z.string().min(1).optional(),
    })
    .optional()
    .describe('where the Prometheus metrics are ({port} is the proxy\'s) and the names of its series: a request counter labelled by JSON-RPC method and outcome, an upstream failure counter, an open sessions gauge, and optionally a gauge that is 1 while a circuit is open, e.g. { url: "http://127.0.0.1:{port}/metrics", requests: mcp_proxy_requests_total, upstreamFailures: mcp_proxy_upstream_failures_total, sessionsOpen: mcp_proxy_sessions_open, circuitOpen: mcp_proxy_circuit_open }'),
  allowedOrigin: z
    .string()
    .min(1)
    .optional()
    .describe("an Origin the proxy serves (a browser page allowed to call it), e.g. https://app.example; default: the origin of the target's own url"),
  auditLog: z
    .string()
    .min(1)
    .optional()
    .describe('the file the proxy writes its audit trail to, one JSON line per request ({workdir} is the run\'s fresh folder), e.g. "{workdir}/audit.log"'),
  shutdownGraceMs: z
    .number()
    .int()
    .positive()
    .max(30_000)
    .optional()
    .describe('how long the proxy lets requests in flight finish after SIGTERM before it exits (ms, at most 30000)'),
  policy: z
    .strictObject({ deniedTool: z.string().min(1) })
    .optional()
    .describe('a tool of the mock upstream that the proxy\'s policy denies, e.g. { deniedTool: restricted } (transparency/lists-relayed then expects it missing from tools/list)'),
  health: z
    .strictObject({ liveness: z.string().min(1), readiness: z.string().min(1) })
    .optional()
    .describe('the liveness and readiness URLs ({port} is the proxy\'s), e.g. { liveness: "http://127.0.0.1:{port}/healthz", readiness: "http://127.0.0.1:{port}/readyz" }'),
});

export type Hints = z.infer<typeof HintsSchema>;
export type HintName = keyof Hints;
export const HINT_NAMES = Object.keys(HintsSchema.shape) as HintName[];

/** What a hint means, for `list`, `run --help` and the reasons given with an `untested` verdict. */
export function describeHint(name: HintName): string {
  return HintsSchema.shape[name].description ?? name;
}

/** The hints of `names` that `config` lacks. */
export function missingHints(names: readonly HintName[], config: Hints): HintName[] {
  return names.filter((name) => config[name] === undefined);
}
