/** Notifications are relayed and acknowledged with 202; cancellation reaches the upstream; ping answers. */
import { CID_META_KEY, bodyJson, describeCall, diffJson, recordMethod, scenario, waitUntil, type McpClient, type ScenarioContext } from '../../harness/src/index.ts';

const NOTIFICATION = 'transparency/notification-accepted';
const CANCEL_PING = 'transparency/cancel-and-ping-relayed';

/** What became of the notification upstream: `relayed` when it arrived, and `problem` when it did not (unless `optional`) or arrived altered. */
async function relayedUnchanged(t: ScenarioContext, cid: string, sent: Record<string, unknown>, optional: boolean): Promise<{ relayed: boolean; problem: string | null }> {
  const method = sent.method;
  const records = await t.upstream.eventually({ cid, direction: 'in' }, (rs) => rs.some((r) => recordMethod(r) === method));
  const record = records.find((r) => recordMethod(r) === method);
  const got = record && bodyJson(record);
  if (!got) return { relayed: false, problem: optional ? null : `${method} never reached the upstream` };
  const diffs = diffJson(sent, got);
  return { relayed: true, problem: diffs.length ? `${method} reached the upstream altered: ${diffs.join('; ')}` : null };
}

/**
 * The race every cancellation can lose: it names a call already answered. The proxy takes it with 202
 * like any notification, and the client's next call is answered as if nothing had happened.
 */
async function lateCancelSurvived(t: ScenarioContext, client: McpClient): Promise<string[]> {
  const cid = t.cid();
  const first = await client.callTool('echo', { cid }, { cid });
  if (!first.response) return [`a call to cancel once answered got no answer (HTTP ${first.exchange.status || first.exchange.outcome})`];
  const late = await client.notify('notifications/cancelled', { requestId: first.response.id, reason: 'too late: it was answered', _meta: { [CID_META_KEY]: cid } });
  const next = await client.callTool('echo', { cid, after: 'the late cancellation' }, { cid });
  const problems: string[] = [];
  if (late.status !== 202) problems.push(`a cancellation of a call already answered got HTTP ${late.status || late.outcome}, not 202`);
  if (!next.response || !('result' in next.response)) problems.push(`after a cancellation of a call already answered, the next call got ${describeCall(next)}`);
  return problems;
}

scenario('A proxy MUST answer a notification 202 with no body, and forward it unchanged', [NOTIFICATION], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const meta = { 'io.proxyspec/cid': cid, 'com.example/note': 'ü' };
  // The stateless era keeps one client notification, the cancellation (here of a request long answered),
  // and carries the revision and the client's capabilities in its _meta as every message does.
  const sent = client.stateless
    ? { jsonrpc: '2.0', method: 'notifications/cancelled', params: client.requestParams({ requestId: `answered-${cid}`, reason: 'a notification to relay', _meta: meta }) }
    : { jsonrpc: '2.0', method: 'notifications/roots/list_changed', params: { _meta: meta } };
  const exchange = await client.post(sent);
  const problems: string[] = [];
  if (exchange.outcome !== 'answered') problems.push(`no answer (${exchange.outcome}): ${exchange.error ?? ''}`);
  else if (exchange.status !== 202) problems.push(`HTTP ${exchange.status} instead of 202`);
  if (exchange.body !== '') problems.push(`a body came back: ${JSON.stringify(exchange.body.slice(0, 120))}`);
  // In 2026-07-28 a client over HTTP cancels by closing its stream, and this cancellation names no
  // request in flight: a proxy may take it no further (a bridge has no legacy session left to send it
  // to; a stdio process shared by several clients could take its id for another client's request).
  // What a proxy does forward must arrive unchanged.
  const { relayed, problem } = await relayedUnchanged(t, cid, sent, client.stateless);
  if (problem) problems.push(problem);
  problems.push(...(await lateCancelSurvived(t, client)));
  t.judgeProblems(NOTIFICATION, problems, {
    seen: { 'answer to the notification': exchange.outcome === 'answered' ? 1 : 0 },
    fail: 'the notification was not handled as one',
    pass: `${relayed ? 'relayed unchanged and acknowledged with 202 and no body' : 'acknowledged with 202 and no body, and taken no further: a cancellation naming no request in flight, which 2026-07-28 does not expect over HTTP'}; a cancellation of a call already answered was taken with 202, and the next call answered`,
    expected: `${client.stateless ? 'HTTP 202, empty body; the notification unchanged upstream, if it goes there' : 'HTTP 202, empty body, the notification unchanged upstream'}; a late cancellation taken with 202 and the next call answered`,
  });
});

