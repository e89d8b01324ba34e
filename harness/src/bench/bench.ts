/**
 * `proxyspec bench`: load through each target and straight to the same upstream (`direct`), in
 * rotating rounds of one run, with autocannon. The upstream is the lean bench mock in a process of
 * its own; the load generator's CPU is measured so a saturated generator shows in the report.
 */
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { HarnessError } from '../errors.ts';
import { HARNESS_VERSION } from '../version.ts';
import { BulkClient, inPool } from '../client/bulk.ts';
import { processGroupRss } from '../record/process-memory.ts';
import { fitLine, measurable } from '../record/fit.ts';
import { ID_SLOT, pacedLoad, type RoundFigures } from './paced.ts';
import type { BenchScenario } from './scenarios.ts';
import { PROXYSPEC_BIN } from '../paths.ts';
import { shellQuote } from '../targets/placeholders.ts';
import { startFloorProxy, startOwnProcess, type OwnProcess } from '../targets/own-process.ts';
import { startNginx } from './nginx.ts';
import type { TargetEnvironment } from '../targets/start-target.ts';
import { startFixture } from '../fixture/fixture.ts';
import type { Revision } from '../../../wire/index.ts';
// The revision the bench speaks is its upstream's, which knows sessions only.
import { BENCH_REVISION } from '../../../mocks/bench/upstream.ts';

import type { Perf, PerfRound, PerfSummary } from '../../../reports/src/perf-schema.ts';

/** autocannon's setupClient, by path (worker threads load it on their own). */
const UNIQUE_IDS = fileURLToPath(new URL('./unique-ids.cjs', import.meta.url));


export interface BenchOptions {
  targets: string[];
  scenarios: BenchScenario[];
  connections: number[];
  durationSec: number;
  rounds: number;
  /** Requests per second, in total, offered by the paced-json scenario. */
  rate: number;
  idleSessions: number;
  log?: (line: string) => void;
}

/** Sessions opened on a stdio target by the idle-sessions scenario (each is a process). */
const STDIO_IDLE_SESSIONS = 10;
/** Batches the idle sessions are opened in, resident memory read after each (a line through the readings). */
const IDLE_BATCHES = 5;
/** Time for the target to settle after a batch before its memory is read. */
const IDLE_SETTLE_MS = 500;

/** The most errors a target may have before its figures are refused. */
const MAX_ERROR_RATE = 0.01;

interface LoadScenario {
  /** small-json and paced-json run at every --connections value (the concurrency sweep); the others at one. */
  sweep: boolean;
  /** Sent at --rate requests per second in total, rather than as fast as the target answers. */
  paced?: boolean;
  body: string;
}

// Every connection shares one session, and MCP forbids reusing a request id within a session: a
// proxy that routes answers by id (as the SDK's transport does) would hand one caller's answer to
// another and leave the rest waiting. So each request gets its own id, in ID_SLOT.
const call = (name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: ID_SLOT, method: 'tools/call', params: { name, arguments: args, ...(meta && { _meta: meta }) } });

const LOAD: Record<Exclude<BenchScenario, 'idle-sessions'>, LoadScenario> = {
  'small-json': { sweep: true, body: call('echo', { x: 1 }) },
  'paced-json': { sweep: true, paced: true, body: call('echo', { x: 1 }) },
  'sse-progress': { sweep: false, body: call('progress', { count: 3 }, { progressToken: 'bench' }) },
  // 100 kB of argument (SI: 100,000 bytes), echoed back: a large tool result either way.
  'payload-100kb': { sweep: false, body: call('echo', { data: 'x'.repeat(100_000) }) },
  'slow-20ms': { sweep: false, body: call('slow', { ms: 20 }) },
};

interface BenchTarget {
  name: string;
  kind: 'direct' | 'reference' | 'profile' | 'floor' | 'nginx';
  url: string;
  upstream: 'http' | 'stdio';
  version?: string;
  headers: Record<string, string>;
  pid?: number;
  stop(): Promise<void>;
}

