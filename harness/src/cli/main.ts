/**
 * The `proxyspec` command line. Exit codes: 0 the run completed and met the gate, 1 the required
 * level was not achieved (or a baseline went stale), 2 usage or configuration error, 3 setup error.
 * `proxyspec proxy` is dispatched by bin/proxyspec.js straight to the reference proxy's own main
 * (proxy/src/main.ts), so that a proxy process loads nothing of the judge; `proxyspec mock …` is the
 * mocks' own command (mocks/cli.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve, join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CHECKS } from '../../../catalogue/index.ts';
import { specRefsOf } from '../../../catalogue/requirements.ts';
import { HarnessError, isHarnessError } from '../errors.ts';
import { HARNESS_VERSION } from '../version.ts';
import { DEFAULT_REVISION, REVISIONS, isRevision, type Revision } from '../../../wire/index.ts';
import { loadBaseline } from '../run/baseline.ts';
import { writeReports, toTerminal, verdictCounts, reportJsonSchema, perfJsonSchema, writePerf, perfTerminal, ReportSchema, compareHtml, compareTerminal, diffRuns, type Report } from '../../../reports/src/index.ts';
import { checkNeeds, checksMarkdown, hintsText } from './checks-doc.ts';
import { stopTargetsOnSignal } from '../targets/process-target.ts';
import { mockCommand } from '../../../mocks/cli.ts';
import { BENCH_SCENARIOS, isBenchScenario } from '../bench/scenarios.ts';
import { UPSTREAM_ERAS, UPSTREAM_SERVERS, type UpstreamEra, type UpstreamServer } from '../targets/profile.ts';

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

function level(value: string): number {
  if (!['1', '2', '3'].includes(value)) throw new InvalidArgumentError('must be 1, 2 or 3');
  return Number(value);
}

/** A report.json (or the run folder holding one), validated. */
async function readReport(path: string): Promise<{ report: Report; dir: string }> {
  const file = path.endsWith('.json') ? resolve(path) : resolve(path, 'report.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new HarnessError('HARNESS_ERR_REPORT_READ', `cannot read the report ${file}: ${(cause as Error).message}`, { cause });
  }
  const parsed = ReportSchema.safeParse(raw);
  if (!parsed.success) throw new HarnessError('HARNESS_ERR_REPORT_READ', `${file} is not a proxyspec report.json (schema version 1): ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return { report: parsed.data, dir: dirname(file) };
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} takes positive whole numbers`);
  return n;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
}

type Output = { out: (s: string) => void; err: (s: string) => void };
type SetExit = (code: number) => void;

/** A command built on its own, given the program's settings (output, exit override, help after an error), its subcommands too. */
function adopt(parent: Command, command: Command): Command {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) adopt(command, sub);
  return command;
}

export function buildProgram(output: Output, setExit: SetExit): Command {
  const program = new Command('proxyspec')
    .description('Conformance and performance harness for MCP proxies, with a reference MCP proxy.')
    .version(HARNESS_VERSION)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .addHelpText('after', '\nAlso:\n  proxy [options]    run the reference MCP proxy (see `proxyspec proxy --help`)\n\nExit codes: 0 ok, 1 required level not achieved, 2 usage or configuration error, 3 setup error.');
  for (const command of [runCommand(output, setExit), benchCommand(output), reportCommand(output, setExit), listCommand(output), coverageCommand(output), mockCommand({ out: output.out, usage: (message) => new HarnessError('HARNESS_ERR_USAGE', message) }), schemaCommand(output)]) {
    program.addCommand(adopt(program, command));
  }
  return program;
}

