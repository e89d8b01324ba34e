/**
 * Level 3: what a proxy does when things go wrong behind it. An upstream dies, restarts, fails again
 * and again, or is slow; each scenario breaks a copy of the target's own upstreams on cue.
 */
import { defineChecks, level3Ref as level3 } from '../define.ts';


const HTTP_ONLY = {
  proxyOnly: true,
  upstreams: ['http'],
  upstreamReason: 'the faults are an HTTP upstream going down, restarting or failing; a stdio server lives and dies with its session inside the bridge',
} as const;

export const RESILIENCE_CHECKS = defineChecks([
  {
    id: 'resilience/failover-keeps-session',
    title: 'A proxy with backup upstreams MUST answer the next request through a backup, sent there once, when the primary dies; in the session era, in the same client session, opened on the backup with the client\'s own initialize parameters',
    level: 3,
    scenario: 'resilience/upstream-faults.test.ts',
    provenBy: [{ defect: 'ref-no-failover', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    feature: 'failover',
    requirements: ['lifecycle-initialize-request', 'session-client-echo'],
    externalRefs: [level3('proxyspec-l3-failover', 'Level 3: multi-upstream failover with the client session preserved.')],
    why: 'An upstream instance that crashes must not end every client session on it: the client keeps working, and the backup knows the client as the primary did (capabilities, client info, protocol version).',
    ...HTTP_ONLY,
  },
  {
    id: 'resilience/circuit-breaker',
    title: 'A proxy MUST stop calling an upstream after its configured failures in a row, refuse at once (HTTP 503 and a JSON-RPC error naming the proxy) while the circuit is open, let one probe through after the open interval, and close the circuit on its success',
    level: 3,
    scenario: 'resilience/upstream-faults.test.ts',
    provenBy: [{ defect: 'ref-no-circuit-breaker', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    feature: 'circuit-breaker',
    hints: ['breaker'],
    requirements: ['base-error-code-message', 'base-error-id-match'],
    externalRefs: [level3('proxyspec-l3-circuit-breaker', 'Level 3: circuit breaker (fail fast, half-open, close), recovered within the configured interval.')],
    why: 'Calling an upstream that keeps failing wastes every client\'s time and hammers the upstream while it tries to recover; an open circuit answers at once and tells the client who refused.',
    ...HTTP_ONLY,
  },
  {
    id: 'resilience/upstream-restart-recovered',
    title: 'A proxy MUST recover when its upstream restarts and forgets its sessions: the next request is served, or (in the session era) gets 404 after which a new initialize works; never a lasting 5xx',
    level: 3,
    scenario: 'resilience/upstream-faults.test.ts',
    provenBy: [
      { defect: 'ref-session-lost-as-502', revisions: ['2025-11-25'] },
      { defect: 'ref-upstream-gone-for-good', revisions: ['2026-07-28'] },
    ],
    needs: [],
    requirements: ['session-terminated-404', 'session-404-reinit'],
    externalRefs: [level3('proxyspec-l3-recovery', 'Level 3 judges what a proxy does when things go wrong behind it: an upstream that restarted is served again, not answered with a lasting 5xx.')],
    why: 'Upstreams are redeployed all the time; a proxy that keeps the dead upstream session and answers 5xx leaves the client nothing to do but give up.',
    ...HTTP_ONLY,
  },
  {
    id: 'resilience/in-flight-one-outcome',
    title: 'A proxy MUST give every request in flight when the upstream drops exactly one outcome (its answer, or an error with its id) within the timeout, and MUST NOT send any of them upstream twice',
    level: 3,
    scenario: 'resilience/upstream-faults.test.ts',
    provenBy: [{ defect: 'ref-retry-failed-calls', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    requirements: ['base-error-id-match', 'sse-disconnect-not-cancel'],
    externalRefs: [level3('proxyspec-l3-buffering', 'Level 3: nothing lost, nothing duplicated across an upstream failure.')],
    why: 'A tool call can have effects (a payment, a deploy); one that hangs leaves the client guessing, and one a proxy retries on its own may run twice.',
    ...HTTP_ONLY,
  },
  {
    id: 'resilience/sse-resumed-exactly-once',
    title: 'A proxy MUST let a client whose answer stream was cut resume it with Last-Event-ID: every event after that one, exactly once, and no event of another stream',
    level: 3,
    scenario: 'resilience/resumption.test.ts',
    provenBy: [
      { defect: 'ref-strip-last-event-id', revisions: ['2025-11-25'] },
      { defect: 'ref-stdio-forget-finished-streams', revisions: ['2025-11-25'] },
    ],
    needs: ['resumability'],
    feature: 'resumability',
    requirements: ['resume-get-last-event-id', 'resume-replay', 'resume-no-cross-stream-replay'],
    externalRefs: [level3('proxyspec-l3-resumption', 'Level 3: SSE resumption with Last-Event-ID across an upstream reconnect (nothing lost, nothing duplicated).')],
    why: 'Networks drop long answers; a client that resumes and gets events twice (two progress bars, a repeated sampling request) or from another request, or misses the result, acts on a story that never happened.',
    proxyOnly: true,
  },
  {
    id: 'resilience/slow-call-isolated',
    title: 'A proxy MUST keep serving other sessions while one session\'s tool call is held up by the upstream',
    level: 3,
    scenario: 'resilience/isolation.test.ts',
    provenBy: [{ defect: 'ref-one-call-per-tool', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    requirements: [],
    externalRefs: [level3('proxyspec-l3-isolation', 'Level 3: one session\'s slow upstream call does not delay another session\'s calls.')],
    why: 'Some tools take minutes; a proxy that serialises calls, or holds a shared lock while waiting, stalls every other user behind the slowest one.',
    proxyOnly: true,
  },
]);
