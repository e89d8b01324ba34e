/**
 * An upstream that dies, restarts or fails again and again. Each scenario breaks the upstreams of a
 * copy of the target of its own, never the shared one, and judges what the client got against what
 * each upstream received.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  FAULT_META_KEY,
  describeCall,
  TargetFailure,
  bodyJson,
  diffJson,
  preciseNow,
  recordMethod,
  scenario,
  waitUntil,
  type CallResult,
  type Exchange,
  type IsolatedTarget,
  type McpClient,
  type ScenarioContext,
  type UpstreamRecord,
} from '../../harness/src/index.ts';

const FAILOVER = 'resilience/failover-keeps-session';
const BREAKER = 'resilience/circuit-breaker';
const RESTART = 'resilience/upstream-restart-recovered';
const IN_FLIGHT = 'resilience/in-flight-one-outcome';

/**
 * After a kill the proxy learns that its kept-alive connections are gone from the close the kernel
 * delivers at once on loopback; this lets that land before the next request, so that the request
 * meets a refused or fresh connection rather than racing a dying one.
 */
const SETTLE_MS = 250;

const served = ({ exchange, response }: CallResult) => exchange.outcome === 'answered' && exchange.status >= 200 && exchange.status < 300 && !!response && 'result' in response;

const requestsOf = (records: UpstreamRecord[], method: string) => records.filter((r) => r.direction === 'in' && recordMethod(r) === method);

/** The params of the initialize request a client sent, read from its own transcript. */
function sentInitializeParams(exchanges: Exchange[], cid: string): unknown {
  for (const ex of exchanges) {
    if (ex.method !== 'POST' || !ex.requestBody.includes(cid)) continue;
    const message = JSON.parse(ex.requestBody) as { method?: string; params?: unknown };
    if (message.method === 'initialize') return message.params;
  }
  return undefined;
}

scenario('A proxy with backups MUST answer through a backup when the primary dies (in the session era, in the same session)', [FAILOVER], async (t: ScenarioContext) => {
  if (!t.ctx.target.wiresBackups) {
    return t.untested(FAILOVER, 'the profile tells the proxy of no backup upstream: put {upstream_urls} or {upstream_backup_urls} in its command or env');
  }
  const target = await t.isolatedTarget({ backups: 1 });
  const initCid = t.cid();
  const client = await t.session({ url: target.url, headers: target.headers, cid: initCid });
  const sessionId = client.sessionId;
  const before = t.cid();
  const first = await client.callTool('echo', { cid: before }, { cid: before });
  const firstOn = requestsOf(await target.upstream.received(before), 'tools/call').map((r) => r.upstream);
  // The upstream that served the session dies (the primary, unless the proxy spreads sessions over its upstreams).
  const upstreams = [target.primary, ...target.backups];
  const serving = upstreams.find((u) => firstOn.includes(u.name));
  if (!served(first) || !serving) {
    return t.block(FAILOVER, 'the session\'s first call was not served by one of the upstreams, so there is none to lose', `${describeCall(first)}; received by ${firstOn.join(', ') || 'no upstream'}`);
  }
  const backup = upstreams.find((u) => u !== serving)!;

  await serving.kill();
  await sleep(SETTLE_MS);
  const cid = t.cid();
  const after = await client.callTool('echo', { cid }, { cid, timeoutMs: 15_000 });
  const onBackup = requestsOf(await target.upstream.received(cid), 'tools/call').filter((r) => r.upstream === backup.name);
  const replayed = requestsOf(await target.upstream.received(initCid), 'initialize').filter((r) => r.upstream === backup.name);

  const problems: string[] = [];
  if (!served(after)) problems.push(`the call after ${serving.name} died got ${describeCall(after)}`);
  if (onBackup.length === 0) problems.push(`${backup.name} never received the call`);
  else if (onBackup.length > 1) problems.push(`${backup.name} received the call ${onBackup.length} times`);
  if (client.stateless) {
    // No session to carry over: each request stands alone, so the backup needs nothing but the request.
    t.judgeProblems(FAILOVER, problems, {
      seen: { 'call after the upstream died': 1, 'call seen by the other upstream': onBackup.length },
      fail: `a request was not served through a backup when ${serving.name}, the upstream serving the client, died`,
      pass: `the call after ${serving.name} died was answered through ${backup.name}, which received it once`,
      expected: 'HTTP 200 with the result; the backup received the call, once',
    });
    return;
  }
  const answeredSession = after.exchange.headers['mcp-session-id'];
  if (answeredSession !== undefined && answeredSession !== sessionId) problems.push(`the answer names another session (${answeredSession}, not ${sessionId})`);
  if (replayed.length === 0) problems.push(`${backup.name} never received an initialize carrying the client's own parameters`);
  else {
    const diffs = diffJson(sentInitializeParams(t.exchanges, initCid), (bodyJson(replayed[0]) as { params?: unknown } | undefined)?.params);
    if (diffs.length) problems.push(`the backup's session was opened with other initialize parameters than the client's: ${diffs.join('; ')}`);
  }
  t.judgeProblems(FAILOVER, problems, {
    seen: { 'call after the upstream died': 1, 'initialize seen by the other upstream': replayed.length, 'call seen by the other upstream': onBackup.length },
    fail: `the session did not survive the death of ${serving.name}, the upstream serving it`,
    pass: `the call after ${serving.name} died was answered through ${backup.name}, in session ${sessionId}, opened there with the client's own initialize`,
    expected: 'HTTP 200 with the result, same Mcp-Session-Id; the backup received initialize with the client\'s params, then the call',
  });
});

