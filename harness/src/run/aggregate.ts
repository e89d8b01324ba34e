/**
 * From the records the scenarios wrote to the report: every known check gets exactly one result (a
 * missing one is an `error`), the relay canaries say where the target stopped relaying (the checks
 * judged after it are blocked), dependencies turn into `blocked`, levels and the gate are computed.
 */
import { cpus } from 'node:os';
import { CHECKS } from '../../../catalogue/index.ts';
import { specRefsOf } from '../../../catalogue/requirements.ts';
import type { CheckResult } from '../../../catalogue/types.ts';
import type { ScenarioRecord } from '../checks/scenario-record.ts';
import { applyRelayBreak, findRelayBreak } from './relay.ts';
import { SCHEMA_CHECK, foldRunScans } from '../record/message-scan.ts';
import { coverageOf, untestedMusts } from '../checks/coverage.ts';
import type { Revision } from '../../../wire/index.ts';

/** The report's coverage section: the counts, and the MUSTs no check judges. */
function coverageSection(revision: Revision): NonNullable<Report['coverage']> {
  const coverage = coverageOf(revision);
  return {
    revision,
    must: coverage.must,
    should: coverage.should,
    untestedMusts: untestedMusts(coverage).map((r) => r.id),
    requirements: coverage.rows.map((r) => ({ id: r.id, strength: r.strength, state: r.state, url: r.url, checks: r.checks, ...(r.reason && { reason: r.reason }), ...(r.exclusion && { exclusion: r.exclusion }) })),
  };
}
import { computeLevels } from '../levels/compute.ts';
import type { Baseline } from './baseline.ts';
import type { RunContext } from '../context.ts';
import type { CheckReport, Report } from '../../../reports/src/index.ts';

export interface AggregateInput {
  ctx: RunContext;
  records: ScenarioRecord[];
  /** Why a check has no result: a suite file failed to load or run, a results line was malformed. */
  runErrors: string[];
  startedAt: Date;
  durationMs: number;
  logs: { stdout: string; stderr: string };
  selection: Report['selection'];
  requiredLevel?: number;
  baseline?: Baseline;
  harnessVersion: string;
  /** Where the relay never worked: what the target speaks instead, and how to judge it there (run/era-probe.ts). */
  eraHint?: string;
}

