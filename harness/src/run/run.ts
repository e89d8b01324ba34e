/**
 * One conformance run, end to end: start the mocks, start (or attach to) the target, run the selected
 * suite files under vitest with the run context injected, stop everything, aggregate the verdicts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVitest } from 'vitest/node';
import { CHECKS } from '../checks/catalog.ts';
import type { CheckResult } from '../checks/types.ts';
import { HarnessError } from '../errors.ts';
import { HARNESS_VERSION } from '../version.ts';
import type { Revision } from '../wire/index.ts';
import { aggregate } from './aggregate.ts';
import type { Baseline } from './baseline.ts';
import type { RunContext } from './context.ts';
import { PACKAGE_ROOT, startMockEnvironment } from './environment.ts';
import { selectChecks, type Selection } from './select.ts';
import { makeContext, resolveTarget, startTarget, targetSpecOf } from '../targets/start-target.ts';
import type { Report } from '../../../reports/src/index.ts';

export interface RunOptions {
  target: string;
  revision: Revision;
  selection: Selection;
  requiredLevel?: number;
  baseline?: Baseline;
  verbose?: boolean;
}


/** The suite files that hold scenarios for the selected checks. */
function suiteFiles(selected: string[]): string[] {
  const suites = new Set(CHECKS.filter((c) => selected.includes(c.id)).map((c) => c.suite));
  return [...suites].map((s) => `suites/${s}/**/*.test.ts`);
}

export async function runConformance(options: RunOptions): Promise<Report> {
  const selected = selectChecks(options.selection);
  const target = await resolveTarget(options.target);
  const startedAt = new Date();
  const t0 = performance.now();
  const env = await startMockEnvironment();
  const scratch = await mkdtemp(join(tmpdir(), 'proxyspec-run-'));
  let running: Awaited<ReturnType<typeof startTarget>> | undefined;
  try {
    running = await startTarget(target, env);
    const ctx = makeContext(
      { target: running.info, targetSpec: targetSpecOf(options.target), revision: options.revision, resultsFile: join(scratch, 'results.jsonl'), selected, assertPass: false },
      env,
    );
    const runErrors = await runSuites(ctx, suiteFiles(selected), options.verbose ?? false);
    const results = await readResults(ctx.resultsFile);
    return aggregate({
      ctx,
      results,
      runErrors,
      startedAt,
      durationMs: performance.now() - t0,
      logs: running.logs(),
      selection: options.selection,
      requiredLevel: options.requiredLevel,
      baseline: options.baseline,
      harnessVersion: HARNESS_VERSION,
    });
  } finally {
    await running?.stop();
    await env.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function runSuites(ctx: RunContext, include: string[], verbose: boolean): Promise<string[]> {
  const vitest = await startVitest(
    'test',
    [],
    {
      root: PACKAGE_ROOT,
      config: false,
      watch: false,
      include,
      reporters: verbose ? ['default'] : [{ onInit() {} }],
      provide: { proxyspec: ctx },
      // Scenarios isolate themselves by session and correlation id; two workers keep a 2-core machine busy.
      maxWorkers: 2,
      passWithNoTests: true,
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

async function readResults(file: string): Promise<CheckResult[]> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CheckResult);
}
