/** `proxyspec report compare`: a matrix of runs, links to their evidence, and a diff against a baseline. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { brokenProfile, cli, runTarget } from './cli-helpers.ts';

test('compare puts runs side by side, links each cell to its evidence, and exits 1 on a regression against the baseline', async () => {
  const only = ['--only', 'transparency/id-preserved,transparency/request-body-unchanged'];
  const [good, bad] = await Promise.all([runTarget(await brokenProfile('none'), only), runTarget(await brokenProfile('stringify-ids'), only)]);
  const out = await mkdtemp(join(tmpdir(), 'proxyspec-compare-'));

  const side = await cli(['report', 'compare', join(good.outDir, 'report.json'), bad.outDir, '--out', out]);
  expect(side.code, side.stderr).toBe(0);
  const html = await readFile(join(out, 'compare.html'), 'utf8');
  expect(html).toContain('broken-none');
  expect(html).toContain('broken-stringify-ids');
  expect(html).toMatch(/href="[^"]*index\.html#c-transparency-id-preserved"[^>]*><span class="badge v-fail"/);

  // The same check, now failing where it passed: a regression. (The baseline's target name is the good run's.)
  const regressed = JSON.parse(await readFile(join(bad.outDir, 'report.json'), 'utf8'));
  regressed.target.name = 'broken-none';
  const renamed = join(out, 'now.json');
  await writeFile(renamed, JSON.stringify(regressed));
  const diff = await cli(['report', 'compare', renamed, '--baseline', join(good.outDir, 'report.json'), '--out', out]);
  expect(diff.code).toBe(1);
  expect(diff.stdout).toMatch(/regressed\s+broken-none: transparency\/id-preserved pass → fail/);

  const missing = await cli(['report', 'compare', join(out, 'nothing.json'), '--out', out]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/cannot read the report/);
});
