/**
 * How a suite file declares a scenario: one vitest test that drives the target and turns what it
 * observed into verdicts for the checks it owns. Verdicts are data appended to the run's results file;
 * the test itself fails only in the project's own runs (assertPass), where every verdict must pass.
 */
import { appendFileSync } from 'node:fs';
import { expect, inject, test } from 'vitest';
import { newCorrelationId, preciseNow, type UpstreamRecord } from '../wire/index.ts';
import { McpClient, type McpClientOptions } from '../client/mcp-client.ts';
import { bodyKind, newExchange, type Exchange } from '../client/exchange.ts';
import { rawHttp } from '../client/raw-http.ts';
import { BulkClient } from '../client/bulk.ts';
import { startMockEnvironment } from '../run/environment.ts';
import { resolveTarget, startTarget } from '../targets/start-target.ts';
import { UpstreamView } from '../record/upstream-view.ts';
import type { RunContext, TargetAuth } from '../run/context.ts';
import { getCheck } from './catalog.ts';
import { whyNotRun } from './applicability.ts';
import { exchangeEvidence, recordEvidence } from './evidence.ts';
import type { CheckResult, Verdict } from './types.ts';

/** The target misbehaved so badly that the scenario could not go on: its checks fail, with this reason. */
export class TargetFailure extends Error {
  constructor(
    message: string,
    readonly observed?: string,
  ) {
    super(message);
  }
}

export interface Judgement {
  message?: string;
  expected?: string;
  observed?: string;
}

export class ScenarioContext {
  readonly upstream: UpstreamView;
  readonly exchanges: Exchange[] = [];
  readonly cids: string[] = [];
  readonly results = new Map<string, Omit<CheckResult, 'durationMs' | 'evidence'>>();
  private readonly clients: McpClient[] = [];
  private readonly bulks: BulkClient[] = [];
  private readonly isolated: Array<() => Promise<void>> = [];

  constructor(
    readonly ctx: RunContext,
    private readonly owned: readonly string[],
  ) {
    this.upstream = new UpstreamView(ctx.controlUrl);
  }

  get revision() {
    return this.ctx.revision;
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
    const client = this.client(options);
    const { exchange, response } = await client.initialize({ cid: options.cid ?? this.cid() });
    if (!response || !('result' in response)) {
      throw new TargetFailure('could not open a session through the target', describeExchange(exchange));
    }
    return client;
  }

  /**
   * A bare node:http request to the target (for headers undici will not send), kept in the transcript.
   * `bare` leaves out the target's own headers (its token), for requests that must carry other credentials.
   */
  async raw(method: string, headers: Array<[string, string]>, body: string | Buffer = '', timeoutMs?: number, options: { bare?: boolean; query?: string; url?: string } = {}): Promise<Exchange> {
    const base = options.url ?? this.ctx.target.url;
    const url = options.query ? `${base}${base.includes('?') ? '&' : '?'}${options.query}` : base;
    const ex = await rawHttp(url, method, [...(options.bare ? [] : Object.entries(this.ctx.target.headers)), ...headers], body, timeoutMs);
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
        return response;
      } catch (err) {
        ex.error = (err as Error).message;
        ex.endedAt = preciseNow();
        throw err;
      }
    };
  }

  /** Records a verdict: pass when ok, otherwise fail (MUST) or warn (SHOULD). */
  judge(id: string, ok: boolean, judgement: Judgement = {}): void {
    const check = this.own(id);
    const verdict: Verdict = ok ? 'pass' : check.strength === 'MUST' ? 'fail' : 'warn';
    this.results.set(id, {
      id,
      verdict,
      message: judgement.message ?? (ok ? 'as required' : 'requirement not met'),
      expected: judgement.expected,
      observed: judgement.observed,
    });
  }

  /** Judges a check from the problems a scenario found: none is a pass, any is a fail (or warn) listing them. */
  judgeProblems(id: string, problems: string[], text: { pass: string; fail: string; expected: string }): void {
    this.judge(id, problems.length === 0, { message: problems.length ? text.fail : text.pass, expected: text.expected, observed: problems.join('; ') || undefined });
  }

  pass(id: string, message?: string): void {
    this.judge(id, true, { message });
  }

  /** Marks a check n/a from inside the scenario, when only the run can tell (a feature the peer lacks). */
  notApplicable(id: string, message: string): void {
    this.own(id);
    this.results.set(id, { id, verdict: 'n/a', message });
  }

  private own(id: string) {
    if (!this.owned.includes(id)) throw new Error(`scenario judged ${id}, which it does not declare`);
    return getCheck(id);
  }

  /**
   * A copy of the target with mocks of its own, for destructive scenarios (an upstream that goes down)
   * that must not disturb the shared target. Stopped with the scenario.
   */
  async isolatedTarget(): Promise<{ url: string; headers: Record<string, string>; upstreamUrl: string; stopUpstream(): Promise<void> }> {
    const env = await startMockEnvironment();
    try {
      const running = await startTarget(await resolveTarget(this.ctx.targetSpec), env);
      this.isolated.push(async () => {
        await running.stop();
        await env.close();
      });
      return { url: running.info.url, headers: running.info.headers, upstreamUrl: env.upstream.url, stopUpstream: () => env.upstream.close() };
    } catch (err) {
      await env.close();
      throw err;
    }
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.clients.map((c) => c.close()), ...this.bulks.map((b) => b.close())]);
    await Promise.all(this.isolated.map((stop) => stop()));
  }

  async upstreamEvidence(): Promise<UpstreamRecord[]> {
    const all = await Promise.all(this.cids.map((cid) => this.upstream.records({ cid })));
    const bySeq = new Map<number, UpstreamRecord>();
    for (const r of all.flat()) bySeq.set(r.seq, r);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
}

