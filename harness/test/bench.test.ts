/** `proxyspec bench` end to end, kept short: one scenario, one connection count, one-second rounds. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { PerfSchema } from '../../reports/src/index.ts';
import { cli } from './cli-helpers.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

test('bench measures a target and direct in one run and writes perf.json (valid) and perf.html', async () => {
  const out = await mkdtemp(join(tmpdir(), 'proxyspec-bench-'));
  const { code, stdout, stderr } = await cli(['bench', '--target', 'floor', '--scenario', 'small-json', '--connections', '4', '--duration', '1', '--rounds', '2', '--out', out], { timeoutMs: 120_000 });
  expect(code, stderr).toBe(0);
  const perf = PerfSchema.parse(JSON.parse(await readFile(join(out, 'perf.json'), 'utf8')));
  expect(perf.targets.map((t) => t.name)).toEqual(['direct', 'floor']);
  expect(perf.results).toHaveLength(4);
  // Rounds rotate: direct goes first in round 1, floor in round 2.
  expect(perf.results.map((r) => r.target)).toEqual(['direct', 'floor', 'floor', 'direct']);
  const floor = perf.summary.find((s) => s.target === 'floor')!;
  expect(floor.requestsPerSec).toBeGreaterThan(0);
  expect(floor.vsDirect?.throughputRatio).toBeGreaterThan(0);
  expect(perf.environment.cores).toBeGreaterThan(0);
  expect(await readFile(join(out, 'perf.html'), 'utf8')).toContain('<svg');
  expect(stdout).toMatch(/small-json\s+floor\s+4/);
});

test('bench refuses to publish figures for a target that fails more than 1 % of requests (exit 3)', async () => {
  const out = await mkdtemp(join(tmpdir(), 'proxyspec-bench-'));
  const { code, stderr } = await cli(['bench', '--target', 'harness/test/fixtures/erring-proxy.yaml', '--scenario', 'small-json', '--connections', '2', '--duration', '1', '--rounds', '1', '--out', out], { timeoutMs: 120_000 });
  expect(code).toBe(3);
  expect(stderr).toMatch(/erring failed \d+ of \d+ requests .*500.*no figures are published/);
  await expect(readFile(join(out, 'perf.json'), 'utf8')).rejects.toThrow();
});

test('bench rejects an unknown scenario with exit 2', async () => {
  const { code, stderr } = await cli(['bench', '--target', 'floor', '--scenario', 'everything']);
  expect(code).toBe(2);
  expect(stderr).toMatch(/unknown scenario everything/);
});