function runCommand(output: Output, setExit: SetExit): Command {
  return new Command('run')
    .description('Run the conformance suites against a target and write the reports.')
    .requiredOption('-t, --target <target>', 'a profile file (.yaml, .yml or .json), or a built-in: `reference`, `reference-stdio`, `reference-replicas` or `direct`')
    .addOption(new Option('--spec <revision>', 'MCP protocol revision').choices([...REVISIONS]).default(DEFAULT_REVISION))
    .option('--suite <names>', 'only these suites (comma list)', list, [])
    .option('--only <glob>', 'only checks whose id matches (repeatable, comma list)', list, [])
    .option('--exclude <glob>', 'leave out checks whose id matches (repeatable, comma list)', list, [])
    .option('--out <dir>', 'output folder (default reports/out/<target>-<timestamp>, with reports/out/latest pointing at it)')
    .option('--require-level <n>', 'exit 1 unless this level (1, 2 or 3) is achieved', level)
    .option('--baseline <file>', 'YAML list of expected failures: they do not fail the gate; one that passes is stale and does')
    .option('--verbose', 'show every check and vitest\'s own output')
    .addOption(new Option('--upstream-era <era>', "the revisions the mock upstream serves, over the profile's upstreamEra: both, 2025-11-25 and earlier only (as most servers today), or 2026-07-28 only").choices([...UPSTREAM_ERAS]))
    .addOption(new Option('--upstream-server <server>', "the upstream server, over the profile's upstreamServer: the scriptable mock, or its tools on the official TypeScript SDK v1 (legacy era)").choices([...UPSTREAM_SERVERS]))
    .addHelpText('after', `\nHints a profile gives under \`config:\` (a check whose hint is missing is untested, and keeps its level partial):\n${hintsText()}`)
    .action(async (opts: { target: string; spec: Revision; suite: string[]; only: string[]; exclude: string[]; out?: string; requireLevel?: number; baseline?: string; verbose?: boolean; upstreamEra?: UpstreamEra; upstreamServer?: UpstreamServer }, command: Command) => {
      const baseline = opts.baseline ? await loadBaseline(opts.baseline) : undefined;
      stopTargetsOnSignal();
      // vitest is heavy to load: only `run` pays for it.
      const { judge } = await import('../run/run.ts');
      const options = {
        target: opts.target,
        revision: opts.spec,
        selection: { suites: opts.suite, only: opts.only, exclude: opts.exclude },
        requiredLevel: opts.requireLevel,
        baseline,
        verbose: opts.verbose,
        upstream: { era: opts.upstreamEra, server: opts.upstreamServer },
      };
      const { report, speaks } = await judge(options);
      const outDir = resolve(opts.out ?? join('reports', 'out', `${report.target.name}-${timestamp()}`));
      // Asked for no revision, the user gets the verdict for the era the target speaks as well: a
      // target that relayed nothing under the default and agreed to a session-era initialize is
      // judged again under that revision, in a folder of its own. The exit code stays the default's.
      const followed = command.getOptionValueSource('spec') === 'default' && isRevision(speaks) ? speaks : undefined;
      let second: { report: Report; outDir: string } | undefined;
      if (followed) {
        output.err(`The target speaks the session era (${followed}), not ${opts.spec}: judging it under ${followed} as well.\n`);
        const other = await judge({ ...options, revision: followed });
        second = { report: other.report, outDir: join(outDir, followed) };
        await writeReports(second.report, second.outDir, { linkLatest: false });
        if (report.relay) report.relay.message = `${report.relay.message} No --spec was given, so it was judged under ${followed} too: ${levelReached(second.report)} (reports in ${second.outDir}).`;
      }
      await writeReports(report, outDir, { linkLatest: !opts.out });
      output.out(toTerminal(report, { verbose: opts.verbose, outDir }));
      if (second) output.out(`\nUnder ${followed}, the era the target speaks:\n${toTerminal(second.report, { verbose: opts.verbose, outDir: second.outDir })}`);
      setExit(report.gate.passed ? 0 : 1);
    });
}

/** "achieved L2 (40 pass, 3 fail)", or "achieved no level (…)": a run's outcome in a few words. */
function levelReached(report: Report): string {
  return `${report.level > 0 ? `achieved L${report.level}` : 'achieved no level'} (${verdictCounts(report)})`;
}

function benchCommand(output: Output): Command {
  return new Command('bench')
    .description('Load each target and `direct` (the same upstream, no proxy) in rotating rounds with autocannon; write perf.json and perf.html.')
    .requiredOption('-t, --target <target...>', 'profile files or built-ins (`reference`, `reference-stdio`, `reference-replicas`, `floor`: a minimal pass-through, `nginx`: nginx with a generated config, when installed); repeatable')
    .option('--scenario <names>', `scenarios (comma list; default all): ${BENCH_SCENARIOS.join(', ')}`, list, [])
    .option('--connections <list>', 'connection counts for the small-json and paced-json sweeps (comma list)', (v) => v.split(',').map((n) => positive(n, '--connections')), [1, 10, 100, 1000])
    .option('--duration <s>', 'seconds per round', (v) => positive(v, '--duration'), 5)
    .option('--rounds <n>', 'rounds per target and scenario (their order rotates)', (v) => positive(v, '--rounds'), 2)
    .option('--rate <n>', 'requests per second, in total, that paced-json offers (the added-latency figure)', (v) => positive(v, '--rate'), 500)
    .option('--sessions <n>', 'sessions opened by the idle-sessions scenario', (v) => positive(v, '--sessions'), 10_000)
    .option('--out <dir>', 'output folder (default reports/out/bench-<timestamp>)')
    .action(async (opts: { target: string[]; scenario: string[]; connections: number[]; duration: number; rounds: number; rate: number; sessions: number; out?: string }) => {
      const unknown = opts.scenario.filter((s) => !isBenchScenario(s));
      if (unknown.length) throw new HarnessError('HARNESS_ERR_USAGE', `unknown scenario ${unknown.join(', ')}; known: ${BENCH_SCENARIOS.join(', ')}`);
      const { runBench } = await import('../bench/bench.ts');
      stopTargetsOnSignal();
      const perf = await runBench({
        targets: opts.target,
        scenarios: opts.scenario.length ? opts.scenario.filter(isBenchScenario) : [...BENCH_SCENARIOS],
        connections: opts.connections,
        durationSec: opts.duration,
        rounds: opts.rounds,
        rate: opts.rate,
        idleSessions: opts.sessions,
        log: (line) => output.err(`${line}\n`),
      });
      const outDir = resolve(opts.out ?? join('reports', 'out', `bench-${timestamp()}`));
      const files = await writePerf(perf, outDir);
      output.out(perfTerminal(perf));
      output.out(`\nWrote ${files.join(', ')}\n`);
    });
}

