/**
 * One session's tool call held up at the upstream must not hold up anyone else. Proven by order,
 * not by timing: the held call is released only once the other session's call has been answered.
 */
import { recordMethod, scenario, waitUntil, type ScenarioContext } from '../../harness/src/index.ts';

const SLOW_CALL = 'resilience/slow-call-isolated';

scenario('A proxy MUST keep serving other sessions while one session\'s call is held up upstream', [SLOW_CALL], async (t: ScenarioContext) => {
  const held = await t.session({ timeoutMs: 30_000 });
  const other = await t.session({ timeoutMs: 30_000 });
  const heldCid = t.cid();
  // The gated `progress` tool sends its first progress notification, then waits for the harness's
  // release: its answer has begun, so a proxy's time-to-first-byte timeout does not end it early.
  let settled = false;
  const heldCall = held
    .callTool('progress', { count: 2, intervalMs: 0, gate: true, gateTimeoutMs: 40_000, cid: heldCid }, { cid: heldCid, timeoutMs: 50_000, meta: { progressToken: `held-${heldCid}` } })
    .finally(() => (settled = true));
  const arrived = await waitUntil(() => t.upstream.received(heldCid), (records) => records.some((r) => recordMethod(r) === 'tools/call'), 20_000);
  if (!arrived.some((r) => recordMethod(r) === 'tools/call')) {
    await t.upstream.release(heldCid);
    await heldCall;
    return t.block(SLOW_CALL, 'the call to hold never reached the upstream', 'no tools/call upstream within 20 s');
  }

  const cid = t.cid();
  // The same tool, so that a proxy holding calls back per tool is caught as well as one that holds back every call.
  const sentWhileHeld = !settled;
  const meanwhile = await other.callTool('progress', { count: 1, intervalMs: 0, cid }, { cid, timeoutMs: 10_000 });
  const heldEndedFirst = settled;
  await t.upstream.release(heldCid);
  const released = await heldCall;
  if (!sentWhileHeld) return t.block(SLOW_CALL, 'the held call ended before the other session\'s call was sent, so nothing was held up meanwhile', `held call: HTTP ${released.exchange.status || released.exchange.outcome}`);

  const problems: string[] = [];
  const answered = meanwhile.exchange.outcome === 'answered' && !!meanwhile.response && 'result' in meanwhile.response;
  if (!answered) {
    problems.push(`the other session's call got ${meanwhile.exchange.outcome === 'answered' ? `HTTP ${meanwhile.exchange.status}: ${meanwhile.exchange.body.slice(0, 160)}` : `no answer within 10 s (${meanwhile.exchange.outcome})`} while the first session's call was held`);
  } else if (heldEndedFirst) {
    // The held call ended (answered, or given up by the proxy) before the other was answered: the other waited for it.
    problems.push(`the other session's call was answered only after the held call had ended (held call: ${released.exchange.outcome === 'answered' ? `HTTP ${released.exchange.status}` : released.exchange.outcome})`);
  }
  t.judgeProblems(SLOW_CALL, problems, {
    seen: { 'call held upstream': 1, "other session's call while held": 1 },
    fail: 'one session\'s held call held up another session',
    pass: 'the other session\'s call was answered while the first session\'s call was still held at the upstream',
    expected: 'while session A\'s tools/call waits at the upstream, session B\'s tools/call (same tool) is answered within 10 s, before A\'s ends',
  });
}, { timeoutMs: 75_000 });
