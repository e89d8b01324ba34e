/**
 * Replicas for real: two reference proxies sharing a Redis that the harness starts (`{redis_url}`,
 * Debian's redis-server), behind the harness's own round-robin balancer. Every check passes in both
 * eras, the replica checks included, and the same two proxies without the store fail those that
 * need it, in words that say why. `npm run test:replicas`; it needs redis-server, which .ci/run installs.
 */
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { brokenProfile, cli, runTarget } from './cli-helpers.ts';

const REPLICA_CHECKS = ['replicas/session-continues-elsewhere', 'replicas/delete-seen-everywhere', 'replicas/replica-loss-survived', 'replicas/rate-limit-shared', 'replicas/stateless-any-replica'];

describe('reference-replicas', () => {
  test.each(['2025-11-25', '2026-07-28'])('passes every check under %s and reaches Level 3', async (spec) => {
    const { code, report, stderr } = await runTarget('reference-replicas', ['--spec', spec, '--require-level', '3'], 400_000);
    const notPassed = report.checks.filter((c) => c.verdict !== 'pass' && c.verdict !== 'n/a').map((c) => `${c.id}: ${c.verdict} ${c.message}`);
    expect(notPassed, stderr.slice(-1000)).toEqual([]);
    expect(code).toBe(0);
    expect(report.level).toBe(3);
    const replicaVerdicts = report.checks.filter((c) => REPLICA_CHECKS.includes(c.id)).map((c) => c.verdict);
    // The session checks under 2025-11-25, the stateless one under 2026-07-28; the rate limit and the loss of a replica in both.
    expect(replicaVerdicts.filter((v) => v === 'pass')).toHaveLength(spec === '2025-11-25' ? 4 : 3);
    // Both replicas' output is in the report.
    expect(report.target.logs.stderr).toContain('--- replica 2 ---');
  }, 420_000);

  test('without the shared store, a session is known only to the replica that opened it', async () => {
    const { code, report } = await runTarget(await brokenProfile('ref-replicas-no-store'), ['--spec', '2025-11-25', '--require-level', '3', '--only', 'replicas/session-continues-elsewhere'], 120_000);
    const check = report.checks.find((c) => c.id === 'replicas/session-continues-elsewhere')!;
    expect(check.verdict).toBe('fail');
    expect(check.observed).toMatch(/session known only to replica 1/);
    expect(code).toBe(1);
  }, 150_000);

  test('{redis_url} without redis-server is a setup error (exit 3) that says what to install', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proxyspec-redis-missing-'));
    const profile = join(dir, 'needs-redis.yaml');
    await writeFile(profile, 'name: needs-redis\ncommand: "true {redis_url} {port}"\n');
    const result = await cli(['run', '--target', profile, '--out', join(dir, 'out')], { env: { PROXYSPEC_REDIS_SERVER: join(dir, 'no-such-redis-server') } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/redis-server.*apt-get install -y redis-server/s);
  });
});
