/**
 * Trust in the verdicts: each deliberately broken proxy fails exactly the checks its defect breaks
 * (the one that names it, plus the ones the defect cannot help breaking) and blocks exactly the ones
 * it leaves nothing to judge on, every check is caught by some defect, and the same proxy without a
 * defect passes everything. Any other verdict change on a broken proxy fails the test.
 */
import { describe, expect, test } from 'vitest';
import { CHECKS } from '../../catalogue/index.ts';
import type { Revision } from '../../wire/index.ts';
import { BROKEN_PROXIES, type BrokenProxy, type BrokenProxyName } from '../../mocks/broken-proxies/profiles.ts';
import { brokenProfile, runTarget, verdicts } from './cli-helpers.ts';

/** The session era, where the defects were first proven: named, as the default --spec is the stateless 2026-07-28. */
const SESSION_ERA = '2025-11-25';
const inSessionEra = (args: string[]) => (args.includes('--spec') ? args : ['--spec', SESSION_ERA, ...args]);

const strengthOf = new Map(CHECKS.map((c) => [c.id, c.strength]));
const levelOf = new Map(CHECKS.map((c) => [c.id, c.level]));

/** One run of the matrix: a broken proxy under one revision, and the checks that must catch it there. */
interface Run {
  defect: BrokenProxyName;
  revision: Revision;
  /** The checks that must come out fail (MUST) or warn (SHOULD), and no others: those whose declaration names this defect in this revision. */
  caught: string[];
  /** The checks that must come out blocked (nothing to judge on), and no others; 'rest' for every other one judged. */
  blocked: readonly string[] | 'rest';
  gate: number;
  only: string[];
  slow: boolean;
}

/**
 * The matrix, generated from the checks' declarations (which defect each is proven by, in which
 * revisions) and the broken proxies' table (how each run picks what else it judges). A Level 1 defect
 * is judged with the Level 1 checks of its suites, a Level 2 or 3 defect of the reference proxy (which
 * passes Level 1) with those of its level; every run judges only checks that apply in its revision.
 */
function matrix(): Run[] {
  const runs: Run[] = [];
  for (const [defect, row] of Object.entries(BROKEN_PROXIES) as Array<[BrokenProxyName, BrokenProxy]>) {
    const proofs = CHECKS.flatMap((c) => c.provenBy.filter((p) => p.defect === defect).flatMap((p) => p.revisions.map((revision) => ({ id: c.id, revision }))));
    for (const revision of [...new Set(proofs.map((p) => p.revision))]) {
      const caught = proofs.filter((p) => p.revision === revision).map((p) => p.id);
      const blocked = row.blocked?.[revision] ?? [];
      const select = row.select?.[revision] ?? 'level';
      const gate = Math.max(...caught.map((id) => levelOf.get(id)!));
      for (const group of select === 'each' ? caught.map((id) => [id]) : [caught]) {
        const named = [...group, ...(Array.isArray(blocked) ? blocked : [])];
        const suites = new Set(named.map((id) => id.split('/')[0]));
        const picked = CHECKS.filter((c) => named.includes(c.id) || (select === 'suites' && suites.has(c.suite)) || (select === 'level' && suites.has(c.suite) && c.level === gate));
        const only = picked.filter((c) => c.revisions.includes(revision) && !row.unsteady?.includes(c.id)).map((c) => c.id);
        runs.push({ defect, revision, caught: group, blocked, gate, only, slow: row.slow === true });
      }
    }
  }
  return runs;
}

const RUNS = matrix();

