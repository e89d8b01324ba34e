/**
 * Trust in the verdicts: each deliberately broken proxy fails exactly the check that names its
 * defect, and the same proxy without a defect passes every check.
 */
import { describe, expect, test } from 'vitest';
import { runTarget, verdicts } from './cli-helpers.ts';

const profile = (defect: string) => `mocks/broken-proxies/profiles/${defect}.yaml`;

const CAUGHT: Array<{ defect: string; check: string; extra?: string[] }> = [
  { defect: 'strip-request-meta', check: 'transparency/request-body-unchanged' },
  { defect: 'rewrite-response-body', check: 'transparency/response-body-unchanged' },
  { defect: 'stringify-ids', check: 'transparency/id-preserved' },
  { defect: 'generic-errors', check: 'errors/jsonrpc-error-preserved' },
  { defect: 'forward-authorization', check: 'boundary/authorization-not-forwarded' },
  // Sharing one upstream session also lets one client's DELETE break the others' calls, so the
  // cascade is judged on its own suite.
  { defect: 'shared-upstream-session', check: 'session/isolation', extra: ['--suite', 'session'] },
];

describe('broken proxies', () => {
  test('a correct pass-through proxy reaches L1 with no fail and no error', async () => {
    const { code, report } = await runTarget(profile('none'), ['--require-level', '1']);
    expect(verdicts(report, ['fail', 'error', 'warn', 'blocked'])).toEqual([]);
    expect(report.level).toBe(1);
    expect(code).toBe(0);
  });

  test.concurrent.each(CAUGHT)('defect $defect is caught by $check and by nothing else', async ({ defect, check, extra = [] }) => {
    const { code, report } = await runTarget(profile(defect), ['--require-level', '1', ...extra]);
    expect(verdicts(report, ['fail'])).toEqual([check]);
    expect(verdicts(report, ['error', 'warn', 'blocked'])).toEqual([]);
    const failed = report.checks.find((c) => c.id === check)!;
    expect(failed.observed ?? '').not.toBe('');
    expect(failed.evidence.some((e) => e.leg === 'client')).toBe(true);
    expect(failed.evidence.some((e) => e.leg === 'upstream')).toBe(true);
    expect(report.level).toBe(0);
    expect(code).toBe(1);
  });
});