export function describeExchange(ex: Exchange): string {
  if (ex.error) return `${ex.method}: ${ex.error}${ex.status ? ` (status ${ex.status})` : ''}`;
  const body = ex.kind === 'sse' ? ex.events.map((e) => e.data).join(' | ') : ex.body;
  return `${ex.method} → HTTP ${ex.status} ${ex.headers['content-type'] ?? ''} ${body.slice(0, 300)}`.trim();
}

export interface ScenarioOptions {
  timeoutMs?: number;
}

/**
 * Declares a scenario owning `checkIds`. The body judges each applicable check; one it leaves
 * unjudged is an `error` (a harness bug), a TargetFailure fails them, any other exception errors them.
 */
export function scenario(title: string, checkIds: readonly string[], body: (t: ScenarioContext) => Promise<void>, options: ScenarioOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  test(title, { timeout: timeoutMs + 5_000 }, async () => {
    const ctx = inject('proxyspec');
    const started = preciseNow();
    const t = new ScenarioContext(ctx, checkIds);
    const notRun = new Map(checkIds.map((id) => [id, whyNotRun(getCheck(id), ctx)] as const));
    const toRun = checkIds.filter((id) => notRun.get(id) === null);

    let failure: { verdict: Verdict; message: string; observed?: string } | null = null;
    if (toRun.length > 0) {
      try {
        await withTimeout(body(t), timeoutMs);
      } catch (err) {
        failure =
          err instanceof TargetFailure
            ? { verdict: 'fail', message: err.message, observed: err.observed }
            : { verdict: 'error', message: `harness error, not the target's fault: ${(err as Error).stack ?? String(err)}` };
      } finally {
        await t.cleanup().catch(() => undefined);
      }
    }

    const upstreamRecords = toRun.length ? await t.upstreamEvidence().catch(() => []) : [];
    const evidence = [...t.exchanges.map(exchangeEvidence), ...upstreamRecords.map(recordEvidence)].sort((a, b) => a.at - b.at);
    const durationMs = Math.round(preciseNow() - started);
    const results: CheckResult[] = checkIds.map((id) => {
      const skip = notRun.get(id);
      if (skip) return { id, verdict: skip.verdict, message: skip.message, durationMs: 0, evidence: [] };
      const judged = t.results.get(id);
      if (judged) return { ...judged, durationMs, evidence };
      if (failure) {
        const verdict = failure.verdict === 'fail' && getCheck(id).strength === 'SHOULD' ? 'warn' : failure.verdict;
        return { id, verdict, message: failure.message, observed: failure.observed, durationMs, evidence };
      }
      return { id, verdict: 'error', message: 'harness error: the scenario ended without judging this check', durationMs, evidence };
    });
    appendFileSync(ctx.resultsFile, results.map((r) => `${JSON.stringify(r)}\n`).join(''));

    if (ctx.assertPass) {
      const bad = results.filter((r) => !['pass', 'n/a', 'skipped'].includes(r.verdict)).map((r) => `${r.id}: ${r.verdict}: ${r.message}${r.observed ? ` (observed: ${r.observed})` : ''}`);
      expect(bad).toEqual([]);
    }
  });
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