/** The bench upstream in a process of its own, so that it never shares a CPU queue with the load generator. */
async function startUpstreamProcess(): Promise<OwnProcess> {
  try {
    return await startOwnProcess('mock bench-upstream');
  } catch (err) {
    throw new HarnessError('HARNESS_ERR_MOCK_START', `the bench upstream did not start: ${(err as Error).message}`, { cause: err });
  }
}

const BENCH_WORKDIR = join(tmpdir(), `proxyspec-bench-${process.pid}`);

function environmentFor(upstreamUrl: string): TargetEnvironment {
  return {
    upstream: { url: upstreamUrl },
    placeholders: (port) => ({
      port: String(port),
      upstream_url: upstreamUrl,
      upstream_url_encoded: encodeURIComponent(upstreamUrl),
      upstream_base_url: new URL(upstreamUrl).origin,
      upstream_urls: upstreamUrl,
      upstream_backup_urls: '',
      upstream_command: `${shellQuote(process.execPath)} ${shellQuote(PROXYSPEC_BIN)} mock bench-upstream --stdio`,
      // A folder of the bench's own for what targets write ({workdir}: the reference proxy's audit trail).
      workdir: BENCH_WORKDIR,
    }),
  };
}

async function startBenchTarget(spec: string, upstreamUrl: string): Promise<BenchTarget> {
  if (spec === 'floor') {
    const floor = await startFloorProxy(upstreamUrl);
    return { name: 'floor', kind: 'floor', url: floor.url, upstream: 'http', headers: {}, stop: floor.stop };
  }
  if (spec === 'nginx') {
    const nginx = await startNginx(upstreamUrl);
    return { name: 'nginx', kind: 'nginx', url: nginx.url, upstream: 'http', headers: {}, stop: nginx.stop };
  }
  const fixture = await startFixture(spec, { peers: environmentFor(upstreamUrl) });
  const { info } = fixture.target;
  return { name: info.name, kind: info.kind, url: info.url, upstream: info.upstream, version: info.version, headers: info.headers, pid: info.pid, stop: () => fixture.stop() };
}

/** The headers of one open session on the target, for every request of the load. */
async function sessionHeaders(target: BenchTarget, revision: Revision): Promise<Record<string, string>> {
  const client = new BulkClient({ url: target.url, headers: target.headers, revision });
  try {
    const session = await client.open('psc_bench000000000000');
    if (!session.id) throw new HarnessError('HARNESS_ERR_BENCH_TARGET', `${target.name} did not open a session (HTTP ${session.status}${session.error ? `: ${session.error}` : ''})`);
    return { ...target.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session.id, 'mcp-protocol-version': revision };
  } finally {
    await client.close();
  }
}

/** One round's figures, however the load was driven. */
type Measured = RoundFigures & { latencyResolutionMs: number; cpuPercent: number };

/** As fast as the target answers, every connection always busy: throughput. */
async function load(url: string, headers: Record<string, string>, body: string, connections: number, durationSec: number): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Past a few hundred connections one event loop is the bottleneck: spread them over worker threads.
  const workers = connections >= 500;
  // Without a callback autocannon returns its instance, an event emitter that is also thenable.
  // UNIQUE_IDS fills ID_SLOT with ids of each connection's own. autocannon takes a setupClient's
  // path as well as a function (its types know only the function).
  const setupClient = UNIQUE_IDS as unknown as autocannon.Options['setupClient'];
  const instance = autocannon({ url, method: 'POST', headers, body, setupClient, connections, duration: durationSec, ...(workers && { workers: 2 }) }) as unknown as autocannon.Instance &
    PromiseLike<autocannon.Result>;
  // autocannon's own histogram keeps whole milliseconds, too coarse for a proxy that adds a fraction
  // of one. In one process its per-response event carries the hrtime duration: keep microseconds.
  // Worker threads send no such event, so the sweep's top keeps autocannon's figures.
  const micros = workers ? undefined : createHistogram();
  if (micros) {
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) micros.record(Math.max(1, Math.round(ms * 1000)));
    });
  }
  const result = await instance;
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  const common = { durationSec: result.duration, requests: result.requests.total, requestsPerSec: result.requests.average, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, statuses, cpuPercent: cpuSince(cpu0, t0) };
  if (micros && micros.count > 0) {
    const ms = (us: number) => us / 1000;
    return { ...common, latencyResolutionMs: 0.001, latencyMs: { p50: ms(micros.percentile(50)), p90: ms(micros.percentile(90)), p99: ms(micros.percentile(99)), mean: ms(micros.mean), max: ms(micros.max) } };
  }
  const { latency } = result;
  return { ...common, latencyResolutionMs: 1, latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, mean: latency.mean, max: latency.max } };
}

