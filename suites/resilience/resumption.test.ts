/**
 * A cut answer stream, resumed. The upstream cuts a call's SSE answer after a few events and runs
 * the call on; meanwhile another call of the same session streams on a stream of its own. The
 * client then resumes with Last-Event-ID and must get exactly the events it missed, its own only.
 */
import { FAULT_META_KEY, scenario, type ScenarioContext, type SseEventRecord } from '../../harness/src/index.ts';

const RESUMED = 'resilience/sse-resumed-exactly-once';
const PROGRESS_COUNT = 6;

interface Message {
  id?: unknown;
  method?: string;
  params?: { progressToken?: unknown; progress?: unknown };
}

const messages = (events: SseEventRecord[]) => events.filter((e) => e.data !== '').map((e) => e.json as Message | undefined);

scenario('A proxy MUST let a client resume a cut answer stream with Last-Event-ID, exactly once', [RESUMED], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const id = `resume-${cid}`;
  const token = `progress-${cid}`;
  // Cut after three events (the priming one, where the revision has it, and progress 1 and 2, or progress 1 to 3).
  const cut = await client.callTool('progress', { count: PROGRESS_COUNT, intervalMs: 100, cid }, { cid, id, timeoutMs: 15_000, meta: { progressToken: token, [FAULT_META_KEY]: 'drop-after:3' } });
  const before = cut.exchange.events;
  if (before.some((e) => (e.json as Message | undefined)?.id === id)) {
    return t.block(RESUMED, 'the answer arrived whole: the stream the upstream cut was never cut at the client', `${before.length} events, the answer among them`);
  }
  const lastId = [...before].reverse().find((e) => e.id !== undefined && e.id !== '')?.id;
  const problems: string[] = [];
  if (lastId === undefined) {
    t.judge(RESUMED, false, { seen: { 'events before the cut': before.length }, message: 'the cut stream carried no event id to resume from', observed: `${before.length} events, none with an id`, expected: 'events with ids, as the upstream sent them' });
    return;
  }

  // Another stream of the same session, complete before the resumption: none of its events may be replayed.
  const otherCid = t.cid();
  const otherToken = `progress-${otherCid}`;
  const other = await client.callTool('progress', { count: 2, intervalMs: 0, cid: otherCid }, { cid: otherCid, timeoutMs: 15_000, meta: { progressToken: otherToken } });
  if (!other.response || !('result' in other.response)) return t.block(RESUMED, 'the second call of the session failed, so there was no other stream to keep apart', `HTTP ${other.exchange.status || other.exchange.outcome}`);

  const resumed = await client.openGet({ headers: { 'last-event-id': lastId }, timeoutMs: 15_000 });
  const answer = await resumed.waitFor((e) => (e.json as Message | undefined)?.id === id, 10_000);
  resumed.close();
  const after = resumed.events;
  if (resumed.status !== 200) problems.push(`GET with Last-Event-ID ${lastId} got HTTP ${resumed.status || 'no answer'}`);
  if (!answer) problems.push(`the call's answer never arrived on the resumed stream (${after.length} events within 10 s)`);

  // Every progress notification exactly once across both legs; the answer exactly once; nothing else.
  const got = [...messages(before), ...messages(after)];
  for (let n = 1; n <= PROGRESS_COUNT; n++) {
    const times = got.filter((m) => m?.method === 'notifications/progress' && m.params?.progressToken === token && m.params?.progress === n).length;
    if (times !== 1) problems.push(`progress ${n} arrived ${times} times`);
  }
  const answers = got.filter((m) => m?.id === id).length;
  if (answers > 1) problems.push(`the answer arrived ${answers} times`);
  const foreign = messages(after).filter((m) => !(m?.id === id || m?.params?.progressToken === token));
  if (foreign.length) problems.push(`the resumed stream carried ${foreign.length} events of another stream: ${JSON.stringify(foreign[0]).slice(0, 160)}`);
  t.judgeProblems(RESUMED, problems, {
    seen: { 'events before the cut': messages(before).length, 'events after resuming': messages(after).length },
    fail: 'the cut stream was not resumed exactly',
    pass: `resumed after ${lastId}: progress 1 to ${PROGRESS_COUNT} and the answer each arrived once over the two legs, and nothing of the session's other stream`,
    expected: `after GET with Last-Event-ID: the events after it on the same stream (the rest of progress 1..${PROGRESS_COUNT}, then the answer), once each; none of the other call's`,
  });
}, { timeoutMs: 45_000 });
