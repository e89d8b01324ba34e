/**
 * The verdict rules the engine enforces, on hand-made inputs: a pass needs something seen, a missing
 * hint is untested (not n/a), the relay canary blocks what came after the break and names the check
 * before it, and a results file is taken only line by line against the schema.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ScenarioContext } from '../src/checks/scenario.ts';
import { whyNotRun } from '../src/checks/applicability.ts';
import { getCheck } from '../../catalogue/index.ts';
import type { ScenarioRecord } from '../src/checks/scenario-record.ts';
import type { RunContext } from '../src/context.ts';
import { applyRelayBreak, findRelayBreak } from '../src/run/relay.ts';
import { readScenarioRecords } from '../src/run/run.ts';

const ctx = (config: RunContext['target']['config'] = {}): RunContext => ({
  target: { name: 't', kind: 'profile', url: 'http://127.0.0.1:1/mcp', headers: {}, features: ['auth'], upstream: 'http', upstreamEra: 'dual', upstreamServer: 'mock', config, wiresBackups: false },
  targetSpec: 't',
  revision: '2025-11-25',
  controlUrl: 'http://127.0.0.1:1',
  upstreamUrl: 'http://127.0.0.1:1/mcp',
  resultsFile: '/dev/null',
  selected: ['session/sse-event-ids-unique', 'session/idle-reaped', 'transparency/call-relayed', 'session/isolation', 'errors/jsonrpc-error-preserved'],
  assertPass: false,
});

describe('judging', () => {
  const ids = ['session/sse-event-ids-unique', 'errors/upstream-timeout-attributable'];

  test('a pass that saw nothing is blocked, and says what it did not see', () => {
    const t = new ScenarioContext(ctx(), ids);
    t.judge(ids[0], true, { seen: { 'event ids at the client': 0 } });
    expect(t.results.get(ids[0])).toMatchObject({ verdict: 'blocked', message: expect.stringMatching(/saw no event ids at the client/) });
  });

  test('a pass that counts nothing at all is blocked too', () => {
    const t = new ScenarioContext(ctx(), ids);
    t.judge(ids[0], true, { seen: {} });
    expect(t.results.get(ids[0])?.verdict).toBe('blocked');
  });

  test('a pass with evidence passes and records what was seen; a failure is fail (MUST) or warn (SHOULD)', () => {
    const t = new ScenarioContext(ctx(), ids);
    t.judge(ids[0], true, { seen: { 'event ids at the client': 12 } });
    expect(t.results.get(ids[0])).toMatchObject({ verdict: 'pass', observed: 'seen: 12 event ids at the client' });
    t.judge(ids[0], false, { seen: { 'event ids at the client': 12 } });
    expect(t.results.get(ids[0])?.verdict).toBe('fail');
    t.judge(ids[1], false, { seen: { answers: 0 } });
    expect(t.results.get(ids[1])?.verdict).toBe('warn');
  });

  test('a scenario cannot judge a check it does not own, nor read a hint its check does not declare', () => {
    const t = new ScenarioContext(ctx({ sessionIdleTimeoutMs: 1000 }), ids);
    expect(() => t.judge('session/isolation', true, { seen: { x: 1 } })).toThrow(/does not declare/);
    expect(() => t.hint(ids[0], 'sessionIdleTimeoutMs')).toThrow(/does not declare/);
  });
});

describe('applicability', () => {
  test('a missing hint makes a check untested and names the hint; with it, the check runs', () => {
    const reaped = getCheck('session/idle-reaped');
    expect(whyNotRun(reaped, ctx())).toMatchObject({ verdict: 'untested', message: expect.stringMatching(/config\.sessionIdleTimeoutMs/) });
    expect(whyNotRun(reaped, ctx({ sessionIdleTimeoutMs: 2000 }))).toBeNull();
  });

  test('n/a comes only from the declaration: on direct a proxy-only check is n/a before its hint is asked for', () => {
    const direct = { ...ctx(), target: { ...ctx().target, kind: 'direct' as const } };
    expect(whyNotRun(getCheck('session/idle-reaped'), direct)?.verdict).toBe('n/a');
  });

  test('a check declared sameEraOnly is n/a only when the upstream serves the other era, and names why', () => {
    const headers = getCheck('transparency/mirrored-headers-forwarded');
    const stateless = (upstreamEra: RunContext['target']['upstreamEra']) => ({ ...ctx(), selected: [headers.id], revision: '2026-07-28' as const, target: { ...ctx().target, upstreamEra } });
    expect(whyNotRun(headers, stateless('legacy'))).toMatchObject({ verdict: 'n/a', message: expect.stringMatching(/legacy era only.*carry no mirrored headers/) });
    expect(whyNotRun(headers, stateless('dual'))).toBeNull();
    expect(whyNotRun(headers, stateless('modern'))).toBeNull();
  });
});

const record = (checks: string[], startedAt: number, endedAt: number, canary: { ok: boolean; at: number } | undefined, verdict: 'pass' | 'fail' | 'blocked' = 'pass'): ScenarioRecord => ({
  kind: 'scenario',
  title: checks.join(' '),
  checks,
  startedAt,
  endedAt,
  canary: canary && { ...canary, endedAt: canary.at + 1, detail: canary.ok ? 'answered' : 'a plain tools/call got HTTP 500 Not connected' },
  results: checks.map((id) => ({ id, verdict: canary && !canary.ok ? 'blocked' : verdict, message: 'm', durationMs: 1, evidence: [] })),
});

describe('the relay canary', () => {
  test('names the check whose scenario ended between the last good canary and the first bad one, blocks what came after, and fails the relay check', () => {
    const records = [
      record(['transparency/call-relayed'], 5, 8, undefined),
      record(['session/isolation'], 11, 20, { ok: true, at: 10 }),
      // Running in another worker while the relay broke: its fail is not about its own requirement.
      record(['errors/jsonrpc-error-preserved'], 16, 30, { ok: true, at: 15 }, 'fail'),
      record(['session/sse-event-ids-unique'], 26, 27, { ok: false, at: 25 }),
    ];
    const finding = findRelayBreak(records);
    expect(finding).toMatchObject({ ok: false, stoppedAfter: ['session/isolation'], brokeAt: 26 });
    expect(finding.message).toMatch(/^The target stopped relaying after session\/isolation/);
    const after = records.flatMap((r) => applyRelayBreak(r, finding));
    const verdict = (id: string) => after.find((r) => r.id === id);
    expect(verdict('session/isolation')?.verdict).toBe('pass');
    expect(verdict('errors/jsonrpc-error-preserved')).toMatchObject({ verdict: 'blocked', message: expect.stringMatching(/stopped relaying after session\/isolation while this check ran/) });
    expect(verdict('session/sse-event-ids-unique')?.message).toMatch(/stopped relaying after session\/isolation \(a plain tools\/call got HTTP 500/);
    expect(verdict('transparency/call-relayed')?.verdict).toBe('fail');
  });

  test('a check that hung while the relay broke is blocked with the reason named, not only "the target hung"', () => {
    const hung = { ...record(['errors/jsonrpc-error-preserved'], 16, 46, { ok: true, at: 15 }, 'blocked'), results: [{ id: 'errors/jsonrpc-error-preserved', verdict: 'blocked' as const, message: 'blocked: the scenario did not finish within 30000 ms: the target hung', durationMs: 30000, evidence: [] }] };
    const records = [record(['session/isolation'], 11, 20, { ok: true, at: 10 }), hung, record(['session/sse-event-ids-unique'], 26, 27, { ok: false, at: 25 })];
    const [result] = applyRelayBreak(hung, findRelayBreak(records));
    expect(result).toMatchObject({ verdict: 'blocked', message: 'blocked: the target stopped relaying after session/isolation while this check ran; what it saw: the scenario did not finish within 30000 ms: the target hung' });
  });

  test('a failed canary that began before the culprit\'s own canary still names the culprit: the break is dated by when the canary gave up', () => {
    const slowBad = { ...record(['session/sse-event-ids-unique'], 41, 42, { ok: false, at: 0 }), canary: { ok: false, at: 0, endedAt: 40, detail: 'initialize got HTTP 500 Not connected' } };
    const finding = findRelayBreak([slowBad, record(['session/delete-ends-session'], 3, 9, { ok: true, at: 1 })]);
    expect(finding).toMatchObject({ ok: false, stoppedAfter: ['session/delete-ends-session'], brokeAt: 40 });
  });

  test('finds nothing when every canary worked', () => {
    expect(findRelayBreak([record(['session/isolation'], 1, 2, { ok: true, at: 0 })])).toMatchObject({ ok: true, stoppedAfter: [] });
  });

  test('the relay check\'s own failed call saw the relay broken and is not named as what broke it', () => {
    const finding = findRelayBreak([record(['transparency/call-relayed'], 1, 3, undefined, 'fail'), record(['session/isolation'], 5, 6, { ok: false, at: 4 })]);
    expect(finding).toMatchObject({ ok: false, stoppedAfter: [] });
    // Once it passed, it proved the relay worked: then it may be what came before the break.
    expect(findRelayBreak([record(['transparency/call-relayed'], 1, 3, undefined, 'pass'), record(['session/isolation'], 5, 6, { ok: false, at: 4 })]).stoppedAfter).toEqual(['transparency/call-relayed']);
  });

  test('says so when the target never relayed', () => {
    const finding = findRelayBreak([record(['session/isolation'], 1, 2, { ok: false, at: 0 })]);
    expect(finding).toMatchObject({ ok: false, stoppedAfter: [] });
    expect(finding.message).toMatch(/did not relay a plain tools\/call before any check had run/);
  });
});

describe('results file', () => {
  test('each line is validated: a malformed or foreign line is reported, the good ones kept', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'proxyspec-results-')), 'results.jsonl');
    const good = record(['session/isolation'], 1, 2, { ok: true, at: 0 });
    await writeFile(file, `${JSON.stringify(good)}\n{"kind":"scenario","checks":"nope"}\nnot json\n`);
    const { records, problems } = await readScenarioRecords(file);
    expect(records).toEqual([good]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/line 2 is not a scenario record/);
    expect(problems[1]).toMatch(/line 3 is not JSON/);
  });

  test('a missing file is reported, not read as no verdicts', async () => {
    const { records, problems } = await readScenarioRecords('/nonexistent/results.jsonl');
    expect(records).toEqual([]);
    expect(problems[0]).toMatch(/no scenario wrote its verdicts/);
  });
});

describe('aggregate', () => {
  test('a check without a valid record is an error that says why, never a pass', async () => {
    const { aggregate } = await import('../src/run/aggregate.ts');
    const report = aggregate({
      ctx: ctx(),
      records: [record(['session/isolation'], 1, 2, { ok: true, at: 0 })],
      runErrors: ['results line 2 is not a scenario record: checks expected array'],
      startedAt: new Date(),
      durationMs: 1,
      logs: { stdout: '', stderr: '' },
      selection: { suites: [], only: [], exclude: [] },
      harnessVersion: 'test',
    });
    const check = (id: string) => report.checks.find((c) => c.id === id)!;
    expect(check('session/isolation').verdict).toBe('pass');
    expect(check('session/sse-event-ids-unique')).toMatchObject({ verdict: 'error', message: expect.stringMatching(/no verdict was reported.*results line 2/) });
    expect(check('auth/scope-enforced').verdict).toBe('skipped');
    expect(report.summary.error).toBeGreaterThan(0);
    expect(report.relay).toMatchObject({ ok: true });
  });
});
