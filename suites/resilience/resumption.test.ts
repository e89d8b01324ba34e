/**
 * A cut answer stream, resumed. A call's SSE answer is cut after a few events while the call runs
 * on: behind an HTTP upstream, the upstream cuts it; behind a stdio server, which has no stream to
 * cut, the client drops its connection (the session era: "Disconnection SHOULD NOT be interpreted
 * as the client cancelling its request"), so the proxy must keep the events itself. Meanwhile
 * another call of the same session streams on a stream of its own. The client then resumes with
 * Last-Event-ID and must get exactly the events it missed, its own only.
 */
import { FAULT_META_KEY, scenario, waitUntil, type ScenarioContext, type SseEventRecord } from '../../harness/src/index.ts';

const RESUMED = 'resilience/sse-resumed-exactly-once';
const PROGRESS_COUNT = 6;
/** How long a client that lost its stream waits before it comes back: the retry a 2025-11-25 stream's priming event gives. */
const RECONNECT_AFTER_MS = 1000;

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
  const byClient = t.ctx.target.upstream === 'stdio';
  const leave = new AbortController();
  let progressSeen = 0;
  const cut = byClient
    ? await client.callTool('progress', { count: PROGRESS_COUNT, intervalMs: 100, cid }, {
        cid,
        id,
        timeoutMs: 15_000,
        meta: { progressToken: token },
        signal: leave.signal,
        // The client leaves after the second progress notification; the call has four more to send.
        onEvent: (e) => {
          if ((e.json as Message | undefined)?.method === 'notifications/progress' && ++progressSeen === 2) leave.abort();
        },
      })
    : await client.callTool('progress', { count: PROGRESS_COUNT, intervalMs: 100, cid }, { cid, id, timeoutMs: 15_000, meta: { progressToken: token, [FAULT_META_KEY]: 'drop-after:3' } });
  const before = cut.exchange.events;
  if (before.some((e) => (e.json as Message | undefined)?.id === id)) {
    return t.block(RESUMED, byClient ? 'the answer arrived before the client could leave: there was no stream left to cut' : 'the answer arrived whole: the stream the upstream cut was never cut at the client', `${before.length} events, the answer among them`);
  }
  if (byClient && !leave.signal.aborted) {
    return t.block(RESUMED, 'the answer stream ended before its second progress notification, so the client had nothing to leave', `${before.length} events, HTTP ${cut.exchange.status || cut.exchange.outcome}`);
  }
  const lastId = [...before].reverse().find((e) => e.id !== undefined && e.id !== '')?.id;
  const problems: string[] = [];
  if (lastId === undefined) {
    t.judge(RESUMED, false, { seen: { 'events before the cut': before.length }, message: 'the cut stream carried no event id to resume from', observed: `${before.length} events, none with an id`, expected: byClient ? 'events with ids, so that a client who lost the stream can come back' : 'events with ids, as the upstream sent them' });
    return;
  }

  // Another stream of the same session, complete before the resumption: none of its events may be replayed.
  const otherCid = t.cid();
  const otherToken = `progress-${otherCid}`;
  const other = await client.callTool('progress', { count: 2, intervalMs: 0, cid: otherCid }, { cid: otherCid, timeoutMs: 15_000, meta: { progressToken: otherToken } });
  if (!other.response || !('result' in other.response)) return t.block(RESUMED, 'the second call of the session failed, so there was no other stream to keep apart', `HTTP ${other.exchange.status || other.exchange.outcome}`);

  // A client that lost its stream waits the priming event's `retry` before it comes back; by then a
  // short call has ended, and its answer must still be there. Behind a stdio server, where the proxy
  // itself keeps what the client missed, the harness comes back once the server has answered, so
  // that keeping a finished stream is judged every time. (An HTTP upstream keeps its own events.)
  if (byClient) {
    const answered = await waitUntil(() => t.upstream.answerTo(cid, 'tools/call'), (a) => a.answer !== undefined, 10_000);
    if (!answered.answer) return t.block(RESUMED, 'the stdio server never answered the call the client left, so there was no finished stream to resume', `${messages(before).length} events before the client left`);
    // The mock reports its answer just before it writes it: the harness then waits as a client waits
    // before reconnecting (the priming event's retry, 1 s here), by which time the proxy has read the
    // answer and finished the stream.
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_AFTER_MS));
  }

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