/** At a fixed offered rate: the latency the target adds, without queueing. */
async function paced(target: BenchTarget, headers: Record<string, string>, body: string, connections: number, rate: number, durationSec: number): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const result = await pacedLoad({ url: target.url, headers, body, connections, rate, durationSec });
    return { ...result, latencyResolutionMs: 0.001, cpuPercent: cpuSince(cpu0, t0) };
  } catch (err) {
    // Only opening the connections throws; a failed request during the round is counted instead.
    throw new HarnessError('HARNESS_ERR_BENCH_TARGET', `${target.name} could not be reached over ${connections} connections: ${(err as Error).message}`, { cause: err });
  }
}

/** This process's CPU since a point, in % of one core. */
function cpuSince(cpu0: NodeJS.CpuUsage, t0: number): number {
  const cpu = process.cpuUsage(cpu0);
  return ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
}

function summarize(results: PerfRound[]): PerfSummary[] {
  const groups = new Map<string, PerfRound[]>();
  for (const r of results) {
    const key = `${r.scenario}\u0000${r.target}\u0000${r.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows: PerfSummary[] = [...groups.values()].map((rounds) => {
    const requests = rounds.reduce((a, r) => a + r.requests, 0);
    const failed = rounds.reduce((a, r) => a + r.errors + r.timeouts + r.non2xx, 0);
    return {
      scenario: rounds[0].scenario,
      target: rounds[0].target,
      connections: rounds[0].connections,
      ...(rounds[0].offeredRate !== undefined && { offeredRate: rounds[0].offeredRate }),
      rounds: rounds.length,
      requestsPerSec: mean(rounds.map((r) => r.requestsPerSec)),
      latencyMs: {
        p50: mean(rounds.map((r) => r.latencyMs.p50)),
        p90: mean(rounds.map((r) => r.latencyMs.p90)),
        p99: mean(rounds.map((r) => r.latencyMs.p99)),
        mean: mean(rounds.map((r) => r.latencyMs.mean)),
        max: Math.max(...rounds.map((r) => r.latencyMs.max)),
      },
      errorRate: failed / Math.max(requests, 1),
    };
  });
  for (const row of rows) {
    if (row.target === 'direct') continue;
    const floor = row.target === 'floor' ? undefined : rows.find((d) => d.target === 'floor' && d.scenario === row.scenario && d.connections === row.connections);
    if (floor) row.vsFloor = { throughputRatio: floor.requestsPerSec ? row.requestsPerSec / floor.requestsPerSec : 0, addedP99Ms: row.latencyMs.p99 - floor.latencyMs.p99 };
    const direct = rows.find((d) => d.target === 'direct' && d.scenario === row.scenario && d.connections === row.connections);
    if (direct) {
      row.vsDirect = {
        throughputRatio: direct.requestsPerSec ? row.requestsPerSec / direct.requestsPerSec : 0,
        addedP50Ms: row.latencyMs.p50 - direct.latencyMs.p50,
        addedP99Ms: row.latencyMs.p99 - direct.latencyMs.p99,
      };
    }
  }
  return rows;
}

export async function runBench(options: BenchOptions): Promise<Perf> {
  const log = options.log ?? (() => undefined);
  const startedAt = new Date();
  const t0 = performance.now();
  const loadAverageBefore = loadavg();
  const upstream = await startUpstreamProcess();
  const targets: BenchTarget[] = [];
  const results: PerfRound[] = [];
  const memory: Perf['memory'] = [];
  const notes: string[] = [];
  try {
    targets.push({ name: 'direct', kind: 'direct', url: upstream.url, upstream: 'http', headers: {}, stop: async () => undefined });
    for (const spec of options.targets.filter((t) => t !== 'direct')) {
      log(`starting ${spec}`);
      targets.push(await startBenchTarget(spec, upstream.url));
    }
    // One unrecorded second per target first: JIT, connection pools and caches warm, so that the
    // first measured round is not the cold one.
    for (const target of targets) await load(target.url, await sessionHeaders(target, BENCH_REVISION), LOAD['small-json'].body, 10, 1);
    for (const scenario of options.scenarios) {
      if (scenario !== 'idle-sessions') results.push(...(await loadRounds(scenario, targets, options, log)));
    }
    if (options.scenarios.includes('idle-sessions')) {
      for (const target of targets) {
        const measured = await idleSessionMemory(target, options.idleSessions, notes, log);
        if (measured === 'no-proc') break;
        if (measured) memory.push(measured);
      }
    }
  } finally {
    for (const target of targets) await target.stop().catch(() => undefined);
    await upstream.stop();
  }
  const cpu = cpus();
  return {
    schemaVersion: 1,
    harness: { name: 'proxyspec', version: HARNESS_VERSION },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    environment: {
      cpuModel: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      node: process.version,
      platform: process.platform,
      release: release(),
      totalMemoryBytes: totalmem(),
      loadAverageBefore,
      loadAverageAfter: loadavg(),
    },
    settings: { scenarios: options.scenarios, connections: options.connections, durationSec: options.durationSec, rounds: options.rounds, rate: options.rate },
    targets: targets.map(({ name, kind, url, upstream: u, version }) => ({ name, kind, url, upstream: u, ...(version && { version }) })),
    results,
    summary: summarize(results),
    memory,
    notes,
  };
}

/**
 * One load scenario's rounds: at each connection count, `rounds` rounds, each of which runs every
 * target once, in an order that rotates from round to round. A target that fails more than
 * MAX_ERROR_RATE of its requests stops the bench: no figures are published for it.
 */
async function loadRounds(scenario: BenchScenario, targets: BenchTarget[], options: BenchOptions, log: (line: string) => void): Promise<PerfRound[]> {
  const rows: PerfRound[] = [];
  const { sweep, body, paced: isPaced } = LOAD[scenario as Exclude<BenchScenario, 'idle-sessions'>];
  const connectionSet = sweep ? options.connections : [options.connections.includes(10) ? 10 : options.connections[0]];
  for (const connections of connectionSet) {
    for (let round = 1; round <= options.rounds; round++) {
      // Rotate the order each round, so that no target always runs first (or last) on a warming machine.
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
      for (const target of order) {
        // A fresh session for every round: one left idle during the other targets' rounds may be reaped.
        const headers = await sessionHeaders(target, BENCH_REVISION);
        const m = isPaced ? await paced(target, headers, body, connections, options.rate, options.durationSec) : await load(target.url, headers, body, connections, options.durationSec);
        const row: PerfRound = {
          scenario,
          target: target.name,
          round,
          connections,
          ...(isPaced && { offeredRate: options.rate }),
          durationSec: m.durationSec,
          requests: m.requests,
          requestsPerSec: m.requestsPerSec,
          latencyMs: m.latencyMs,
          latencyResolutionMs: m.latencyResolutionMs,
          errors: m.errors,
          timeouts: m.timeouts,
          non2xx: m.non2xx,
          loadGeneratorCpuPercent: Math.round(m.cpuPercent),
        };
        rows.push(row);
        const failed = row.errors + row.timeouts + row.non2xx;
        log(`${scenario} c=${connections} round ${round} ${target.name}: ${Math.round(row.requestsPerSec)} req/s, p50 ${row.latencyMs.p50.toFixed(3)} ms, p99 ${row.latencyMs.p99.toFixed(3)} ms, ${failed} errors`);
        if (failed > MAX_ERROR_RATE * Math.max(row.requests, 1)) {
          const codes = Object.entries(m.statuses)
            .map(([code, count]) => `${count}× ${code}`)
            .join(', ');
          throw new HarnessError(
            'HARNESS_ERR_BENCH_TARGET',
            `${target.name} failed ${failed} of ${row.requests} requests in ${scenario} at ${connections} connections (${row.errors} errors, ${row.timeouts} timeouts, ${row.non2xx} non-2xx; statuses: ${codes || 'none'}): more than ${MAX_ERROR_RATE * 100} %, so no figures are published`,
          );
        }
      }
    }
  }
  return rows;
}

/**
 * A target's memory per idle session: sessions opened in batches, resident memory read after each;
 * the slope of a line through the readings is the memory per session, and its spread says whether
 * noise could have drawn it (garbage collection between two readings once made it read as zero).
 * Undefined (with a note) where it cannot be measured; `no-proc` where nothing can be, on this system.
 */
async function idleSessionMemory(target: BenchTarget, wanted: number, notes: string[], log: (line: string) => void): Promise<Perf['memory'][number] | undefined | 'no-proc'> {
  if (target.pid === undefined) {
    notes.push(`idle-sessions: ${target.name} has no process the harness started, so its memory per session is not measured`);
    return undefined;
  }
  const pid = target.pid;
  const before = await processGroupRss(pid);
  if (before === undefined) {
    notes.push('idle-sessions: this system has no /proc, so memory is not measured');
    return 'no-proc';
  }
  // Over stdio every session is a process of its own: a few say what each costs.
  const count = target.upstream === 'stdio' ? Math.min(wanted, STDIO_IDLE_SESSIONS) : wanted;
  if (count < wanted) notes.push(`idle-sessions: ${target.name} has a stdio upstream (a process per session), so it was measured with ${count} sessions`);
  const client = new BulkClient({ url: target.url, headers: target.headers, revision: BENCH_REVISION });
  const opened: Array<{ id?: string }> = [];
  const readings: Array<{ sessions: number; rssBytes: number }> = [];
  const perBatch = Math.ceil(count / IDLE_BATCHES);
  for (let b = 0; b < IDLE_BATCHES && opened.length < count; b++) {
    const batch = await inPool(Math.min(perBatch, count - opened.length), 20, () => client.open('psc_bench000000000000'));
    opened.push(...batch.filter((s) => s.id !== undefined));
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    const rss = await processGroupRss(pid);
    if (rss !== undefined) readings.push({ sessions: opened.length, rssBytes: rss });
  }
  const fit = fitLine(readings.map((r) => r.sessions), readings.map((r) => r.rssBytes));
  const ok = measurable(fit, readings.length);
  const after = readings.at(-1)?.rssBytes ?? before;
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  if (!ok) notes.push(`idle-sessions: ${target.name}: memory per session is not measurable in this run (the fit over ${readings.length} batches gives ${kb(fit.slope)} ± ${kb(fit.slopeStdErr)} KB per session: the spread is as large as the trend)`);
  log(`idle-sessions ${target.name}: ${opened.length} sessions, ${ok ? `${kb(fit.slope)} ± ${kb(fit.slopeStdErr)} KB each` : 'not measurable in this run'}`);
  await inPool(opened.length, 20, (i) => client.delete(opened[i].id!));
  await client.close();
  return { target: target.name, sessions: opened.length, rssBeforeBytes: before, rssAfterBytes: after, bytesPerSession: ok ? fit.slope : null, slopeStdErrBytes: fit.slopeStdErr, readings };
}
