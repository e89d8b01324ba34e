/**
 * A proxy nobody here wrote: supergateway (stdio → Streamable HTTP), run from its example profile.
 * The verdicts below are explained in the README; a change in them is a change in proxyspec's
 * judgement (or in supergateway) that someone must look at.
 */
import { expect, test } from 'vitest';
import { runTarget, verdicts } from './cli-helpers.ts';

/** What supergateway fails (or warns of) in either era, for the reasons the README gives. */
const FAILED_IN_BOTH_ERAS = [
  'errors/upstream-timeout-attributable',
  'limits/hostile-input-contained',
  'limits/slow-request-cut-off',
  'security/errors-leak-nothing',
  'security/foreign-origin-refused',
  'transparency/large-payloads',
];

test('supergateway under 2025-11-25 fails the 1 MB request (its HTTP body limit) and the Level 2 checks the README explains, and never errors', async () => {
  // supergateway starts a process per session, and some checks wait out its lack of limits: about
  // 80 s alone, much longer while the rest of npm test runs beside it.
  const { report } = await runTarget('examples/targets/supergateway.yaml', ['--spec', '2025-11-25'], 360_000);
  expect(verdicts(report, ['error', 'blocked'])).toEqual([]);
  // supergateway's SSE events carry no ids: the requirement on ids that are present does not apply.
  expect(report.checks.find((c) => c.id === 'session/sse-event-ids-unique')?.verdict).toBe('n/a');
  expect(verdicts(report, ['fail', 'warn'])).toEqual(FAILED_IN_BOTH_ERAS);
  const observed = (id: string) => report.checks.find((c) => c.id === id)?.observed ?? '';
  expect(observed('transparency/large-payloads')).toMatch(/413/);
  expect(observed('security/errors-leak-nothing')).toMatch(/malformed JSON \(HTTP 400\): a stack trace/);
  expect(observed('limits/hostile-input-contained')).toMatch(/invalid UTF-8: answered HTTP 200/);
  // No upstream timeout of its own: a call to a hung upstream is still unanswered when the profile's bound (10 s) and the grace have passed.
  expect(report.checks.find((c) => c.id === 'errors/upstream-timeout-attributable')?.verdict).toBe('warn');
  expect(report.level).toBe(0);
  // stdio upstream: the checks that need an HTTP upstream, or byte transparency, do not apply.
  expect(verdicts(report, ['n/a']).length).toBeGreaterThan(0);
  for (const c of report.checks.filter((x) => x.verdict === 'n/a')) expect(c.message, c.id).toMatch(/stdio upstream|feature|does not have|events without ids/);
  // Its profile gives no idle timeout and no shutdown grace (supergateway documents neither): the checks that need them are untested, and say so.
  expect(verdicts(report, ['untested'])).toEqual(['operations/graceful-shutdown', 'session/idle-reaped']);
  // Level 3 needs what a bridge does not claim, and the reason says which.
  expect(report.levels[2].state).toBe('failure');
  expect(report.levels[2].reason).toMatch(/needs the features auth, failover, circuit-breaker, resumability, rate-limit, metrics/);
  expect(report.relay?.ok).toBe(true);
}, 400_000);

// supergateway 4 claims 2026-07-28: it relays stateless requests, one stdio process for each (the README explains the verdicts).
test('supergateway under 2026-07-28: relays the stateless era, fails what it fails in the session era, and cannot show a subscription a change', async () => {
  const { report } = await runTarget('examples/targets/supergateway.yaml', ['--spec', '2026-07-28'], 360_000);
  expect(report.spec).toBe('2026-07-28');
  expect(report.relay?.ok).toBe(true);
  expect(verdicts(report, ['error'])).toEqual([]);
  expect(verdicts(report, ['fail', 'warn'])).toEqual([...FAILED_IN_BOTH_ERAS, 'session/unsupported-version-400'].sort());
  expect(report.checks.find((c) => c.id === 'limits/hostile-input-contained')?.observed).toMatch(/invalid UTF-8: answered HTTP 200/);
  // Over HTTP it is the server, and 2026-07-28 says a server that does not implement the version
  // "MUST respond with 400 Bad Request and an UnsupportedProtocolVersionError": it answers a request
  // in version 1999-01-01 with HTTP 200 and an internal error (-32603), as the wire shows.
  expect(report.checks.find((c) => c.id === 'session/unsupported-version-400')?.observed).toMatch(/^HTTP 200 carrying error -32603$/);
  expect(verdicts(report, ['untested'])).toEqual(['operations/graceful-shutdown']);
  // A process per request: the change made by one request is not in the process that holds the subscription.
  // So is the v2 SDK client's subscription, after its other steps went through. It serves a foreign Origin, and the
  // stdio mock cannot reset a connection: it makes no JSON-RPC error of its own whose code could be judged.
  expect(verdicts(report, ['blocked'])).toEqual(['errors/own-codes-unreserved', 'interop/sdk-v2-client', 'transparency/subscription-relayed']);
  for (const id of ['interop/sdk-v2-client', 'transparency/subscription-relayed']) expect(report.checks.find((c) => c.id === id)?.message).toMatch(/no subscription to send the change to/);
  // It hands its client a requestState of its own and brings the upstream's back: allowed, and said so.
  expect(report.checks.find((c) => c.id === 'transparency/input-required-relayed')?.message).toMatch(/requestState of the proxy's own/);
  expect(verdicts(report, ['pass'])).toEqual(expect.arrayContaining(['transparency/progress-streamed', 'transparency/input-required-relayed', 'transparency/request-meta-forwarded', 'transparency/header-mismatch-refused', 'session/colliding-ids-kept-apart']));
}, 400_000);
