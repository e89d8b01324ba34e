/**
 * Sessions end: a client that vanishes is reaped after the idle timeout (upstream session included),
 * and hundreds of sessions opened and deleted leave nothing behind upstream.
 */
import { TargetFailure, inPool, scenario, waitUntil, type ScenarioContext } from '../../harness/src/index.ts';

const REAPED = 'session/idle-reaped';
const NO_LEAK = 'session/no-leak';

/** The upstream session ids opened by the initialize requests carrying this correlation id. */
async function upstreamSessionsOf(t: ScenarioContext, cid: string): Promise<Set<string>> {
  const records = await t.upstream.records({ cid, direction: 'out' });
  return new Set(records.map((r) => r.sessionId).filter((id): id is string => typeof id === 'string'));
}

scenario(
  'A session left idle beyond the timeout is ended, upstream included',
  [REAPED],
  async (t) => {
    const idleMs = t.hint(REAPED, 'sessionIdleTimeoutMs');
    const cid = t.cid();
    const client = await t.session({ cid });
    const upstreamIds = await waitUntil(() => upstreamSessionsOf(t, cid), (ids) => ids.size > 0, 5000);
    const [upstreamId] = upstreamIds;
    if (!upstreamId) return t.block(REAPED, 'the upstream recorded no session for the initialize, so its end cannot be watched');
    const started = Date.now();
    // Leave it alone: the idle timeout, plus time for a sweep and the DELETE to travel.
    const live = await waitUntil(() => t.upstream.liveSessions(), (ids) => !ids.includes(upstreamId), idleMs + 10_000, 250);
    const endedAfter = Date.now() - started;
    const problems: string[] = [];
    if (live.includes(upstreamId)) problems.push(`the upstream session was still open ${endedAfter} ms after the client fell silent (timeout ${idleMs} ms)`);
    const after = await client.request('ping', {}, { cid: t.cid() });
    if (after.exchange.status !== 404) problems.push(`the reaped session's id answered HTTP ${after.exchange.status || after.exchange.error}, not 404`);
    t.judgeProblems(REAPED, problems, {
      seen: { 'upstream session': 1, 'answer for the reaped id': after.exchange.outcome === 'answered' ? 1 : 0 },
      pass: `the upstream session ended ${endedAfter} ms after the client fell silent (timeout ${idleMs} ms), and the id then answered 404`,
      fail: 'idle sessions are not reaped',
      expected: `upstream session ended within ${idleMs} ms + 10 s, then 404`,
    });
  },
  { timeoutMs: 60_000 },
);

scenario(
  'Hundreds of sessions opened and deleted leave no upstream session behind',
  [NO_LEAK],
  async (t) => {
    const count = t.ctx.target.upstream === 'stdio' ? 12 : 500;
    const bulk = t.bulk();
    const cid = t.cid();
    let statuses: Array<number | undefined>;
    // Each session is deleted as soon as it is open, so that none is left idle long enough to be reaped.
    statuses = await inPool(count, 10, async () => {
      const s = await bulk.open(cid);
      return s.id === undefined ? undefined : bulk.delete(s.id);
    });
    const failed = statuses.filter((s) => s === undefined).length;
    if (failed) throw new TargetFailure(`${failed} of ${count} sessions did not open, so leaks could not be counted`);
    const tally = new Map<number, number>();
    for (const s of statuses) tally.set(s!, (tally.get(s!) ?? 0) + 1);
    const answered = [...tally].map(([s, n]) => `${n}× ${s || 'no answer'}`).join(', ');
    const ours = await upstreamSessionsOf(t, cid);
    const live = await waitUntil(() => t.upstream.liveSessions(), (ids) => !ids.some((id) => ours.has(id)), 10_000, 250);
    const left = live.filter((id) => ours.has(id)).length;
    // Fewer upstream sessions than clients is the isolation checks' business; here only what stays open counts.
    t.judge(NO_LEAK, left === 0, {
      seen: { 'upstream sessions': ours.size },
      message: left === 0 ? `${count} sessions opened and deleted (DELETE answered ${answered}); all ${ours.size} upstream sessions they opened have ended` : `${left} of ${ours.size} upstream sessions still open after their clients deleted them (DELETE answered ${answered})`,
      expected: 'every upstream session ended once its client session is deleted',
      observed: `${left} of ${ours.size} upstream sessions still open`,
    });
  },
  { timeoutMs: 120_000 },
);
