/**
 * Sessions end: a client that vanishes is reaped after the idle timeout (upstream session included),
 * and hundreds of sessions opened and deleted leave nothing behind, upstream or in the proxy's memory.
 */
import { BulkClient, inPool, scenario, waitUntil, type ScenarioContext } from '../../harness/src/index.ts';
import { processGroupRss } from '../../harness/src/record/process-memory.ts';

const REAPED = 'session/idle-reaped';
const NO_LEAK = 'session/no-leak';
const MEMORY = 'session/memory-bounded';

/** The upstream session ids opened by the initialize requests carrying this correlation id. */
async function upstreamSessionsOf(t: ScenarioContext, cid: string): Promise<Set<string>> {
  const records = await t.upstream.records({ cid, direction: 'out' });
  return new Set(records.map((r) => r.sessionId).filter((id): id is string => typeof id === 'string'));
}

scenario(
  'A session left idle beyond the timeout is ended, upstream included',
  [REAPED],
  async (t) => {
    const idleMs = t.ctx.target.config.sessionIdleTimeoutMs;
    if (typeof idleMs !== 'number' || idleMs <= 0) return t.notApplicable(REAPED, 'the profile gives no idle timeout (config.sessionIdleTimeoutMs)');
    const cid = t.cid();
    const client = await t.session({ cid });
    const upstreamIds = await waitUntil(() => upstreamSessionsOf(t, cid), (ids) => ids.size > 0, 5000);
    const [upstreamId] = upstreamIds;
    if (!upstreamId) throw new Error('the upstream recorded no session for the initialize');
    const started = Date.now();
    // Leave it alone: the idle timeout, plus time for a sweep and the DELETE to travel.
    const live = await waitUntil(() => t.upstream.liveSessions(), (ids) => !ids.includes(upstreamId), idleMs + 10_000, 250);
    const endedAfter = Date.now() - started;
    const problems: string[] = [];
    if (live.includes(upstreamId)) problems.push(`the upstream session was still open ${endedAfter} ms after the client fell silent (timeout ${idleMs} ms)`);
    const after = await client.request('ping', {}, { cid: t.cid() });
    if (after.exchange.status !== 404) problems.push(`the reaped session's id answered HTTP ${after.exchange.status || after.exchange.error}, not 404`);
    t.judgeProblems(REAPED, problems, {
      pass: `the upstream session ended ${endedAfter} ms after the client fell silent (timeout ${idleMs} ms), and the id then answered 404`,
      fail: 'idle sessions are not reaped',
      expected: `upstream session ended within ${idleMs} ms + 10 s, then 404`,
    });
  },
  { timeoutMs: 60_000 },
);

/** Least-squares slope of ys against 0, 1, 2, … */
export function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

scenario(
  'Hundreds of sessions opened and deleted leave no upstream session and no memory behind',
  [NO_LEAK, MEMORY],
  async (t) => {
    const stdio = t.ctx.target.upstream === 'stdio';
    const perBatch = stdio ? 20 : 500;
    const batches = stdio ? 1 : 5;
    const pid = t.ctx.target.pid;
    const bulk = new BulkClient({ url: t.ctx.target.url, headers: t.ctx.target.headers, revision: t.revision });
    const rss: number[] = [];
    const cid = t.cid();
    let opened = 0;
    const deleteStatuses = new Map<number, number>();
    try {
      for (let b = 0; b < batches; b++) {
        // Each session is deleted as soon as it is open, so that none is left idle long enough to be reaped.
        const statuses = await inPool(perBatch, 10, async () => {
          const s = await bulk.open(cid);
          if (s.id === undefined) return undefined;
          opened++;
          return bulk.delete(s.id);
        });
        const failed = statuses.filter((s) => s === undefined).length;
        if (failed) throw new Error(`${failed} of ${perBatch} sessions did not open`);
        for (const status of statuses) deleteStatuses.set(status!, (deleteStatuses.get(status!) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 300));
        if (pid !== undefined) {
          const bytes = await processGroupRss(pid);
          if (bytes !== undefined) rss.push(bytes);
        }
      }
    } finally {
      await bulk.close();
    }
    const ours = await upstreamSessionsOf(t, cid);
    const live = await waitUntil(() => t.upstream.liveSessions(), (ids) => !ids.some((id) => ours.has(id)), 10_000, 250);
    const left = live.filter((id) => ours.has(id)).length;
    const statuses = [...deleteStatuses].map(([s, n]) => `${n}× ${s || 'no answer'}`).join(', ');
    t.judge(NO_LEAK, left === 0 && ours.size >= opened, {
      message: left === 0 ? `${opened} sessions opened and deleted (DELETE answered ${statuses}); none left open upstream` : `${left} of ${ours.size} upstream sessions still open after their clients deleted them (DELETE answered ${statuses})`,
      expected: 'every upstream session ended once its client session is deleted',
      observed: ours.size < opened ? `the upstream recorded ${ours.size} sessions for ${opened} client sessions` : undefined,
    });

    if (stdio) return;
    if (pid === undefined) return t.notApplicable(MEMORY, 'the harness did not start the target (it attached by url), so it cannot read its memory');
    if (rss.length < batches) return t.notApplicable(MEMORY, 'the target\'s memory cannot be read on this system (no /proc)');
    // The first batch warms up (JIT, pools, buffers). After it, the trend of resident memory over the
    // batches (least squares, so that one garbage collection does not decide) is what stays per session.
    const perSession = slope(rss.slice(1)) / perBatch;
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    t.judge(MEMORY, perSession < 20 * 1024, {
      message: `resident memory after each batch of ${perBatch} sessions: ${rss.map(mb).join(', ')}; ${(perSession / 1024).toFixed(1)} KB per session after warm-up`,
      expected: 'under 20 KB per session opened and deleted',
    });
  },
  { timeoutMs: 120_000 },
);