scenario('A proxy MUST open its circuit after repeated upstream failures, refuse at once, probe and close again', [BREAKER], async (t: ScenarioContext) => {
  const { failures, openMs } = t.hint(BREAKER, 'breaker');
  const target = await t.isolatedTarget();
  const client = await t.session({ url: target.url, headers: target.headers });

  // The failures: each call reaches the upstream, which cuts its connection instead of answering.
  let reached = 0;
  let failedAt = 0;
  for (let i = 0; i < failures; i++) {
    const cid = t.cid();
    const failed = await client.callTool('echo', { cid }, { cid, timeoutMs: 10_000, meta: { [FAULT_META_KEY]: 'reset' } });
    failedAt = preciseNow();
    if ((await target.upstream.received(cid)).length > 0) reached++;
    if (served(failed)) throw new TargetFailure(`a call whose upstream connection was reset got a result (${describeCall(failed)})`, describeCall(failed));
  }
  if (reached === 0) return t.block(BREAKER, 'none of the failing calls reached the upstream, so the upstream never failed', `${failures} calls sent`);

  // Open: refused by the proxy itself, at once, and never sent upstream.
  const problems: string[] = [];
  const refusals: number[] = [];
  let sentUpstreamWhileOpen = 0;
  for (let i = 0; i < 3; i++) {
    const cid = t.cid();
    const id = `open-${cid}`;
    const call = await client.callTool('echo', { cid }, { cid, id, timeoutMs: 10_000 });
    if ((await target.upstream.received(cid)).length > 0) sentUpstreamWhileOpen++;
    refusals.push((call.exchange.endedAt ?? preciseNow()) - call.exchange.startedAt);
    const error = call.response && 'error' in call.response ? (call.response.error as { data?: unknown }) : undefined;
    if (call.exchange.status !== 503) problems.push(`a call while the circuit should be open got ${describeCall(call)}, not HTTP 503`);
    else if (!error) problems.push(`the 503 carries no JSON-RPC error with the request's id ${id}: ${call.exchange.body.slice(0, 160)}`);
    else if (error.data === undefined || error.data === null) problems.push('the JSON-RPC error of the 503 has no data naming who refused (the proxy, not the upstream)');
  }
  if (sentUpstreamWhileOpen) problems.push(`${sentUpstreamWhileOpen} of 3 calls after ${failures} failures in a row still reached the upstream`);
  const median = [...refusals].sort((a, b) => a - b)[1];
  if (median >= 100) problems.push(`refusing took ${Math.round(median)} ms (median of 3), not under 100 ms`);

  // Half-open after the interval: one probe goes through, and its success closes the circuit.
  await sleep(Math.max(0, failedAt + openMs + SETTLE_MS - preciseNow()));
  const probeCid = t.cid();
  const probe = await client.callTool('echo', { cid: probeCid }, { cid: probeCid, timeoutMs: 10_000 });
  const probeReached = (await target.upstream.received(probeCid)).length;
  if (!served(probe) || !probeReached) problems.push(`the first call after the ${openMs} ms open interval got ${describeCall(probe)}${probeReached ? '' : ' and never reached the upstream'}`);
  const closedCid = t.cid();
  const closed = await client.callTool('echo', { cid: closedCid }, { cid: closedCid, timeoutMs: 10_000 });
  if (!served(closed) || (await target.upstream.received(closedCid)).length === 0) problems.push(`the call after a successful probe got ${describeCall(closed)}: the circuit did not close`);
  const cycleMs = Math.round((closed.exchange.endedAt ?? preciseNow()) - failedAt);
  t.judgeProblems(BREAKER, problems, {
    seen: { 'failures that reached the upstream': reached, 'calls while open': refusals.length },
    fail: 'the circuit breaker did not protect the upstream as configured',
    pass: `after ${failures} failures: 3 calls refused with 503 in ${Math.round(median)} ms (median), none sent upstream; the probe after ${openMs} ms went through and closed the circuit (${cycleMs} ms from the last failure)`,
    expected: `after ${failures} failures in a row: HTTP 503 with a JSON-RPC error (id, data) in under 100 ms and nothing upstream; after ${openMs} ms a probe is relayed and its success closes the circuit`,
  });
});

