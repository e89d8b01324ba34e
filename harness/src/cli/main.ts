/**
 * The `proxyspec` command line. Exit codes: 0 the run completed and met the gate, 1 the required
 * level was not achieved (or a baseline went stale), 2 usage or configuration error, 3 setup error.
 * `proxyspec proxy` is dispatched by bin/proxyspec.js to the reference proxy, which is not ours to import.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve, join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CHECKS } from '../../../catalogue/index.ts';
import { specRefsOf } from '../../../catalogue/requirements.ts';
import { HarnessError, isHarnessError } from '../errors.ts';
import { HARNESS_VERSION } from '../version.ts';
import { DEFAULT_REVISION, REVISIONS, type Revision } from '../../../wire/index.ts';
import { loadBaseline } from '../run/baseline.ts';
import { writeReports, toTerminal, reportJsonSchema, perfJsonSchema, writePerf, perfTerminal, ReportSchema, compareHtml, compareTerminal, diffRuns, type Report } from '../../../reports/src/index.ts';
import { checkNeeds, checksMarkdown, hintsText } from './checks-doc.ts';
import { stopTargetsOnSignal } from '../targets/process-target.ts';
import { BENCH_SCENARIOS, isBenchScenario } from '../bench/scenarios.ts';

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

export function buildProgram(output: { out: (s: string) => void; err: (s: string) => void }, setExit: (code: number) => void): Command {
  const program = new Command('proxyspec')
    .description('Conformance and performance harness for MCP proxies, with a reference MCP proxy.')
    .version(HARNESS_VERSION)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .addHelpText('after', '\nAlso:\n  proxy [options]    run the reference MCP proxy (see `proxyspec proxy --help`)\n\nExit codes: 0 ok, 1 required level not achieved, 2 usage or configuration error, 3 setup error.');

  program
    .command('run')
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
    .addHelpText('after', `\nHints a profile gives under \`config:\` (a check whose hint is missing is untested, and keeps its level partial):\n${hintsText()}`)
    .action(async (opts: { target: string; spec: Revision; suite: string[]; only: string[]; exclude: string[]; out?: string; requireLevel?: number; baseline?: string; verbose?: boolean }) => {
      const baseline = opts.baseline ? await loadBaseline(opts.baseline) : undefined;
      stopTargetsOnSignal();
      // vitest is heavy to load: only `run` pays for it.
      const { runConformance } = await import('../run/run.ts');
      const report = await runConformance({
        target: opts.target,
        revision: opts.spec,
        selection: { suites: opts.suite, only: opts.only, exclude: opts.exclude },
        requiredLevel: opts.requireLevel,
        baseline,
        verbose: opts.verbose,
      });
      const outDir = resolve(opts.out ?? join('reports', 'out', `${report.target.name}-${timestamp()}`));
      await writeReports(report, outDir, { linkLatest: !opts.out });
      output.out(toTerminal(report, { verbose: opts.verbose, outDir }));
      setExit(report.gate.passed ? 0 : 1);
    });

  program
    .command('bench')
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

  const reportCommand = program.command('report').description('Work with the reports of earlier runs.');
  reportCommand
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

  program
    .command('list')
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

  program
    .command('coverage')
    .description('How much of a revision\'s proxy-relevant, observable requirements the checks judge: traced to a check, excluded with a reason, or untested.')
    .option('--json', 'as JSON')
    .option('--markdown', 'as Markdown, one row per requirement')
    .addOption(new Option('--spec <revision>', 'revision of the catalogue').choices([...REVISIONS]).default(DEFAULT_REVISION))
    .action(async (opts: { json?: boolean; markdown?: boolean; spec: Revision }) => {
      const { coverageOf, coverageMarkdown, coverageText } = await import('../checks/coverage.ts');
      const coverage = coverageOf(opts.spec);
      output.out(opts.json ? `${JSON.stringify(coverage, null, 2)}\n` : opts.markdown ? coverageMarkdown(coverage) : coverageText(coverage));
    });

  const mock = program.command('mock').description('Run the mocks standalone.');
  mock
    .command('upstream')
    .description('Run the mock MCP upstream (Streamable HTTP, or stdio with --stdio).')
    .option('--port <n>', 'port for Streamable HTTP (default: a free one)', (v) => Number.parseInt(v, 10), 0)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--stdio', 'speak MCP on stdin/stdout instead')
    .option('--control <url>', 'report records to this harness control URL (stdio)')
    .addOption(new Option('--era <era>', 'the revisions it serves (HTTP): both eras on one endpoint, 2025-11-25 and earlier only, or 2026-07-28 only').choices(['dual', 'legacy', 'modern']).default('dual'))
    .action(async (opts: { port: number; host: string; stdio?: boolean; control?: string; era: 'dual' | 'legacy' | 'modern' }) => {
      const { runStdioUpstream, startHttpUpstream, startControlServer, Recorder } = await import('../../../mocks/upstream/index.ts');
      if (opts.stdio) {
        await runStdioUpstream({ controlUrl: opts.control });
        return;
      }
      const recorder = new Recorder();
      const control = await startControlServer(recorder);
      const upstream = await startHttpUpstream({ recorder, port: opts.port, host: opts.host, era: opts.era });
      output.out(`mock upstream: ${upstream.url}\ncontrol (records): ${control.url}/records\n`);
      await waitForSignal();
      await upstream.close();
      await control.close();
    });
  mock
    .command('idp')
    .description('Run the mock OAuth 2.1 authorization server (oidc-provider): JWT access tokens for a resource, client_credentials, PKCE.')
    .option('--port <n>', 'port (default: a free one)', (v) => Number.parseInt(v, 10), 0)
    .option('--audience <url>', 'the protected resource tokens are for (your proxy\'s MCP URL)', 'http://127.0.0.1:8080/mcp')
    .option('--resource <url...>', 'other resources tokens may be asked for (an upstream)', [])
    .action(async (opts: { port: number; audience: string; resource: string[] }) => {
      const { startIdp } = await import('../../../mocks/idp/index.ts');
      const idp = await startIdp({ port: opts.port, audience: opts.audience, otherResources: opts.resource });
      const sample = await idp.token();
      output.out(
        [
          `issuer:         ${idp.issuer}`,
          `discovery:      ${idp.issuer}/.well-known/openid-configuration`,
          `jwks_uri:       ${idp.jwksUri}`,
          `token endpoint: ${idp.tokenEndpoint}`,
          `audience:       ${idp.audience}`,
          `client:         ${idp.clients.client.id} / ${idp.clients.client.secret} (client_credentials, authorization_code + PKCE)`,
          `other client:   ${idp.clients.other.id} / ${idp.clients.other.secret} (client_credentials, a second user)`,
          `proxy client:   ${idp.clients.proxy.id} / ${idp.clients.proxy.secret} (client_credentials, for the proxy's own upstream token)`,
          `a token for the audience (1 hour):`,
          sample,
          '',
        ].join('\n'),
      );
      await waitForSignal();
      await idp.close();
    });
  mock
    .command('proxy')
    .description('Run the small pass-through proxy used in self-tests, optionally with one deliberate defect.')
    .requiredOption('--upstream <url>', 'Streamable HTTP URL of the upstream')
    .option('--port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 0)
    .option('--defect <name>', 'the defect to have (see mocks/broken-proxies)', 'none')
    .option('--timeout-ms <ms>', 'time the upstream has to start answering', (v) => Number.parseInt(v, 10), 30_000)
    .action(async (opts: { upstream: string; port: number; defect: string; timeoutMs: number }) => {
      const { startBrokenProxy, DEFECTS } = await import('../../../mocks/broken-proxies/index.ts');
      if (!(DEFECTS as readonly string[]).includes(opts.defect)) throw new HarnessError('HARNESS_ERR_USAGE', `unknown defect ${opts.defect}; known: ${DEFECTS.join(', ')}`);
      const proxy = await startBrokenProxy({ upstream: opts.upstream, port: opts.port, defect: opts.defect as never, timeoutMs: opts.timeoutMs });
      output.out(`pass-through proxy (defect: ${opts.defect}): ${proxy.url}\n`);
      await waitForSignal();
      await proxy.close();
    });
  mock
    .command('multiplexer')
    .description('Run the broken stdio bridge that puts every client onto one upstream process and closes it on any DELETE (a self-test target).')
    .requiredOption('--upstream-command <command>', 'shell command that runs the stdio upstream')
    .option('--port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 0)
    .action(async (opts: { upstreamCommand: string; port: number }) => {
      const { startMultiplexer } = await import('../../../mocks/broken-proxies/index.ts');
      const proxy = await startMultiplexer({ upstreamCommand: opts.upstreamCommand, port: opts.port });
      output.out(`multiplexing stdio bridge: ${proxy.url}\n`);
      await waitForSignal();
      await proxy.close();
    });
  mock
    .command('reference')
    .description('Run the reference proxy with one deliberate defect (the Level 2 and Level 3 self-tests).')
    .requiredOption('--defect <name>', 'the defect to have (see mocks/broken-proxies/reference-defects.ts)')
    .requiredOption('-c, --config <file>', 'the reference proxy config to start from')
    .option('--port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 0)
    .option('--redis <url>', 'a Redis shared with other replicas (as the reference proxy\'s --redis)')
    .action(async (opts: { defect: string; config: string; port: number; redis?: string }) => {
      const { buildDefectiveReference, REFERENCE_DEFECTS } = await import('../../../mocks/broken-proxies/index.ts');
      const { loadConfigFile, parseConfig } = await import('../../../proxy/src/index.ts');
      if (!(REFERENCE_DEFECTS as readonly string[]).includes(opts.defect)) throw new HarnessError('HARNESS_ERR_USAGE', `unknown defect ${opts.defect}; known: ${REFERENCE_DEFECTS.join(', ')}`);
      const loaded = await loadConfigFile(opts.config);
      const config = opts.redis === undefined ? loaded : parseConfig({ ...loaded, state: { ...loaded.state, redis: opts.redis } });
      const app = await buildDefectiveReference(opts.defect as never, config);
      const address = await app.listen({ port: opts.port, host: '127.0.0.1' });
      output.out(`reference proxy (defect: ${opts.defect}): ${address}\n`);
      await waitForSignal();
      await app.shutdown();
    });

  program
    .command('schema')
    .description('Write the JSON Schema of report.json (or of perf.json with --perf).')
    .option('--out <file>', 'file to write (default: stdout)')
    .option('--perf', 'the schema of perf.json instead')
    .action(async (opts: { out?: string; perf?: boolean }) => {
      const text = `${JSON.stringify(opts.perf ? perfJsonSchema() : reportJsonSchema(), null, 2)}\n`;
      if (opts.out) await writeFile(opts.out, text);
      else output.out(text);
    });

  return program;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
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
