/**
 * A proxy nobody here wrote: supergateway (stdio → Streamable HTTP), run from its example profile.
 * The verdicts below are explained in the README; a change in them is a change in proxyspec's
 * judgement (or in supergateway) that someone must look at.
 */
import { expect, test } from 'vitest';
import { runTarget, verdicts } from './cli-helpers.ts';

test('supergateway fails only the 1 MB request (its HTTP body limit) and never errors', async () => {
  const { report } = await runTarget('examples/targets/supergateway.yaml');
  expect(verdicts(report, ['error', 'blocked'])).toEqual([]);
  expect(verdicts(report, ['fail', 'warn'])).toEqual(['transparency/large-payloads']);
  expect(report.checks.find((c) => c.id === 'transparency/large-payloads')?.observed).toMatch(/413/);
  expect(report.level).toBe(0);
  // stdio upstream: the checks that need an HTTP upstream, or byte transparency, do not apply.
  expect(verdicts(report, ['n/a']).length).toBeGreaterThan(0);
  for (const c of report.checks.filter((x) => x.verdict === 'n/a')) expect(c.message, c.id).toMatch(/stdio upstream|feature|revisions|upstream timeout/);
});
