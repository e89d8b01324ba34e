/**
 * How a suite file declares a scenario: one vitest test that drives the target and turns what it
 * observed into verdicts for the checks it owns. Verdicts are data appended to the run's results file;
 * the test itself fails only in the project's own runs (assertPass), where every verdict must pass.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, expect, inject, test } from 'vitest';
import { has, newCorrelationId, preciseNow, type Mechanism, type UpstreamRecord } from '../../../wire/index.ts';
import { McpClient, type McpClientOptions } from '../client/mcp-client.ts';
import { bodyKind, failureOutcome, newExchange, type Exchange } from '../client/exchange.ts';
import { rawHttp } from '../client/raw-http.ts';
import { BulkClient } from '../client/bulk.ts';
import { startFixture } from '../fixture/fixture.ts';
import type { HttpUpstream, Recorder, UpstreamEra } from '../../../mocks/upstream/index.ts';
import { stopTargetsOnSignal } from '../targets/process-target.ts';
import { UpstreamView } from '../record/upstream-view.ts';
import type { RunContext, TargetAuth } from '../context.ts';
import { getCheck } from '../../../catalogue/index.ts';
import { whyNotRun } from './applicability.ts';
import { exchangeEvidence, recordEvidence } from './evidence.ts';
import type { CheckResult } from '../../../catalogue/types.ts';
import type { HintName, Hints } from '../../../catalogue/hints.ts';
import { createRelayCanary, type RelayCanary } from './canary.ts';
import type { CanaryOutcome, ScenarioRecord } from './scenario-record.ts';
import { SCHEMA_CHECK, scanMessages, type MessageScan } from '../record/message-scan.ts';

/**
 * The target misbehaved so badly that the scenario could not go on. The checks it is `about` fail
 * (warn, for a SHOULD), since the misbehaviour breaks their own requirement; the scenario's other
 * checks are blocked with the reason, because a check's fail is always about its own requirement.
 */