scenario('A proxy MUST recover when its upstream restarts and forgets its sessions', [RESTART], async (t: ScenarioContext) => {
  const target = await t.isolatedTarget();
  const client = await t.session({ url: target.url, headers: target.headers });
  const before = t.cid();
  const first = await client.callTool('echo', { cid: before }, { cid: before });
  if (!served(first)) return t.block(RESTART, 'the session\'s first call was not served, so there is nothing to recover', describeCall(first));
  if (client.stateless) return restartedStateless(t, target, client);

  await target.primary.kill();
  await target.primary.restart({ keepSessions: false });
  await sleep(SETTLE_MS);
  const cid = t.cid();
  const after = await client.callTool('echo', { cid }, { cid, timeoutMs: 15_000 });
  const problems: string[] = [];
  let how: string;
  if (served(after)) {
    how = 'the next call was served at once';
    if ((await target.upstream.received(cid)).length === 0) problems.push('the call was answered without reaching the restarted upstream');
  } else if (after.exchange.status === 404) {
    // The client does what the spec tells it: a new session, which must work.
    const again = t.client({ url: target.url, headers: target.headers });
    const init = await again.initialize({ cid: t.cid() });
    const retryCid = t.cid();
    const retried = init.response && 'result' in init.response ? await again.callTool('echo', { cid: retryCid }, { cid: retryCid, timeoutMs: 15_000 }) : undefined;
    how = 'the next call got 404, and a new session served the call';
    if (!retried) problems.push(`after the 404, a new initialize got ${describeCall(init)}`);
    else if (!served(retried)) problems.push(`after the 404 and a new initialize, the call got ${describeCall(retried)}`);
  } else {
    how = '';
    problems.push(`the first call after the restart got ${describeCall(after)}: neither served nor 404 (which would tell the client to initialize again)`);
  }
  t.judgeProblems(RESTART, problems, {
    seen: { 'call after the restart': 1 },
    fail: 'the proxy did not recover from an upstream restart',
    pass: how,
    expected: 'the next request served, or 404 and then a new initialize and call served',
  });
});

/**
 * The stateless era: no session for the upstream to forget, so a proxy has nothing to recover but
 * its way to the upstream. A request arrives while the upstream is down (its error is the proxy's
 * to choose), then the upstream comes back: the next request must be served.
 */
async function restartedStateless(t: ScenarioContext, target: IsolatedTarget, client: McpClient): Promise<void> {
  await target.primary.kill();
  await sleep(SETTLE_MS);
  const downCid = t.cid();
  const down = await client.callTool('echo', { cid: downCid }, { cid: downCid, timeoutMs: 15_000 });
  await target.primary.restart({ keepSessions: false });
  await sleep(SETTLE_MS);
  const cid = t.cid();
  const after = await client.callTool('echo', { cid }, { cid, timeoutMs: 15_000 });
  const problems: string[] = [];
  if (!served(after)) problems.push(`the first call after the upstream came back got ${describeCall(after)} (while it was down: ${describeCall(down)})`);
  else if ((await target.upstream.received(cid)).length === 0) problems.push('the call was answered without reaching the restarted upstream');
  t.judgeProblems(RESTART, problems, {
    seen: { 'call after the restart': 1 },
    fail: 'the proxy did not recover from an upstream restart',
    pass: `a call while the upstream was down got ${describeCall(down)}; the first call after it came back was served by it`,
    expected: 'the first request after the upstream is back served by it (whatever the one while it was down got)',
  });
}

