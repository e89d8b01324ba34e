/**
 * Sessions end: a client that vanishes is reaped after the idle timeout (upstream session included),
 * and hundreds of clients that come and go leave nothing behind upstream: no session in the session
 * era; no subscription and no stdio process in the stateless era, where a client leaves by closing
 * its streams.
 */
import { TargetFailure, inPool, openListen, scenario, waitUntil, type Exchange, type ScenarioContext } from '../../harness/src/index.ts';

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
    if (!t.has('sessions')) return clientsLeaveNothing(t);
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

/** Clients per batch of the stateless era: each opens a subscription and makes a call, then leaves. */
const STATELESS_BATCH = { http: 40, stdio: 6 };
/** How long what a batch left upstream gets to close before it counts as left behind. */
const SETTLE_MS = 10_000;

/**
 * The stateless era has no session to delete: a client leaves by closing its subscriptions/listen
 * stream, which is the cancellation of that request. Two equal batches of clients come and go; what
 * stays open upstream (subscriptions, and stdio processes) after the second must be no more than after
 * the first. A proxy may keep a pool of processes or one shared subscription, which does not grow with
 * the clients it served: a pool may grow to what a batch used at once (one process per client at
 * most, beyond those open before), and no further; one that leaks leaves a batch's worth more each time.
 */
async function clientsLeaveNothing(t: ScenarioContext): Promise<void> {
  const size = STATELESS_BATCH[t.ctx.target.upstream === 'stdio' ? 'stdio' : 'http'];
  const cid = t.cid();
  let sampled = 0;
  const sample = (ex: Exchange) => void (sampled++ < 4 && t.exchanges.push(ex));
  const tally = { acknowledged: 0, answered: 0 };
  // Sessions too: a stdio server's process is one, and so is the legacy session a bridge holds for a subscription.
  const openNow = async () => ({ subscriptions: (await t.upstream.liveSubscriptions()).length, processes: (await t.upstream.liveSessions()).length });
  type Open = Awaited<ReturnType<typeof openNow>>;
  const batch = async (round: number, back: Open) => {
    await inPool(size, 10, async (i) => {
      const client = t.client({ onExchange: sample });
      const listen = openListen(client, { toolsListChanged: true }, { id: `leave-${cid}-${round}-${i}`, cid });
      if ((await listen.waitFor(1)).length > 0) tally.acknowledged++;
      const call = await client.callTool('echo', { cid }, { cid });
      if (call.response && 'result' in call.response) tally.answered++;
      await listen.close();
    });
    // What the batch left, given time to close (a proxy tells its upstream after its client has gone): back to `back`, or whatever stays.
    return waitUntil(openNow, (now) => now.subscriptions <= back.subscriptions && now.processes <= back.processes, SETTLE_MS, 250);
  };
  const before = await openNow();
  const first = await batch(1, before);
  if (tally.acknowledged === 0) return t.block(NO_LEAK, 'no subscription was acknowledged through the target, so there was nothing for clients to leave behind', `${tally.answered} of ${size} calls answered`);
  const second = await batch(2, first);
  const grew = { subscriptions: second.subscriptions - first.subscriptions, processes: second.processes - first.processes };
  const problems: string[] = [];
  if (grew.subscriptions > 0) problems.push(`${grew.subscriptions} more upstream subscriptions open after the second batch of ${size} clients left than after the first (${first.subscriptions}, then ${second.subscriptions})`);
  // A pool of processes (or sessions) grows to what the clients used at once, which differs from batch
  // to batch: no leak, as long as it holds no more than one per client of a batch beyond what was open
  // before. What leaks grows with every client served, past that bound by the second batch.
  const bound = before.processes + size;
  if (grew.processes > 0 && second.processes > bound) problems.push(`${grew.processes} more upstream sessions (stdio server processes) open after the second batch of ${size} clients left than after the first (${first.processes}, then ${second.processes}), more than the ${size} clients of a batch could use at once beyond the ${before.processes} open before`);
  t.judgeProblems(NO_LEAK, problems, {
    seen: { 'clients that came and went': 2 * size, 'subscriptions acknowledged': tally.acknowledged },
    pass: `two batches of ${size} clients each opened a subscription, made a call and left: open upstream before, after one batch and after two: ${before.subscriptions}, ${first.subscriptions}, ${second.subscriptions} subscriptions; ${before.processes}, ${first.processes}, ${second.processes} sessions (a stdio server's process is one)`,
    fail: 'what clients opened upstream stays open after they leave',
    expected: 'no more subscriptions open upstream after a second batch of clients has left than after the first; no more sessions (stdio processes) either, or at most one per client of a batch beyond those open before (a pool)',
  });
}
