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
  const { code, stdout, stderr } = await cli(
    ['bench', '--target', 'floor', '--scenario', 'small-json,paced-json', '--connections', '4', '--duration', '1', '--rounds', '2', '--rate', '100', '--out', out],
    { timeoutMs: 120_000 },
  );
  expect(code, stderr).toBe(0);
  const perf = PerfSchema.parse(JSON.parse(await readFile(join(out, 'perf.json'), 'utf8')));
  expect(perf.targets.map((t) => t.name)).toEqual(['direct', 'floor']);
  // Rounds rotate: direct goes first in round 1, floor in round 2.
  expect(perf.results.map((r) => `${r.scenario} ${r.target}`)).toEqual([
    'small-json direct',
    'small-json floor',
    'small-json floor',
    'small-json direct',
    'paced-json direct',
    'paced-json floor',
    'paced-json floor',
    'paced-json direct',
  ]);
  const floor = perf.summary.find((s) => s.target === 'floor' && s.scenario === 'small-json')!;
  expect(floor.requestsPerSec).toBeGreaterThan(0);
  expect(floor.vsDirect?.throughputRatio).toBeGreaterThan(0);
  expect(perf.environment.cores).toBeGreaterThan(0);
  // Latency kept to the microsecond, not autocannon's whole milliseconds.
  expect(perf.results.map((r) => r.latencyResolutionMs)).toEqual(Array(8).fill(0.001));
  expect(perf.results.some((r) => !Number.isInteger(r.latencyMs.p50))).toBe(true);
  // paced-json offers exactly --rate × --duration requests, and says so; small-json offers as many as are answered.
  const paced = perf.results.filter((r) => r.scenario === 'paced-json');
  expect(paced.map((r) => [r.offeredRate, r.requests])).toEqual(Array(4).fill([100, 100]));
  expect(perf.results.filter((r) => r.scenario === 'small-json').every((r) => r.offeredRate === undefined)).toBe(true);
  expect(perf.summary.find((s) => s.target === 'floor' && s.scenario === 'paced-json')?.vsDirect?.addedP50Ms).toEqual(expect.any(Number));
  expect(perf.settings.rate).toBe(100);
  const html = await readFile(join(out, 'perf.html'), 'utf8');
  expect(html).toContain('<svg');
  expect(html).toContain('kept to the microsecond.');
  expect(html).toContain('Added median latency at 100 req/s');
  expect(stdout).toMatch(/small-json\s+floor\s+4/);
  expect(stdout).toMatch(/paced-json\s+floor\s+4/);
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

test('bench runs nginx as a built-in target with a config of its own, and says what to install without it', async () => {
  const out = await mkdtemp(join(tmpdir(), 'proxyspec-bench-nginx-'));
  const { code, stderr } = await cli(['bench', '--target', 'nginx', '--scenario', 'small-json', '--connections', '4', '--duration', '1', '--rounds', '1', '--out', out], { timeoutMs: 120_000 });
  expect(code, stderr).toBe(0);
  const perf = PerfSchema.parse(JSON.parse(await readFile(join(out, 'perf.json'), 'utf8')));
  expect(perf.targets.map((t) => [t.name, t.kind])).toEqual([
    ['direct', 'direct'],
    ['nginx', 'nginx'],
  ]);
  const nginx = perf.results.find((r) => r.target === 'nginx')!;
  // Relayed, not refused: every answer a 2xx from the upstream behind it.
  expect(nginx.requests).toBeGreaterThan(0);
  expect(nginx.non2xx + nginx.errors).toBe(0);

  const missing = await cli(['bench', '--target', 'nginx', '--scenario', 'small-json', '--connections', '1', '--duration', '1', '--rounds', '1', '--out', out], {
    timeoutMs: 60_000,
    env: { PROXYSPEC_NGINX: join(out, 'no-such-nginx') },
  });
  expect(missing.code).toBe(3);
  expect(missing.stderr).toMatch(/nginx|no-such-nginx/);
});