function reportCommand(output: Output, setExit: SetExit): Command {
  const report = new Command('report').description('Work with the reports of earlier runs.');
  report
    .command('compare')
    .description('Put runs side by side (checks as rows, targets as columns, each cell linking to its evidence); with --baseline, what changed.')
    .argument('<report...>', 'report.json files, or the run folders that hold them')
    .option('--baseline <report...>', 'report.json of earlier runs of the same targets: list what changed, and exit 1 if a check regressed')
    .requiredOption('--out <dir>', 'folder to write compare.html to')
    .action(async (files: string[], opts: { baseline?: string[]; out: string }) => {
      const runs = await Promise.all(files.map(readReport));
      const baseline = await Promise.all((opts.baseline ?? []).map(readReport));
      const changes = diffRuns(
        baseline.map((b) => b.report),
        runs.map((r) => r.report),
      );
      const outDir = resolve(opts.out);
      await mkdir(outDir, { recursive: true });
      await writeFile(join(outDir, 'compare.html'), compareHtml(runs, outDir, changes));
      output.out(compareTerminal(runs.map((r) => r.report), changes));
      output.out(`\nWrote ${join(outDir, 'compare.html')}\n`);
      setExit(changes.some((c) => c.kind === 'regressed') ? 1 : 0);
    });
  return report;
}

function listCommand(output: Output): Command {
  return new Command('list')
    .description('List every check: id, level, strength, suite, revisions, spec link.')
    .option('--json', 'as JSON')
    .option('--markdown', 'as the Markdown table the README embeds')
    .addOption(new Option('--spec <revision>', 'revision whose spec links to show').choices([...REVISIONS]).default(DEFAULT_REVISION))
    .action((opts: { json?: boolean; markdown?: boolean; spec: Revision }) => {
      if (opts.markdown) return output.out(checksMarkdown(opts.spec));
      const rows = CHECKS.map((c) => ({ ...c, specRefs: specRefsOf(c, opts.spec) }));
      if (opts.json) return output.out(`${JSON.stringify(rows, null, 2)}\n`);
      for (const c of rows) {
        const needs = checkNeeds(c).join('; ').replace(/`/g, '');
        output.out(`${c.id.padEnd(40)} L${c.level} ${c.strength.padEnd(6)} ${c.suite.padEnd(12)} ${c.revisions.join(',')}  ${c.specRefs[0]?.url ?? ''}${needs ? `\n${' '.repeat(42)}needs: ${needs}` : ''}\n`);
      }
    });
}

function coverageCommand(output: Output): Command {
  return new Command('coverage')
    .description('How much of a revision\'s proxy-relevant, observable requirements the checks judge: traced to a check, excluded with a reason, or untested.')
    .option('--json', 'as JSON')
    .option('--markdown', 'as Markdown, one row per requirement')
    .addOption(new Option('--spec <revision>', 'revision of the catalogue').choices([...REVISIONS]).default(DEFAULT_REVISION))
    .action(async (opts: { json?: boolean; markdown?: boolean; spec: Revision }) => {
      const { coverageOf, coverageMarkdown, coverageText } = await import('../checks/coverage.ts');
      const coverage = coverageOf(opts.spec);
      output.out(opts.json ? `${JSON.stringify(coverage, null, 2)}\n` : opts.markdown ? coverageMarkdown(coverage) : coverageText(coverage));
    });
}

function schemaCommand(output: Output): Command {
  return new Command('schema')
    .description('Write the JSON Schema of report.json (or of perf.json with --perf).')
    .option('--out <file>', 'file to write (default: stdout)')
    .option('--perf', 'the schema of perf.json instead')
    .action(async (opts: { out?: string; perf?: boolean }) => {
      const text = `${JSON.stringify(opts.perf ? perfJsonSchema() : reportJsonSchema(), null, 2)}\n`;
      if (opts.out) await writeFile(opts.out, text);
      else output.out(text);
    });
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram({ out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (isHarnessError(err)) {
      process.stderr.write(`proxyspec: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`proxyspec: internal error (a bug in proxyspec, please report it): ${(err as Error).stack ?? String(err)}\n`);
    return 3;
  }
}