describe('broken proxies', () => {
  test('the matrix catches every check in some run, and every run is caught by what it names', () => {
    const caught = new Set(RUNS.flatMap((r) => r.caught));
    expect(CHECKS.map((c) => c.id).filter((id) => !caught.has(id))).toEqual([]);
    for (const run of RUNS) for (const id of run.caught) expect(run.only, `${run.defect} ${run.revision}`).toContain(id);
  });

  // Level 2 needs what a pass-through does not have (authentication first); its Level 1 must be spotless.
  test('a correct pass-through proxy reaches L1 with no fail, warn or error, and not L2, for want of auth', async () => {
    const levelOneChecks = CHECKS.filter((c) => c.level === 1).map((c) => c.id);
    const { code, report, summary } = await runTarget(await brokenProfile('none'), inSessionEra(['--require-level', '2', '--only', levelOneChecks.join(',')]));
    const levelOne = { ...report, checks: report.checks.filter((c) => c.level === 1) };
    expect(verdicts(levelOne, ['fail', 'error', 'warn', 'blocked', 'untested'])).toEqual([]);
    expect(report.relay?.ok).toBe(true);
    expect(report.level).toBe(1);
    expect(report.levels[1].state).toBe('failure');
    expect(report.levels[1].reason).toMatch(/needs the feature auth/);
    expect(summary).toMatch(/\| L2 Production \| failure \| needs the feature auth/);
    // The pass-through floor claims none of Level 3's features either: the reason names them all.
    expect(report.levels[2].state).toBe('failure');
    expect(report.levels[2].reason).toMatch(/needs the features auth, failover, circuit-breaker, resumability, rate-limit, metrics/);
    expect(code).toBe(1);
  });

  // The same pass-through as an OAuth proxy, with its authorization front and no defect: the
  // protections its defects break each pass, in each revision that has them.
  test.concurrent.each(['2025-06-18', SESSION_ERA, '2026-07-28'])('a correct OAuth proxy front passes every oauth-proxy check judged under %s', async (revision) => {
    const oauth = CHECKS.filter((c) => c.feature === 'oauth-proxy' && c.revisions.includes(revision as Revision)).map((c) => c.id);
    const { report } = await runTarget(await brokenProfile('none', 'oauth-proxy'), ['--spec', revision, '--only', oauth.join(',')]);
    expect(oauth.length).toBeGreaterThan(0);
    expect(verdicts(report, ['pass'])).toEqual([...oauth].sort());
  });

  // Each run judges the suites its checks belong to (the defect-free proxy above runs them all, which
  // is what shows no check flags a correct proxy); that keeps the matrix within its time budget. The
  // runs that wait out a bound (idle reaping, hangs, buffering) start first, so that three at a time pack well.
  test.concurrent.each([...RUNS].sort((a, b) => Number(b.slow) - Number(a.slow)))('defect $defect under $revision is caught by $caught and by nothing else', async ({ defect, revision, caught, blocked, gate, only }) => {
    const { code, report } = await runTarget(await brokenProfile(defect), ['--spec', revision, '--require-level', String(gate), '--only', only.join(',')]);
    expect(report.spec).toBe(revision);
    expect(verdicts(report, ['fail', 'warn'])).toEqual([...caught].sort());
    const judged = report.checks.filter((c) => !['n/a', 'skipped'].includes(c.verdict)).map((c) => c.id);
    const expectedBlocked = blocked === 'rest' ? judged.filter((id) => !caught.includes(id)) : blocked;
    expect(verdicts(report, ['blocked'])).toEqual([...expectedBlocked].sort());
    expect(verdicts(report, ['error', 'untested'])).toEqual([]);
    // The relay canary names no culprit unless the defect stops the relay.
    expect(report.relay?.ok, report.relay?.message).toBe(blocked !== 'rest');
    for (const id of caught) {
      const check = report.checks.find((c) => c.id === id)!;
      expect(check.verdict).toBe(strengthOf.get(id) === 'MUST' ? 'fail' : 'warn');
      expect(check.observed ?? '', id).not.toBe('');
      expect(check.evidence.some((e) => e.leg === 'client'), id).toBe(true);
    }
    // With suites left out, the gate's level is at best partial; a broken MUST (or a feature the proxy lacks) makes it a failure and fails the gate.
    const mustBroken = caught.some((id) => strengthOf.get(id) === 'MUST') || report.levels[gate - 1].missingFeatures.length > 0;
    expect(report.level).toBe(0);
    expect(report.levels[gate - 1].state).toBe(mustBroken ? 'failure' : 'partial');
    expect(code).toBe(1);
  });
});

/**
 * The same proof under 2026-07-28 for the checks judged in the stateless era: the pass-through proxy
 * passes them all, and each defect that catches one in the session era catches it here too, and
 * nothing else. Defects whose mechanism this era lacks (sessions, streams of their own) are not re-run.
 */
describe('under 2026-07-28', () => {
  const STATELESS = '2026-07-28';
  const judgedThere = (id: string) => CHECKS.find((c) => c.id === id)!.revisions.includes(STATELESS);
  // Those an HTTP upstream can show (the pass-through has one; a stdio server's stdin is another check's).
  const levelOneThere = CHECKS.filter((c) => c.level === 1 && judgedThere(c.id) && (c.upstreams ?? ['http']).includes('http')).map((c) => c.id);

  test('a correct pass-through proxy passes every Level 1 check judged in the stateless era', async () => {
    const { report } = await runTarget(await brokenProfile('none'), ['--spec', STATELESS, '--only', levelOneThere.join(',')]);
    expect(report.spec).toBe(STATELESS);
    expect(verdicts(report, ['fail', 'error', 'warn', 'blocked', 'untested'])).toEqual([]);
    expect(verdicts(report, ['pass'])).toEqual([...levelOneThere].sort());
  });
});

describe('a target that stops relaying', () => {
  // The behaviour seen in a third-party bridge: every client on one shared upstream, closed by the first DELETE.
  test('is named in the first line of the report, and no check after it fails for want of a relay', async () => {
    const levelOne = CHECKS.filter((c) => c.level === 1).map((c) => c.id);
    const { code, stdout, summary, report } = await runTarget(await brokenProfile('multiplex-clients'), inSessionEra(['--require-level', '1', '--only', levelOne.join(',')]));
    expect(report.relay?.ok).toBe(false);
    const culprit = report.relay!.stoppedAfter[0];
    expect(levelOne).toContain(culprit);
    expect(stdout.split('\n')[0]).toContain(`stopped relaying after ${culprit}`);
    expect(summary.split('\n')[0]).toContain(`stopped relaying after ${culprit}`);
    expect(report.checks.filter((c) => /could not be judged|cannot be judged/.test(c.message) && c.verdict === 'fail').map((c) => c.id)).toEqual([]);
    expect(verdicts(report, ['error'])).toEqual([]);
    expect(report.checks.find((c) => c.id === 'transparency/call-relayed')?.verdict).toBe('fail');
    const blocked = report.checks.filter((c) => c.verdict === 'blocked');
    expect(blocked.length).toBeGreaterThan(10);
    for (const c of blocked) expect(c.message).toMatch(/stopped relaying|nothing to judge|never reached|could not open a session/);
    expect(code).toBe(1);
  });
});