scenario('A proxy MUST relay notifications/cancelled and answer ping', [CANCEL_PING], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const problems: string[] = [];
  // Cancel a request that is really in flight: a proxy may rightly drop a cancellation for an unknown id.
  const slowId = `slow-${cid}`;
  const slow = client.callTool('slow', { cid, ms: 500 }, { id: slowId, cid, timeoutMs: 10_000 });
  const callRecord = (await t.upstream.eventually({ cid, direction: 'in' }, (rs) => rs.some((r) => recordMethod(r) === 'tools/call'))).find((r) => recordMethod(r) === 'tools/call');
  const inFlight = callRecord && (bodyJson(callRecord) as Record<string, unknown>);
  if (!inFlight) {
    await slow;
    return t.block(CANCEL_PING, 'the call to cancel never reached the upstream, so there was nothing in flight to cancel');
  }
  const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: slowId, reason: 'the user changed their mind', _meta: { 'io.proxyspec/cid': cid } } };
  const cancelled = await client.post(cancel);
  if (cancelled.status !== 202) problems.push(`notifications/cancelled got HTTP ${cancelled.status}${cancelled.error ? ` (${cancelled.error})` : ''}`);
  // A proxy that renumbers ids upstream must name the upstream's id for the cancelled request; the
  // cancellation is found by that id, as the upstream sees it, not by the marker in the client's _meta.
  const expected = { ...cancel, params: { ...cancel.params, requestId: inFlight.id ?? slowId } };
  const reached = await waitUntil(() => t.upstream.cancellationsOf(cid, 'tools/call'), (rs) => rs.length > 0, 5000);
  const got = reached[0] && bodyJson(reached[0]);
  if (!got) {
    // One the proxy forwarded with another id cancels nothing upstream: said as what was seen.
    const other = (await t.upstream.received(cid)).map((r) => bodyJson(r) as { method?: unknown; params?: { requestId?: unknown } } | undefined).find((m) => m?.method === 'notifications/cancelled');
    problems.push(
      other
        ? `notifications/cancelled reached the upstream naming ${JSON.stringify(other.params?.requestId)}, not ${JSON.stringify(inFlight.id)}, the id the upstream got for the call: it cancels nothing there`
        : `no notifications/cancelled naming the call's upstream id ${JSON.stringify(inFlight.id)} reached the upstream`,
    );
  }
  else {
    const diffs = diffJson(expected, got);
    if (diffs.length) problems.push(`notifications/cancelled reached the upstream altered: ${diffs.join('; ')}`);
  }
  await slow;
  const ping = await client.request('ping', {}, { id: `ping-${cid}`, cid });
  const result = ping.response?.result;
  if (!ping.response) problems.push(`ping got no response with its id (HTTP ${ping.exchange.status})`);
  else if (!result || typeof result !== 'object' || Object.keys(result).some((k) => k !== '_meta')) problems.push(`ping answered ${JSON.stringify(ping.response).slice(0, 160)}, not an empty result`);
  t.judgeProblems(CANCEL_PING, problems, {
    seen: { 'call in flight upstream': 1, 'answer to ping': ping.exchange.outcome === 'answered' ? 1 : 0 },
    fail: problems[0] ?? 'cancellation or ping was not relayed',
    pass: 'the cancellation of a call in flight reached the upstream unchanged and ping was answered',
    expected: 'notifications/cancelled for the call in flight unchanged upstream, with 202; ping → {"result":{}} with the same id',
  });
});