export function aggregate(input: AggregateInput): Report {
  const { ctx } = input;
  const relay = findRelayBreak(input.records);
  const byId = new Map(input.records.flatMap((record) => applyRelayBreak(record, relay)).map((r) => [r.id, r]));
  const schema = byId.get(SCHEMA_CHECK);
  if (schema) byId.set(SCHEMA_CHECK, foldRunScans(schema, input.records));
  const checks: CheckReport[] = CHECKS.map((def) => {
    const found = byId.get(def.id);
    const result: CheckResult = found ?? {
      id: def.id,
      verdict: ctx.selected.includes(def.id) ? 'error' : 'skipped',
      message: ctx.selected.includes(def.id)
        ? `harness error: no verdict was reported for this check${input.runErrors.length ? ` (${input.runErrors.join('; ')})` : ''}`
        : "excluded by the run's selection (--suite, --only, --exclude)",
      durationMs: 0,
      evidence: [],
    };
    return {
      id: def.id,
      title: def.title,
      suite: def.suite,
      level: def.level,
      strength: def.strength,
      revisions: [...def.revisions],
      feature: def.feature,
      dependsOn: [...(def.dependsOn ?? [])],
      requirements: [...def.requirements],
      hints: [...(def.hints ?? [])],
      verdict: result.verdict,
      message: result.message,
      expected: result.expected,
      observed: result.observed,
      specRefs: specRefsOf(def, ctx.revision),
      durationMs: result.durationMs,
      evidence: result.evidence,
    };
  });

  // A check whose prerequisite did not pass cannot be judged fairly.
  const verdictOf = new Map(checks.map((c) => [c.id, c.verdict]));
  for (const c of checks) {
    const broken = c.dependsOn.filter((d) => ['fail', 'error', 'blocked'].includes(verdictOf.get(d) ?? ''));
    if (broken.length && !['n/a', 'skipped'].includes(c.verdict)) {
      c.verdict = 'blocked';
      c.message = `blocked: depends on ${broken.join(', ')}, which did not pass`;
      verdictOf.set(c.id, 'blocked');
    }
  }

  const reasons: string[] = [];
  // Expected failures from the baseline don't count against the gate; a listed check that passes is stale.
  const gateChecks = checks.map((c) => {
    if (!input.baseline?.has(c.id)) return c;
    if (c.verdict === 'fail' || c.verdict === 'warn') {
      c.baseline = 'expected-failure';
      return { ...c, verdict: 'pass' as const };
    }
    if (c.verdict === 'pass') {
      c.baseline = 'stale';
      reasons.push(`baseline entry ${c.id} is stale: the check now passes; remove it from the baseline`);
    }
    return c;
  });
  const { levels, achieved } = computeLevels(checks, ctx.target.features);
  const gateLevels = computeLevels(gateChecks, ctx.target.features);
  if (input.requiredLevel && gateLevels.achieved < input.requiredLevel) {
    const l = gateLevels.levels[input.requiredLevel - 1];
    reasons.unshift(`required level L${input.requiredLevel} not achieved (${l.state}: ${l.reason})`);
  }

  const summary: Record<CheckReport['verdict'], number> = { pass: 0, fail: 0, warn: 0, 'n/a': 0, skipped: 0, blocked: 0, untested: 0, error: 0 };
  for (const c of checks) summary[c.verdict] += 1;

  return {
    schemaVersion: 1,
    harness: { name: 'proxyspec', version: input.harnessVersion },
    startedAt: input.startedAt.toISOString(),
    durationMs: Math.round(input.durationMs),
    spec: ctx.revision,
    target: {
      name: ctx.target.name,
      kind: ctx.target.kind,
      version: ctx.target.version,
      url: ctx.target.url,
      upstream: ctx.target.upstream,
      upstreamEra: ctx.target.upstreamEra,
      upstreamServer: ctx.target.upstreamServer,
      features: [...ctx.target.features],
      logs: input.logs,
    },
    selection: input.selection,
    levels,
    level: achieved,
    requiredLevel: input.requiredLevel,
    gate: { passed: reasons.length === 0, reasons },
    summary,
    relay: { ok: relay.ok, stoppedAfter: relay.stoppedAfter, message: [relay.message, input.eraHint].filter(Boolean).join(' ') },
    suites: suiteTimes(input.records),
    coverage: coverageSection(ctx.revision),
    checks,
    machine: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
  };
}

/** Per suite (that of a scenario's first check): how many scenarios ran, their summed time and their wall span, slowest first. */
export function suiteTimes(records: readonly ScenarioRecord[]): NonNullable<Report['suites']> {
  const bySuite = new Map<string, { scenarios: number; scenarioMs: number; first: number; last: number }>();
  for (const r of records) {
    const suite = r.checks[0]?.split('/')[0];
    if (!suite || r.endedAt < r.startedAt) continue;
    const s = bySuite.get(suite) ?? { scenarios: 0, scenarioMs: 0, first: Infinity, last: -Infinity };
    s.scenarios += 1;
    s.scenarioMs += r.endedAt - r.startedAt;
    s.first = Math.min(s.first, r.startedAt);
    s.last = Math.max(s.last, r.endedAt);
    bySuite.set(suite, s);
  }
  return [...bySuite.entries()]
    .map(([suite, s]) => ({ suite, scenarios: s.scenarios, scenarioMs: Math.round(s.scenarioMs), wallMs: Math.round(s.last - s.first) }))
    .sort((a, b) => b.scenarioMs - a.scenarioMs);
}