export class TargetFailure extends Error {
  constructor(
    message: string,
    readonly observed?: string,
    readonly about: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * What a verdict rests on. `seen` counts what the scenario observed that the requirement is about
 * (event ids, upstream records, connections, answers): a pass with any count at zero observed
 * nothing, and the engine turns it into `blocked`.
 */
export interface Judgement {
  seen: Record<string, number>;
  message?: string;
  expected?: string;
  observed?: string;
}

type Judged = Omit<CheckResult, 'durationMs' | 'evidence'>;

/** One mock upstream of an isolated target, to break on cue (its records go to the run's control channel like any other). */
export interface IsolatedUpstream {
  /** Its name in the upstream records (`primary`, `backup-1`, …). */
  name: string;
  url: string;
  /** Stops listening and cuts every connection, as a crash would. */
  kill(): Promise<void>;
  /** Listens again on the same port; without `keepSessions` it has forgotten every session. */
  restart(options: { keepSessions: boolean }): Promise<void>;
  sessionCount(): number;
}

export interface IsolatedTarget {
  url: string;
  headers: Record<string, string>;
  upstreamUrl: string;
  /** The records of this copy's own upstreams (every one of them, told apart by `upstream`). */
  upstream: UpstreamView;
  stopUpstream(): Promise<void>;
  primary: IsolatedUpstream;
  backups: IsolatedUpstream[];
  logs(): { stdout: string; stderr: string };
  /** This copy's `{workdir}`. */
  workdir: string;
  /** SIGTERM to the copy, resolved once it has exited; absent for a target the harness attaches to. */
  terminate?: () => Promise<void>;
  /** The copy's own authorization server (tokens of the shared target's are not valid here). */
  auth?: TargetAuth;
  /** With `replicas:`, each replica's MCP endpoint and a way to crash it (SIGKILL). */
  replicas?: Array<{ url: string; kill(): Promise<void> }>;
}

export class ScenarioContext {
  readonly upstream: UpstreamView;
  readonly exchanges: Exchange[] = [];
  readonly cids: string[] = [];
  readonly results = new Map<string, Judged>();
  private readonly clients: McpClient[] = [];
  private readonly stops: Array<() => Promise<void>> = [];
  private readonly bulks: BulkClient[] = [];
  private readonly isolated: Array<() => Promise<void>> = [];
  /** The recorders of isolated targets' mocks (in this process): their records are evidence too. */
  private readonly isolatedRecorders: Recorder[] = [];
  /** The MCP endpoints of the isolated targets (and their replicas) the scenario started. */
  readonly isolatedUrls: string[] = [];

  constructor(
    readonly ctx: RunContext,
    private readonly owned: readonly string[],
  ) {
    this.upstream = new UpstreamView(ctx.controlUrl);
  }

  get revision() {
    return this.ctx.revision;
  }

  /** Whether the run's revision has the mechanism (wire/revisions.ts): the scenario asks, rather than comparing revisions. */
  has(mechanism: Mechanism): boolean {
    return has(this.ctx.revision, mechanism);
  }

  /** A fresh correlation id, remembered so the upstream records that carry it become evidence. */
  cid(): string {
    const cid = newCorrelationId();
    this.cids.push(cid);
    return cid;
  }

  /** A client of the target, not yet initialized. */
  client(options: Partial<McpClientOptions> = {}): McpClient {
    const client = new McpClient({
      url: this.ctx.target.url,
      revision: this.ctx.revision,
      headers: this.ctx.target.headers,
      onExchange: (ex) => this.exchanges.push(ex),
      ...options,
    });
    this.clients.push(client);
    return client;
  }

  /** A client with an initialized session; a target that cannot initialize fails the scenario's checks. */
  async session(options: Partial<McpClientOptions> & { cid?: string } = {}): Promise<McpClient> {
    // A stdio bridge starts a process for each session, and a container's first answer is slow, which a busy machine takes seconds to give: as patient as the relay canary.
    const patient = this.ctx.target.upstream === 'stdio' || this.ctx.target.image === true;
    const client = this.client({ ...(patient && { timeoutMs: 30_000 }), ...options });
    const { exchange, response } = await client.initialize({ cid: options.cid ?? this.cid() });
    if (!response || !('result' in response)) {
      throw new TargetFailure(client.stateless ? 'could not reach the upstream through the target: server/discover got no result' : 'could not open a session through the target', describeExchange(exchange));
    }
    return client;
  }

  /**
   * A bare node:http request to the target (for headers undici will not send), kept in the transcript.
   * `bare` leaves out the target's own headers (its token), for requests that must carry other credentials.
   */
  async raw(method: string, headers: Array<[string, string]>, body: string | Buffer = '', timeoutMs?: number, options: { bare?: boolean; query?: string; url?: string; hostile?: string } = {}): Promise<Exchange> {
    const base = options.url ?? this.ctx.target.url;
    const url = options.query ? `${base}${base.includes('?') ? '&' : '?'}${options.query}` : base;
    const ex = await rawHttp(url, method, [...(options.bare ? [] : Object.entries(this.ctx.target.headers)), ...headers], body, timeoutMs);
    if (options.hostile) ex.hostile = options.hostile;
    this.exchanges.push(ex);
    return ex;
  }

  /**
   * A client for hundreds of sessions at once (the target's, unless another URL is given): lean
   * requests, of which the first few of each kind go into the transcript.
   */
  bulk(target: { url?: string; headers?: Record<string, string> } = {}): BulkClient {
    const client = new BulkClient({ url: target.url ?? this.ctx.target.url, headers: target.headers ?? this.ctx.target.headers, revision: this.revision, sample: (ex) => this.exchanges.push(ex) });
    this.bulks.push(client);
    return client;
  }

  /** The authorization server the target trusts; a target claiming `auth` always has one. */
  get auth(): TargetAuth {
    if (!this.ctx.target.auth) throw new Error('the run started no authorization server for this target');
    return this.ctx.target.auth;
  }


  /**
   * A fetch for third-party clients (the SDK) that keeps each exchange in the transcript: the request
   * whole, the response's status and headers (its body stays the client's to read).
   */
  recordingFetch(): typeof fetch {
    return async (input, init) => {
      const request = new Request(input, init);
      const requestBody = init?.body === undefined || init.body === null ? '' : String(init.body);
      const ex = newExchange(request.method, request.url, Object.fromEntries(request.headers), requestBody, preciseNow());
      this.exchanges.push(ex);
      try {
        const response = await fetch(input, init);
        ex.headersAt = ex.endedAt = preciseNow();
        ex.status = response.status;
        ex.headers = Object.fromEntries(response.headers);
        const kind = bodyKind(ex.headers['content-type']);
        ex.kind = kind === 'other' && response.status === 202 ? 'empty' : kind;
        ex.body = '(read by the client)';
        ex.outcome = 'answered';
        return response;
      } catch (err) {
        ex.error = (err as Error).message;
        ex.outcome = failureOutcome(err);
        ex.endedAt = preciseNow();
        throw err;
      }
    };
  }

  /**
   * Records a verdict: pass when ok, otherwise fail (MUST) or warn (SHOULD). A pass whose `seen`
   * has a zero count, or counts nothing, observed nothing and is blocked instead.
   */
  judge(id: string, ok: boolean, judgement: Judgement): void {
    const check = this.own(id);
    const { seen } = judgement;
    const missing = Object.entries(seen).filter(([, n]) => !(n > 0)).map(([what]) => what);
    if (ok && (missing.length > 0 || Object.keys(seen).length === 0)) {
      const nothing = missing.length ? `saw no ${missing.join(', no ')}` : 'the scenario named nothing it observed';
      return this.block(id, `nothing to judge: ${nothing}`, judgement.observed ?? describeSeen(seen));
    }
    this.results.set(id, {
      id,
      verdict: ok ? 'pass' : check.strength === 'MUST' ? 'fail' : 'warn',
      message: judgement.message ?? (ok ? 'as required' : 'requirement not met'),
      expected: judgement.expected,
      observed: judgement.observed ?? (ok ? describeSeen(seen) : undefined),
    });
  }

  /** Judges a check from the problems a scenario found: none is a pass (given what was seen), any is a fail (or warn) listing them. */
  judgeProblems(id: string, problems: string[], text: { pass: string; fail: string; expected: string; seen: Record<string, number> }): void {
    this.judge(id, problems.length === 0, { message: problems.length ? text.fail : text.pass, expected: text.expected, observed: problems.join('; ') || undefined, seen: text.seen });
  }

  /** The check applies, but the target gave the scenario nothing to judge it on (a request that never reached the upstream). */
  block(id: string, reason: string, observed?: string): void {
    this.own(id);
    this.results.set(id, { id, verdict: 'blocked', message: `blocked: ${reason}`, observed });
  }

  /** The check applies, but a fixture it needs is not available on this system or for this target. */
  untested(id: string, reason: string): void {
    this.own(id);
    this.results.set(id, { id, verdict: 'untested', message: `untested: ${reason}` });
  }

  /**
   * The requirement does not apply to what this target turned out to do, and only the run can tell:
   * a conditional requirement ("if present, …") whose condition the target never meets. Never for a
   * check that applies but lacks something to judge with (that is `untested` or `blocked`).
   */
  notApplicable(id: string, reason: string): void {
    this.own(id);
    this.results.set(id, { id, verdict: 'n/a', message: reason });
  }

  /** A profile hint the check declares; the engine has made sure it is there before the scenario runs. */
  hint<K extends HintName>(id: string, name: K): NonNullable<Hints[K]> {
    const check = this.own(id);
    const value = (this.ctx.target.config as Hints)[name];
    if (!check.hints?.includes(name) || value === undefined) throw new Error(`${id} reads the hint ${name}, which it does not declare or the profile lacks`);
    return value as NonNullable<Hints[K]>;
  }

  private own(id: string) {
    if (!this.owned.includes(id)) throw new Error(`scenario judged ${id}, which it does not declare`);
    return getCheck(id);
  }

  /**
   * A copy of the target with mocks of its own, for destructive scenarios (an upstream that goes down,
   * a circuit that opens) that must not disturb the shared target; `backups` more upstreams follow the
   * primary in `{upstream_urls}`; `upstreamEra` makes the primary serve one era only (it serves both by
   * default). Stopped, upstreams and all, with the scenario.
   */
  async isolatedTarget(options: { backups?: number; upstreamEra?: UpstreamEra } = {}): Promise<IsolatedTarget> {
    // This worker owns the copy: if it is told to stop, or ends, the copy goes with it.
    stopTargetsOnSignal();
    const { upstreamEra: era, upstreamServer: server } = this.ctx.target;
    // A scenario that needs an upstream of one era gets the mock in that era, whatever server the run uses.
    const upstream = options.upstreamEra ? { era: options.upstreamEra, server: 'mock' as const } : { era, server };
    const fixture = await startFixture(this.ctx.targetSpec, { mocks: { backups: options.backups, era: options.upstreamEra }, upstream });
    const { mocks: env, target: running } = fixture;
    this.isolated.push(() => fixture.stop());
    this.isolatedRecorders.push(env.recorder);
    this.isolatedUrls.push(running.info.url, ...(running.replicas ?? []).map((r) => r.url));
    const handle = (u: HttpUpstream): IsolatedUpstream => ({ name: u.name, url: u.url, kill: () => u.kill(), restart: (o) => u.restart(o), sessionCount: () => u.sessionCount() });
    return {
      url: running.info.url,
      headers: running.info.headers,
      upstreamUrl: env.upstream.url,
      upstream: new UpstreamView(env.control.url),
      stopUpstream: () => env.upstream.close(),
      primary: handle(env.upstream),
      backups: env.backups.map(handle),
      logs: () => running.logs(),
      workdir: env.workdir,
      terminate: running.terminate,
      auth: running.info.auth,
      ...(running.replicas && { replicas: running.replicas }),
    };
  }

  /** Something the scenario left running (a stream it reads in the background) to stop before its clients close. */
  onCleanup(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((stop) => stop()));
    await Promise.all([...this.clients.map((c) => c.close()), ...this.bulks.map((b) => b.close())]);
    await Promise.all(this.isolated.map((stop) => stop()));
  }

  async upstreamEvidence(): Promise<UpstreamRecord[]> {
    const all = await Promise.all(this.cids.map((cid) => this.upstream.records({ cid })));
    const bySeq = new Map<number, UpstreamRecord>();
    for (const r of all.flat()) bySeq.set(r.seq, r);
    const own = this.isolatedRecorders.flatMap((recorder) => this.cids.flatMap((cid) => recorder.query({ cid })));
    return [...bySeq.values(), ...own].sort((a, b) => a.at - b.at);
  }
}

export function describeExchange(ex: Exchange): string {
  if (ex.error) return `${ex.method}: ${ex.error}${ex.status ? ` (status ${ex.status})` : ''}`;
  const body = ex.kind === 'sse' ? ex.events.map((e) => e.data).join(' | ') : ex.body;
  return `${ex.method} → HTTP ${ex.status} ${ex.headers['content-type'] ?? ''} ${body.slice(0, 300)}`.trim();
}

/** How a call came back, in a few words: no answer (and why), or the status with its result or error. */
export function describeCall({ exchange, response }: { exchange: Exchange; response?: Record<string, unknown> }): string {
  if (exchange.outcome !== 'answered') return `no answer (${exchange.outcome}${exchange.error ? `: ${exchange.error}` : ''})`;
  if (response && 'result' in response) return `HTTP ${exchange.status} with a result`;
  if (response && 'error' in response) return `HTTP ${exchange.status} with error ${JSON.stringify(response.error).slice(0, 200)}`;
  return `HTTP ${exchange.status}: ${exchange.body.slice(0, 160)}`;
}

function describeSeen(seen: Record<string, number>): string {
  return `seen: ${Object.entries(seen).map(([what, n]) => `${n} ${what}`).join(', ')}`;
}

export interface ScenarioOptions {
  timeoutMs?: number;
  /** The relay canary's own check judges relaying itself: no canary before it. */
  canary?: boolean;
}

/** The worker's relay canary, with its session: forgotten after each suite file, opened anew by the next one. */
let canary: RelayCanary | undefined;
async function closeCanary(): Promise<void> {
  const closing = canary;
  canary = undefined;
  await closing?.close();
}

/**
 * Declares a scenario owning `checkIds`. First the relay canary (a plain call through the target):
 * when it fails, the scenario does not run and its checks are blocked. Then the body judges each
 * applicable check. One it leaves unjudged is an `error` (a harness bug); a TargetFailure fails the
 * checks it is about and blocks the others; any other exception is an `error` with its stack.
 */
export function scenario(title: string, checkIds: readonly string[], body: (t: ScenarioContext) => Promise<void>, options: ScenarioOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Registered by every scenario of the file (closing twice is nothing): with or without module isolation, each file closes what it used.
  afterAll(closeCanary);
  test(title, { timeout: timeoutMs + 15_000 }, async () => {
    const ctx = inject('proxyspec');
    const t = new ScenarioContext(ctx, checkIds);
    const notRun = new Map(checkIds.map((id) => [id, whyNotRun(getCheck(id), ctx)] as const));
    const toRun = checkIds.filter((id) => notRun.get(id) === null);

    let relay: CanaryOutcome | undefined;
    if (toRun.length > 0 && options.canary !== false) {
      canary ??= createRelayCanary(ctx);
      relay = await canary.run();
    }
    const started = preciseNow();
    const outcome = new Map<string, Judged>();
    const notes: string[] = [];
    if (toRun.length > 0 && relay?.ok !== false) {
      try {
        await withTimeout(body(t), timeoutMs);
      } catch (err) {
        for (const [id, judged] of failureVerdicts(err, toRun, t.results)) outcome.set(id, judged);
      } finally {
        await t.cleanup().catch((err: unknown) => notes.push(`cleaning up after the scenario failed: ${(err as Error).message}`));
      }
    }

    let upstreamRecords: UpstreamRecord[] = [];
    if (toRun.length > 0) {
      try {
        upstreamRecords = await t.upstreamEvidence();
      } catch (err) {
        notes.push(`the upstream leg's records could not be read for the evidence: ${(err as Error).message}`);
      }
    }
    // Every other scenario's messages go to the schema check, when the run judges it (its own scenario scans its conversation itself).
    let messages: MessageScan | undefined;
    if (toRun.length > 0 && relay?.ok !== false && !checkIds.includes(SCHEMA_CHECK) && ctx.selected.includes(SCHEMA_CHECK) && whyNotRun(getCheck(SCHEMA_CHECK), ctx) === null) {
      try {
        messages = scanMessages({ revision: ctx.revision, mcpUrls: [ctx.target.url, ...(ctx.target.replicas ?? []), ...t.isolatedUrls], target: ctx.target, exchanges: t.exchanges, records: upstreamRecords });
      } catch (err) {
        notes.push(`its messages could not be held to the schema: ${(err as Error).message}`);
      }
    }
    const ended = preciseNow();
    const evidence = [...t.exchanges.map(exchangeEvidence), ...upstreamRecords.map(recordEvidence)].sort((a, b) => a.at - b.at);
    const durationMs = Math.round(ended - started);
    const note = notes.length ? ` (${notes.join('; ')})` : '';
    const results: CheckResult[] = checkIds.map((id) => {
      const skip = notRun.get(id);
      if (skip) return { id, verdict: skip.verdict, message: skip.message, durationMs: 0, evidence: [] };
      if (relay && !relay.ok) return { id, verdict: 'blocked', message: `blocked: the target stopped relaying before this check ran (${relay.detail})`, durationMs: 0, evidence: [] };
      const judged = t.results.get(id) ?? outcome.get(id);
      if (judged) return { ...judged, message: `${judged.message}${note}`, durationMs, evidence };
      return { id, verdict: 'error', message: `harness error: the scenario ended without judging this check${note}`, durationMs, evidence };
    });
    const record: ScenarioRecord = { kind: 'scenario', title, checks: [...checkIds], startedAt: started, endedAt: ended, canary: relay, results, messages };
    appendFileSync(ctx.resultsFile, `${JSON.stringify(record)}\n`);

    if (ctx.assertPass) {
      // The project's own runs: every check is judged and passes, except what does not apply to this target
      // (never one left untested for want of a hint).
      const bad = results
        .filter((r) => r.verdict !== 'pass' && !(notRun.get(r.id) && notRun.get(r.id)!.verdict !== 'untested'))
        .map((r) => `${r.id}: ${r.verdict}: ${r.message}${r.observed ? ` (observed: ${r.observed})` : ''}`);
      expect(bad).toEqual([]);
      // …and every message on both legs is valid, and the harness marks what it sends invalid on purpose.
      expect(messages?.invalid ?? []).toEqual([]);
      expect(messages?.unmarked ?? []).toEqual([]);
    }
  });
}

/** The verdicts an exception leaves for the checks the scenario had not judged yet. */
function failureVerdicts(err: unknown, toRun: readonly string[], judged: ReadonlyMap<string, Judged>): Map<string, Judged> {
  const out = new Map<string, Judged>();
  for (const id of toRun) {
    if (judged.has(id)) continue;
    if (err instanceof TargetFailure) {
      const about = err.about.includes(id);
      const verdict = about ? (getCheck(id).strength === 'MUST' ? 'fail' : 'warn') : 'blocked';
      out.set(id, { id, verdict, message: about ? err.message : `blocked: ${err.message}`, observed: err.observed });
    } else {
      out.set(id, { id, verdict: 'error', message: `harness error, not the target's fault: ${(err as Error)?.stack ?? String(err)}` });
    }
  }
  return out;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TargetFailure(`the scenario did not finish within ${ms} ms: the target hung`, `still waiting for the target after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