scenario('A proxy MUST give every request in flight exactly one outcome when the upstream drops, and send none twice', [IN_FLIGHT], async (t: ScenarioContext) => {
  // With a backup there is somewhere a proxy could wrongly send a call again.
  const target = await t.isolatedTarget({ backups: t.ctx.target.wiresBackups ? 1 : 0 });
  const clients: McpClient[] = [];
  for (let i = 0; i < 3; i++) clients.push(await t.session({ url: target.url, headers: target.headers }));
  const calls = clients.map((client) => {
    const cid = t.cid();
    const id = `inflight-${cid}`;
    const call = { cid, id, settled: false, done: undefined as unknown as Promise<CallResult> };
    // The upstream holds each call far longer than the scenario lasts: only the drop (or the proxy's own timeout) can end it.
    call.done = client.callTool('slow', { ms: 20_000, cid }, { cid, id, timeoutMs: 15_000 }).finally(() => (call.settled = true));
    return call;
  });
  const arrived = await waitUntil(
    () => Promise.all(calls.map(async (c) => requestsOf(await target.upstream.received(c.cid), 'tools/call').length)),
    (counts) => counts.every((n) => n > 0),
    10_000,
  );
  // Only a call that reached the upstream and had no outcome yet was in flight when the upstream dropped.
  const inFlight = calls.filter((c, i) => arrived[i] > 0 && !c.settled);
  // Every upstream holding one of the calls drops (the primary alone, unless the proxy spreads sessions); any other stays up.
  const holding = new Set((await Promise.all(calls.map((c) => target.upstream.received(c.cid)))).flat().map((r) => r.upstream));
  const upstreams = [target.primary, ...target.backups];
  await Promise.all(upstreams.filter((u) => holding.has(u.name) || u === target.primary).map((u) => u.kill()));
  await Promise.all(calls.map((c) => c.done));
  if (inFlight.length === 0) return t.block(IN_FLIGHT, 'no call was in flight (received upstream, not yet answered) when the upstream dropped', `${arrived.filter((n) => n > 0).length} of ${calls.length} calls arrived upstream`);

  const problems: string[] = [];
  let outcomes = 0;
  for (const call of inFlight) {
    const { exchange, response } = await call.done;
    const answers = exchange.kind === 'sse' ? exchange.events.filter((e) => e.data.includes(call.id) && /"(result|error)"/.test(e.data)).length : response ? 1 : 0;
    if (exchange.outcome === 'timeout') problems.push(`${call.id} hung: no outcome within 15 s of being sent`);
    else if (exchange.outcome !== 'answered') problems.push(`${call.id} got no answer but ${exchange.outcome}${exchange.error ? ` (${exchange.error})` : ''}`);
    else if (!response) problems.push(`${call.id} got HTTP ${exchange.status} without a JSON-RPC answer carrying its id: ${exchange.body.slice(0, 160)}`);
    else if (answers > 1) problems.push(`${call.id} got ${answers} answers`);
    else outcomes++;
  }
  // Whether or not it was still in flight, no call may reach the upstreams twice.
  for (const call of calls) {
    const sends = requestsOf(await target.upstream.received(call.cid), 'tools/call');
    if (sends.length > 1) problems.push(`${call.id} reached the upstreams ${sends.length} times (${sends.map((r) => r.upstream).join(', ')})`);
  }
  t.judgeProblems(IN_FLIGHT, problems, {
    seen: { 'calls in flight at the drop': inFlight.length, outcomes },
    fail: 'requests in flight were lost, duplicated or left hanging',
    pass: `each of the ${inFlight.length} calls in flight got exactly one answer with its id, and each call reached the upstream once`,
    expected: 'for each call in flight: one JSON-RPC answer with its id (an error is fine) within 15 s, and one tools/call upstream',
  });
});
