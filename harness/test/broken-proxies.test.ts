/**
 * Trust in the verdicts: each deliberately broken proxy fails exactly the checks its defect breaks
 * (the one that names it, plus the ones the defect cannot help breaking), every check is caught by
 * some defect, and the same proxy without a defect passes everything.
 */
import { describe, expect, test } from 'vitest';
import { CHECKS } from '../src/checks/catalog.ts';
import { runTarget, verdicts } from './cli-helpers.ts';

const profile = (defect: string) => `mocks/broken-proxies/profiles/${defect}.yaml`;

interface Case {
  defect: string;
  /** The checks that must come out fail (MUST) or warn (SHOULD), and no others. */
  caught: string[];
  extra?: string[];
}

const CASES: Case[] = [
  { defect: 'strip-unknown-members', caught: ['transparency/request-body-unchanged'] },
  { defect: 'reserialize-json', caught: ['transparency/request-bytes-unchanged'] },
  { defect: 'body-limit-1mb', caught: ['transparency/large-payloads'] },
  { defect: 'rewrite-response-body', caught: ['transparency/response-body-unchanged'] },
  { defect: 'stringify-ids', caught: ['transparency/id-preserved'] },
  // One shared upstream session also lets one client's DELETE break everyone's calls: judged on the isolation checks alone.
  { defect: 'shared-upstream-session', caught: ['session/isolation', 'session/isolation-concurrent'], extra: ['--only', 'session/isolation*'] },
  { defect: 'generic-errors', caught: ['errors/jsonrpc-error-preserved'] },
  { defect: 'tool-errors-as-rpc-errors', caught: ['errors/tool-error-result-preserved'] },
  { defect: 'forward-authorization', caught: ['boundary/authorization-not-forwarded'] },
  { defect: 'forward-hop-by-hop', caught: ['boundary/hop-by-hop-not-forwarded'] },
  { defect: 'strip-custom-headers', caught: ['boundary/end-to-end-headers-forwarded'] },
  { defect: 'forward-client-host', caught: ['boundary/host-is-upstream'] },
  // A 200 for a notification is also a 200 for the client's answers to server requests and for cancellations.
  { defect: 'notification-ack-200', caught: ['transparency/notification-accepted', 'transparency/server-request-relayed', 'transparency/cancel-and-ping-relayed'] },
  { defect: 'drop-cancelled', caught: ['transparency/cancel-and-ping-relayed'] },
  { defect: 'json-to-sse', caught: ['transparency/response-framing-preserved'] },
  // Buffering a stream holds back everything on it: progress, server requests (so the SDK client's sampling), the GET stream.
  {
    defect: 'buffer-sse',
    caught: ['transparency/progress-streamed', 'transparency/server-request-relayed', 'transparency/get-stream-relayed', 'session/sse-event-ids-unique', 'interop/sdk-client-session'],
  },
  { defect: 'drop-server-requests', caught: ['transparency/server-request-relayed', 'interop/sdk-client-session'] },
  { defect: 'drop-empty-events', caught: ['transparency/sse-priming-relayed'] },
  { defect: 'renumber-event-ids', caught: ['session/sse-event-ids-unique'] },
  { defect: 'no-get-stream', caught: ['transparency/get-stream-relayed'] },
  { defect: 'reject-batches', caught: ['transparency/batch-relayed'], extra: ['--spec', '2025-03-26', '--suite', 'transparency'] },
  // The id of a deleted session is an unknown session too.
  { defect: 'session-404-as-400', caught: ['session/unknown-session-404', 'session/delete-ends-session'] },
  { defect: 'missing-session-500', caught: ['session/missing-session-400'] },
  { defect: 'swallow-delete', caught: ['session/delete-ends-session'] },
  { defect: 'rewrite-negotiated-version', caught: ['session/protocol-version-passthrough'] },
  { defect: 'drop-unknown-version-header', caught: ['session/unsupported-version-400'] },
  { defect: 'uncommon-status-as-502', caught: ['errors/http-status-preserved'] },
  // Every way the upstream can fail (reset, down, timed out) ends in the same silence.
  { defect: 'hang-on-upstream-error', caught: ['errors/upstream-failure-attributable', 'errors/upstream-down-attributable', 'errors/upstream-timeout-attributable'] },
  { defect: 'no-upstream-timeout', caught: ['errors/upstream-timeout-attributable'] },
  { defect: 'keep-stream-open-on-drop', caught: ['errors/sse-drop-ends-stream'] },
  { defect: 'crash-on-bad-json', caught: ['errors/malformed-json-rejected'] },
];

const strengthOf = new Map(CHECKS.map((c) => [c.id, c.strength]));

describe('broken proxies', () => {
  test('every check is caught by at least one broken proxy', () => {
    const caught = new Set(CASES.flatMap((c) => c.caught));
    expect(CHECKS.map((c) => c.id).filter((id) => !caught.has(id))).toEqual([]);
  });

  test('a correct pass-through proxy reaches L1 with no fail, warn or error', async () => {
    const { code, report } = await runTarget(profile('none'), ['--require-level', '1']);
    expect(verdicts(report, ['fail', 'error', 'warn', 'blocked'])).toEqual([]);
    expect(report.level).toBe(1);
    expect(code).toBe(0);
  });

  // Each defect runs the suites its checks belong to (the defect-free proxy above runs them all, which
  // is what shows no check flags a correct proxy); that keeps `npm test` within its time budget.
  test.concurrent.each(CASES)('defect $defect is caught by $caught and by nothing else', async ({ defect, caught, extra }) => {
    const suites = [...new Set(caught.map((id) => id.split('/')[0]))].join(',');
    const { code, report } = await runTarget(profile(defect), ['--require-level', '1', ...(extra ?? ['--suite', suites])]);
    expect(verdicts(report, ['fail', 'warn'])).toEqual([...caught].sort());
    expect(verdicts(report, ['error', 'blocked'])).toEqual([]);
    for (const id of caught) {
      const check = report.checks.find((c) => c.id === id)!;
      expect(check.verdict).toBe(strengthOf.get(id) === 'MUST' ? 'fail' : 'warn');
      expect(check.observed ?? '', id).not.toBe('');
      expect(check.evidence.some((e) => e.leg === 'client'), id).toBe(true);
    }
    // With suites left out, L1 is at best partial; a broken MUST makes it a failure and fails the gate.
    const mustBroken = caught.some((id) => strengthOf.get(id) === 'MUST');
    expect(report.level).toBe(0);
    expect(report.levels[0].state).toBe(mustBroken ? 'failure' : 'partial');
    expect(code).toBe(1);
  });
});
