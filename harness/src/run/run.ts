/**
 * One conformance run, end to end: start the mocks, start (or attach to) the target, run the selected
 * suite files under vitest with the run context injected, stop everything, aggregate the verdicts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVitest } from 'vitest/node';
import { CHECKS } from '../../../catalogue/index.ts';
import { ScenarioRecordSchema, type ScenarioRecord } from '../checks/scenario-record.ts';
import { HarnessError } from '../errors.ts';
import { HARNESS_VERSION } from '../version.ts';
import type { Revision } from '../../../wire/index.ts';
import { aggregate } from './aggregate.ts';
import { eraHint as targetHint } from './era-probe.ts';
import { findRelayBreak } from './relay.ts';
import type { Baseline } from './baseline.ts';
import type { RunContext } from '../context.ts';
import { startFixture } from '../fixture/fixture.ts';
import { CODE_EXT, CODE_ROOT } from '../paths.ts';
import { selectChecks, type Selection } from './select.ts';
import { targetSpecOf } from '../targets/start-target.ts';
import type { UpstreamChoice } from '../targets/profile.ts';
import type { Report } from '../../../reports/src/index.ts';

export interface RunOptions {
  target: string;
  revision: Revision;
  selection: Selection;
  requiredLevel?: number;
  baseline?: Baseline;
  verbose?: boolean;
  /** The upstream to wire the target to, over what its profile says (`--upstream-era`, `--upstream-server`). */
  upstream?: Partial<UpstreamChoice>;
}


function selectedSuites(selected: string[]): string[] {
  return [...new Set(CHECKS.filter((c) => selected.includes(c.id)).map((c) => c.suite))];
}

/** The suite files that hold scenarios for the selected checks. */
function suiteFiles(selected: string[]): string[] {
  return selectedSuites(selected).map((s) => `suites/${s}/**/*.test${CODE_EXT}`);
}

/** The quiet scenario files of the selected suites. */
function quietFiles(selected: string[]): string[] {
  return selectedSuites(selected).flatMap((s) => {
    const folder = join(CODE_ROOT, 'suites', s);
    return existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith(`.quiet.test${CODE_EXT}`)).map((f) => `suites/${s}/${f}`) : [];
  });
}

export async function runConformance(options: RunOptions): Promise<Report> {
  return (await judge(options)).report;
}

/** A run's report, and the session-era revision the target agreed to when it relayed nothing under a stateless one. */
export interface RunOutcome {
  report: Report;
  speaks?: string;
}

export async function judge(options: RunOptions): Promise<RunOutcome> {
  const selected = selectChecks(options.selection);
  const startedAt = new Date();
  const t0 = performance.now();
  const fixture = await startFixture(options.target, { mocks: {}, upstream: options.upstream });
  const scratch = await mkdtemp(join(tmpdir(), 'proxyspec-run-'));
  try {
    const ctx = fixture.context({ targetSpec: targetSpecOf(options.target), revision: options.revision, resultsFile: join(scratch, 'results.jsonl'), selected, assertPass: false });
    // Timing- and memory-sensitive scenarios (`*.quiet.test.ts`) run after the others, one at a time,
    // so that no other scenario's load is in their figures.
    const runErrors = await runSuites(ctx, suiteFiles(selected), { exclude: [QUIET_FILES], maxWorkers: 2 }, options.verbose ?? false);
    const quiet = quietFiles(selected);
    if (quiet.length) runErrors.push(...(await runSuites(ctx, quiet, { exclude: [], maxWorkers: 1 }, options.verbose ?? false)));
    const { records, problems } = await readScenarioRecords(ctx.resultsFile);
    runErrors.push(...problems);
    // A target that never relayed may speak the session era, or the deprecated HTTP+SSE transport: asked once, while it still runs.
    const era = await targetHint(findRelayBreak(records), options.revision, ctx.target);
    const report = aggregate({
      ctx,
      records,
      eraHint: era?.sentence,
      runErrors,
      startedAt,
      durationMs: performance.now() - t0,
      logs: fixture.target.logs(),
      selection: options.selection,
      requiredLevel: options.requiredLevel,
      baseline: options.baseline,
      harnessVersion: HARNESS_VERSION,
    });
    return { report, speaks: era?.speaks };
  } finally {
    await fixture.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Scenario files that must run alone, after the others. */
export const QUIET_FILES = `**/*.quiet.test${CODE_EXT}`;

async function runSuites(ctx: RunContext, include: string[], phase: { exclude: string[]; maxWorkers: number }, verbose: boolean): Promise<string[]> {
  const vitest = await startVitest(
    'test',
    [],
    {
      root: CODE_ROOT,
      config: false,
      watch: false,
      include,
      exclude: ['**/node_modules/**', ...phase.exclude],
      reporters: verbose ? ['default'] : [{ onInit() {} }],
      provide: { proxyspec: ctx },
      // Scenarios isolate themselves by session and correlation id; two workers keep a 2-core machine busy.
      maxWorkers: phase.maxWorkers,
      fileParallelism: phase.maxWorkers > 1,
      // Suite files share nothing but the harness, which is loaded once per worker instead of once per file.
      isolate: false,
      passWithNoTests: true,
      // No results cache: an installed package's folder may be read-only, and the order of suites is ours.
      cache: false,
    } as never,
  );
  if (!vitest) throw new HarnessError('HARNESS_ERR_SUITE_RUN', 'vitest could not start the suites');
  const errors: string[] = [];
  for (const module of vitest.state.getTestModules()) {
    for (const err of module.errors()) errors.push(`${module.moduleId}: ${err.message}`);
  }
  for (const err of vitest.state.getUnhandledErrors()) errors.push(String((err as Error)?.message ?? err));
  await vitest.close();
  // vitest marks failures on the process; a proxy's failures are verdicts, not our exit code.
  process.exitCode = 0;
  return errors;
}

/**
 * The scenario records of a run, each line validated against the report's schema. A line that is
 * not one is reported (its checks then have no verdict, which is an `error`), never taken on trust.
 */
export async function readScenarioRecords(file: string): Promise<{ records: ScenarioRecord[]; problems: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { records: [], problems: [`no scenario wrote its verdicts (${(err as Error).message})`] };
  }
  const records: ScenarioRecord[] = [];
  const problems: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      problems.push(`results line ${i + 1} is not JSON: ${(err as Error).message}`);
      continue;
    }
    const parsed = ScenarioRecordSchema.safeParse(raw);
    if (parsed.success) records.push(parsed.data);
    else problems.push(`results line ${i + 1} is not a scenario record: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  }
  return { records, problems };
}
