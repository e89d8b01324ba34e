/**
 * What a proxy must carry in the stateless era (2026-07-28): the mirrored headers, subscriptions/listen
 * streams, the closing of a response stream (the era's cancellation), multi round-trip requests, and
 * the _meta every request carries (version, capabilities, trace context).
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, paramHeadersFor, paramHeadersOf } from '../../wire/index.ts';
import { CID_META_KEY, META, bridgeSeen, resultOf, type CallResult, type Exchange, type McpClient, openListen, revisionsOfEra, bodyJson, preciseNow, bodyText, diffJson, recordHeader, recordMethod, scenario, waitUntil, withoutId, type ScenarioContext, type UpstreamRecord } from '../../harness/src/index.ts';

const HEADERS = 'transparency/mirrored-headers-forwarded';
const SUBSCRIPTION = 'transparency/subscription-relayed';
const CLOSE_CANCELS = 'transparency/stream-close-cancels';
const INPUT_REQUIRED = 'transparency/input-required-relayed';
const META_FORWARDED = 'transparency/request-meta-forwarded';
const MISMATCH = 'transparency/header-mismatch-refused';
const LOGS = 'transparency/request-logs-relayed';

/** W3C Trace Context: version-traceid-parentid-flags, lower-case hex, neither id all zeros. */
const TRACEPARENT = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

scenario('A proxy MUST forward Mcp-Method, Mcp-Name and unknown Mcp-Param-* headers unchanged', [HEADERS], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  // Mcp-Param-Region is what a tool declaring x-mcp-header "Region" gets; a proxy that does not know the tool must forward it as it is.
  const sent = { 'mcp-param-region': 'us-west1', 'mcp-param-note': '=?base64?w7xiZXI=?=' };
  const { exchange } = await client.callTool('echo', { cid, region: 'us-west1' }, { cid, headers: sent });
  const received = await t.upstream.receivedRequest(cid, 'tools/call');
  if (!received) return t.block(HEADERS, 'the call never reached the upstream, so there are no headers to compare', `client got HTTP ${exchange.status || exchange.outcome}`);
  // A proxy that speaks the session era to an upstream serving both relays no 2026-07-28 request, and so no
  // mirrored header: the check applies, and had nothing to see.
  if (bridgeSeen(t.ctx.target, t.revision, received)) return t.block(HEADERS, `the proxy carried the call to the upstream in a legacy session (${received.sessionId}), where requests carry no mirrored headers, so none was there to compare`);
  const expected: Record<string, string> = { 'mcp-protocol-version': t.revision, 'mcp-method': 'tools/call', 'mcp-name': 'echo', ...sent };
  const problems = Object.entries(expected).flatMap(([name, value]) => {
    const got = recordHeader(received, name);
    return got === value ? [] : [`${name}: ${got === undefined ? 'missing upstream' : `${JSON.stringify(got)} upstream`}, ${JSON.stringify(value)} sent`];
  });
  t.judgeProblems(HEADERS, problems, {
    seen: { 'headers compared upstream': Object.keys(expected).length },
    fail: 'mirrored or Mcp-Param-* headers did not reach the upstream as sent',
    pass: `${Object.keys(expected).join(', ')} reached the upstream as sent`,
    expected: Object.entries(expected).map(([k, v]) => `${k}: ${v}`).join('; '),
  });
});

/** A subscriptions/listen stream kept open in the background, closed when the scenario ends. */
function listen(t: ScenarioContext, client: ReturnType<ScenarioContext['client']>, notifications: Record<string, unknown>, cid: string) {
  const subscription = openListen(client, notifications, { id: `listen-${cid}-${Object.keys(notifications).join('-')}`, cid });
  t.onCleanup(async () => void (await subscription.close()));
  return subscription;
}

scenario('A proxy MUST relay subscriptions/listen: the acknowledgement first, each change only to the subscription that asked', [SUBSCRIPTION], async (t: ScenarioContext) => {
  const cid = t.cid();
  const tools = listen(t, t.client(), { toolsListChanged: true }, cid);
  const prompts = listen(t, t.client(), { promptsListChanged: true }, cid);
  const [toolsFirst, promptsFirst] = [(await tools.waitFor(1))[0], (await prompts.waitFor(1))[0]];
  const problems: string[] = [];
  const ack = (first: Record<string, any> | undefined, id: string, name: string) => {
    if (!first) problems.push(`the ${name} subscription got nothing within 5 s`);
    else if (first.method !== 'notifications/subscriptions/acknowledged') problems.push(`the ${name} subscription's first message was ${first.method ?? JSON.stringify(first).slice(0, 80)}, not the acknowledgement`);
    else if (first.params?._meta?.[META.subscriptionId] !== id) problems.push(`the ${name} acknowledgement carries subscription id ${JSON.stringify(first.params?._meta?.[META.subscriptionId])}, not ${JSON.stringify(id)}`);
  };
  ack(toolsFirst, tools.id, 'tools');
  ack(promptsFirst, prompts.id, 'prompts');
  // A tool list change, made by a call on a third connection: it belongs to the tools subscription only.
  const notified = await (await t.session()).callTool('notify', { cid, change: 'tools' }, { cid });
  // What the upstream sent (the change carries the correlation id): without it there is nothing relayed to judge.
  const upstreamSent = (await t.upstream.sent(cid)).filter((r) => (bodyJson(r) as { method?: string } | undefined)?.method === 'notifications/tools/list_changed');
  if (upstreamSent.length === 0) return t.block(SUBSCRIPTION, 'the upstream had no subscription to send the change to, so nothing was relayed to judge', `notify answered ${JSON.stringify(notified.response ?? notified.exchange.status).slice(0, 200)}`);
  const change = (await tools.waitFor(2))[1];
  if (!change) problems.push('the tool list change the upstream sent never reached the tools subscription');
  else if (change.method !== 'notifications/tools/list_changed' || change.params?._meta?.[META.subscriptionId] !== tools.id) problems.push(`the tools subscription got ${JSON.stringify(change).slice(0, 160)} instead of its tool list change`);
  // What came after the acknowledgement, but for the listen's own final result (a response, which may end the stream at any time).
  const strays = prompts.messages().slice(1).filter((m) => typeof m.method === 'string');
  if (strays.length) problems.push(`the prompts subscription got ${strays.map((m) => m.method).join(', ')}, which it did not ask for`);
  t.judgeProblems(SUBSCRIPTION, problems, {
    seen: { 'subscriptions acknowledged': [toolsFirst, promptsFirst].filter(Boolean).length, 'changes relayed': change ? 1 : 0 },
    fail: 'the subscription streams were not relayed as the upstream sent them',
    pass: 'both subscriptions were acknowledged first, and the tool list change reached the tools subscription only',
    expected: 'acknowledgement first on each stream, tagged with its own id; the change on the tools stream only',
  });
});

scenario('A proxy MUST pass the closing of a response stream on to the upstream', [CLOSE_CANCELS], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const controller = new AbortController();
  let progressSeen = 0;
  // A long call (100 notifications 50 ms apart; over stdio 400, so that a call run to its end cannot
  // pass for one ended on the close): the client closes its stream at the first one.
  const count = t.ctx.target.upstream === 'stdio' ? 400 : 100;
  const call = client.callTool('progress', { cid, count, intervalMs: 50 }, {
    cid,
    meta: { progressToken: `close-${cid}`, [CID_META_KEY]: cid },
    signal: controller.signal,
    timeoutMs: 15_000,
    onEvent: (e) => {
      if ((e.json as { method?: string } | undefined)?.method === 'notifications/progress' && ++progressSeen === 1) controller.abort();
    },
  });
  const { exchange } = await call;
  if (progressSeen === 0) return t.block(CLOSE_CANCELS, 'no progress notification reached the client, so it had no open stream to close', `client got HTTP ${exchange.status || exchange.outcome}`);
  const closedAt = preciseNow();
  // Over stdio, and to a legacy upstream (where a closed stream cancels nothing), the cancellation is said in the call's session.
  if (t.ctx.target.upstream === 'stdio' || bridgeSeen(t.ctx.target, t.revision, await t.upstream.receivedRequest(cid, 'tools/call')) === 'to-legacy') return cancelledInSession(t, cid, closedAt, progressSeen);
  const records = await t.upstream.eventually({ cid, direction: 'out' }, (rs) => rs.some((r) => bodyText(r).startsWith('(stream closed by the client')), 5000);
  const closed = records.find((r) => bodyText(r).startsWith('(stream closed by the client'));
  // The upstream's answer to the call, found by its id (a progress result does not carry the correlation id).
  const answered = closed ? undefined : (await t.upstream.answerTo(cid, 'tools/call')).answer;
  // A call the upstream had finished before the client could close (a proxy that held the stream back) leaves nothing to cancel.
  if (!closed && answered && answered.at < closedAt) {
    return t.block(CLOSE_CANCELS, 'the upstream had finished the call before the client saw its first notification, so no running call was left to cancel', `the upstream answered ${Math.round(closedAt - answered.at)} ms before the client closed`);
  }
  const finished = answered !== undefined;
  t.judge(CLOSE_CANCELS, closed !== undefined, {
    seen: { 'progress notifications before the close': progressSeen },
    message: closed ? 'the upstream\'s stream for the call was closed once the client closed its own' : finished ? 'the upstream ran the call to its end: the client\'s close never reached it' : 'the upstream\'s stream stayed open 5 s after the client closed its own',
    expected: 'the upstream sees the call\'s stream closed (its cancellation) soon after the client closes',
    observed: closed ? `closed upstream ${Math.round(closed.at - closedAt)} ms after the client's close` : 'the upstream stream was not closed',
  });
});

/**
 * Over stdio there is no stream to close upstream, and in a legacy session closing one cancels
 * nothing: the proxy says the cancellation with notifications/cancelled naming the call's id as the
 * upstream received it, or ends the session (the process) the call runs in.
 */
async function cancelledInSession(t: ScenarioContext, cid: string, closedAt: number, progressSeen: number): Promise<void> {
  const call = await t.upstream.receivedRequest(cid, 'tools/call');
  const id = call && (bodyJson(call) as { id?: unknown } | undefined)?.id;
  if (!call || id === undefined) return t.block(CLOSE_CANCELS, 'the call never reached the upstream, so there was nothing to cancel');
  const [cancel] = await waitUntil(() => t.upstream.cancellationsOf(cid, 'tools/call'), (rs) => rs.length > 0, 5000);
  // A bridge that runs a process per request may end that process instead: the work stops with it
  // (the call takes 20 s, so a process that ended within the 5 s did not end because the call did).
  const ended = !cancel && call.sessionId !== null && call.sessionId !== undefined && !(await t.upstream.liveSessions()).includes(call.sessionId);
  const where = t.ctx.target.upstream === 'stdio' ? 'stdio server\'s process' : 'upstream session';
  t.judge(CLOSE_CANCELS, cancel !== undefined || ended, {
    seen: { 'progress notifications before the close': progressSeen },
    message: cancel
      ? 'the upstream was told the call is cancelled once the client closed its stream'
      : ended
        ? `the ${where} running the call was ended once the client closed its stream`
        : `the upstream was never told of the cancellation: no notifications/cancelled for the call, and its ${where} still open, 5 s after the client closed its stream`,
    expected: `notifications/cancelled with requestId ${JSON.stringify(id)} upstream (or the ${where} serving the call ended) soon after the client closes`,
    observed: cancel ? `notifications/cancelled ${Math.max(0, Math.round(cancel.at - closedAt))} ms after the client's close` : ended ? `the ${where} ended` : `no notifications/cancelled for the call; its ${where} still open`,
  });
}

/**
 * A retry is a request of its own: it reaches the upstream under another JSON-RPC id than the first
 * call, and the same retry sent again (same params, same correlation id) reaches the upstream again,
 * never answered from a cache (its result depends on the answers it carries).
 */
async function retriesApart(t: ScenarioContext, client: McpClient, firstRequest: UpstreamRecord | undefined, cid: string, params: Record<string, unknown>): Promise<string[]> {
  const problems: string[] = [];
  const idOf = (r: UpstreamRecord | undefined) => (r ? (bodyJson(r) as { id?: unknown } | undefined)?.id : undefined);
  const retry = await t.upstream.receivedRequest(cid, 'tools/call');
  if (firstRequest && retry && JSON.stringify(idOf(firstRequest)) === JSON.stringify(idOf(retry))) problems.push(`the retry reached the upstream under the first call's JSON-RPC id ${JSON.stringify(idOf(retry))}`);
  const again = await client.request('tools/call', params, { cid });
  const calls = (await t.upstream.received(cid)).filter((r) => recordMethod(r) === 'tools/call');
  if (again.response && 'result' in again.response && calls.length < 2) problems.push('the same retry sent again was answered without reaching the upstream: a result that depends on the answers it carries was served from a cache');
  return problems;
}

scenario('A proxy MUST relay input_required results and the retry with the exact requestState', [INPUT_REQUIRED], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const first = await client.callTool('sample', { cid, prompt: 'Say hello' }, { cid });
  const { message: upstreamFirst, request: firstRequest } = await t.upstream.answerTo(cid, 'tools/call');
  if (bridgeSeen(t.ctx.target, t.revision, firstRequest) === 'to-legacy') return inputRequiredBridged(t, client, cid, first);
  if (!upstreamFirst) return t.block(INPUT_REQUIRED, 'the upstream never answered the first call, so there is no input_required result to compare', `client got HTTP ${first.exchange.status || first.exchange.outcome}`);
  const problems: string[] = [];
  const result = first.response?.result as { resultType?: string; inputRequests?: Record<string, unknown>; requestState?: string } | undefined;
  // Towards its client a proxy is the server, so it may hand out a requestState of its own, as long as the
  // retry brings the upstream's own back to the upstream; the rest of the result must be the upstream's.
  const upstreamState = (upstreamFirst.result as { requestState?: unknown } | undefined)?.requestState;
  const withoutState = (m: Record<string, unknown>) => {
    const r = withoutId(m) as { result?: Record<string, unknown> };
    if (!r.result) return r;
    const { requestState: _own, ...rest } = r.result;
    return { ...r, result: rest };
  };
  if (!first.response) problems.push(`the first call got no response (HTTP ${first.exchange.status || first.exchange.outcome})`);
  else problems.push(...diffJson(withoutState(upstreamFirst), withoutState(first.response)).map((d) => `input_required result: ${d}`));
  if (first.response && (upstreamState === undefined) !== (result?.requestState === undefined)) problems.push(`the upstream's result ${upstreamState === undefined ? 'had no' : 'had a'} requestState, the client's ${result?.requestState === undefined ? 'none' : 'one'}`);
  let retried: Awaited<ReturnType<typeof client.callTool>> | undefined;
  if (result?.resultType === 'input_required' && result.inputRequests) {
    const inputResponses = Object.fromEntries(Object.keys(result.inputRequests).map((key) => [key, samplingAnswer(cid)]));
    const cid2 = t.cid();
    retried = await client.request('tools/call', { name: 'sample', arguments: { cid, prompt: 'Say hello' }, inputResponses, ...(result.requestState !== undefined && { requestState: result.requestState }) }, { cid: cid2 });
    const got = await t.upstream.receivedRequest(cid2, 'tools/call');
    const params = (got && (bodyJson(got) as { params?: Record<string, unknown> }).params) ?? undefined;
    if (!got) problems.push('the retry never reached the upstream');
    else {
      if (params?.requestState !== upstreamState) problems.push(`the retry reached the upstream with requestState ${JSON.stringify(params?.requestState)}, not the ${JSON.stringify(upstreamState)} the upstream handed out`);
      problems.push(...diffJson({ inputResponses }, { inputResponses: params?.inputResponses }).map((d) => `retry: ${d}`));
    }
    const final = retried.response?.result as { resultType?: string } | undefined;
    if (final?.resultType !== 'complete') problems.push(`the retry's answer is ${JSON.stringify(retried.response ?? retried.exchange.status).slice(0, 160)}, not a complete result`);
    problems.push(...(await retriesApart(t, client, firstRequest, cid2, { name: 'sample', arguments: { cid, prompt: 'Say hello' }, inputResponses, ...(result.requestState !== undefined && { requestState: result.requestState }) })));
  } else if (first.response) {
    problems.push(`the first answer is not an input_required result with inputRequests: ${JSON.stringify(first.response).slice(0, 160)}`);
  }
  t.judgeProblems(INPUT_REQUIRED, problems, {
    seen: { 'input_required results from the upstream': 1, 'retries answered': retried?.response ? 1 : 0 },
    fail: 'the multi round-trip request did not cross the proxy unchanged',
    pass: `the input_required result reached the client as the upstream sent it${result?.requestState !== upstreamState ? ' (with a requestState of the proxy\'s own)' : ''}, and the retry reached the upstream with its inputResponses and the upstream\'s exact requestState, under an id of its own, and again when sent again`,
    expected: 'the input_required result as the upstream sent it (the proxy may hand out a requestState of its own); the retry\'s inputResponses, and the upstream\'s requestState, unchanged upstream; a complete result',
  });
});

scenario('A proxy MUST bring a request\'s _meta to the upstream: version, capabilities, identity and trace context', [META_FORWARDED], async (t: ScenarioContext) => {
  const client = t.client();
  const cid = t.cid();
  const traceId = randomBytes(16).toString('hex');
  // The client's own entries; a proxy that takes part in the trace may put its span in traceparent and its
  // own entry first in tracestate (W3C Trace Context), but the trace id and the client's entries stay.
  const sent = {
    traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    tracestate: `proxyspec=${cid.slice(0, 16).replace(/[^a-z0-9]/g, 'x')}`,
    baggage: `proxyspec.case=${cid.replace(/[^A-Za-z0-9-]/g, '')}`,
  };
  const { exchange, response } = await client.callTool('echo', { cid }, { cid, meta: { [CID_META_KEY]: cid, ...sent } });
  const received = await t.upstream.receivedRequest(cid, 'tools/call');
  if (!received) return t.block(META_FORWARDED, 'the call never reached the upstream, so there is no _meta to compare', `client got HTTP ${exchange.status || exchange.outcome}${response && 'error' in response ? `: ${JSON.stringify(response.error).slice(0, 120)}` : ''}`);
  const meta = ((bodyJson(received) as { params?: { _meta?: Record<string, unknown> } } | undefined)?.params?._meta ?? {}) as Record<string, unknown>;
  const own = client.requestParams({})._meta as Record<string, unknown>;
  const problems: string[] = [];
  const bridged = bridgeSeen(t.ctx.target, t.revision, received) === 'to-legacy';
  if (bridged) problems.push(...(await identityInInitialize(t, cid, own, received)));
  else {
    for (const key of [META.protocolVersion, META.clientCapabilities, META.clientInfo]) {
      if (JSON.stringify(meta[key]) !== JSON.stringify(own[key])) problems.push(`${key}: ${meta[key] === undefined ? 'missing upstream' : `${JSON.stringify(meta[key])} upstream`}, ${JSON.stringify(own[key])} sent`);
    }
  }
  const parent = typeof meta.traceparent === 'string' ? TRACEPARENT.exec(meta.traceparent) : null;
  if (meta.traceparent === undefined) problems.push('traceparent: missing upstream');
  else if (!parent) problems.push(`traceparent: ${JSON.stringify(meta.traceparent)} upstream is not W3C Trace Context`);
  else if (parent[1] !== traceId) problems.push(`traceparent: trace id ${parent[1]} upstream, ${traceId} sent (the trace is broken in two)`);
  const members = (v: unknown) => (typeof v === 'string' ? v.split(',').map((m) => m.trim()) : []);
  if (!members(meta.tracestate).includes(sent.tracestate)) problems.push(`tracestate: ${JSON.stringify(meta.tracestate ?? null)} upstream lacks the client's entry ${sent.tracestate}`);
  if (!members(meta.baggage).includes(sent.baggage)) problems.push(`baggage: ${JSON.stringify(meta.baggage ?? null)} upstream lacks the client's member ${sent.baggage}`);
  t.judgeProblems(META_FORWARDED, problems, {
    seen: { '_meta keys compared upstream': 6 },
    fail: 'the request\'s _meta did not reach the upstream as it must',
    pass: `the protocol version, capabilities and client identity reached the upstream unchanged${bridged ? ' (in the initialize of the legacy session the request went through)' : ''}; traceparent kept trace id ${traceId}, and tracestate and baggage kept the client's entries`,
    expected: `${META.protocolVersion}, ${META.clientCapabilities} and ${META.clientInfo} as sent; traceparent with trace id ${traceId}; tracestate containing ${sent.tracestate}; baggage containing ${sent.baggage}`,
  });
});

/** What the client answers a sampling request with, in this check: a reply that names the conversation. */
const samplingAnswer = (cid: string) => ({ role: 'assistant', content: { type: 'text', text: `hello from ${cid}` }, model: 'proxyspec' });

/**
 * In front of a legacy upstream, which asks its client in the middle of a call, a proxy is the one
 * that makes the input_required result: it must carry the upstream's own request to the client
 * unchanged, bring the client's answer back to the upstream as the answer to that request, and end
 * the retry with the upstream's result, complete.
 */
async function inputRequiredBridged(t: ScenarioContext, client: McpClient, cid: string, first: CallResult): Promise<void> {
  const asked = (await t.upstream.sent(cid)).map((r) => bodyJson(r) as Record<string, any> | undefined).find((m) => m?.method === 'sampling/createMessage');
  if (!asked) return t.block(INPUT_REQUIRED, 'the upstream never asked the client anything for the first call, so there was no input to require', `client got ${JSON.stringify(first.response ?? first.exchange.status).slice(0, 160)}`);
  const problems: string[] = [];
  const result = first.response?.result as { resultType?: string; inputRequests?: Record<string, { method?: string; params?: unknown }>; requestState?: string } | undefined;
  const entries = Object.entries(result?.inputRequests ?? {});
  if (result?.resultType !== 'input_required' || entries.length !== 1) {
    problems.push(`the first answer is not an input_required result asking one thing: ${JSON.stringify(first.response ?? first.exchange.status).slice(0, 200)}`);
  } else {
    const [key, request] = entries[0];
    problems.push(...diffJson({ method: asked.method, params: asked.params }, request).map((d) => `the input request is not the upstream's own: ${d}`));
    const cid2 = t.cid();
    const retried = await client.request('tools/call', { name: 'sample', arguments: { cid, prompt: 'Say hello' }, inputResponses: { [key]: samplingAnswer(cid2) }, ...(result.requestState !== undefined && { requestState: result.requestState }) }, { cid: cid2 });
    // The client's answer reaches the upstream as the answer to its own sampling request.
    const answered = (await t.upstream.received(cid2)).map((r) => bodyJson(r) as Record<string, any> | undefined).find((m) => m && 'result' in m && m.method === undefined && m.id !== undefined);
    if (!answered) problems.push('the client\'s answer never reached the upstream as the answer to its sampling request');
    else problems.push(...diffJson(samplingAnswer(cid2), answered.result).map((d) => `the answer upstream: ${d}`));
    const final = retried.response?.result as { resultType?: string; structuredContent?: { answer?: { result?: unknown } } } | undefined;
    if (final?.resultType !== 'complete') problems.push(`the retry's answer is ${JSON.stringify(retried.response ?? retried.exchange.status).slice(0, 160)}, not a complete result`);
    else problems.push(...diffJson(samplingAnswer(cid2), final.structuredContent?.answer?.result).map((d) => `the upstream's result does not carry the client's answer: ${d}`));
  }
  t.judgeProblems(INPUT_REQUIRED, problems, {
    seen: { 'requests the upstream made of the client': 1 },
    fail: 'the upstream\'s request of the client did not make a round trip through the bridge',
    pass: 'the upstream\'s sampling request reached the client as an input_required result, the client\'s answer reached the upstream as the answer to it, and the retry ended with the upstream\'s complete result',
    expected: 'input_required carrying the upstream\'s sampling request unchanged; the client\'s answer to it upstream; a complete result that carries that answer',
  });
}

/**
 * In front of a legacy upstream the request's version, capabilities and identity go where that era
 * keeps them: in the initialize of the session the bridge opens for the request (which carries the
 * request's other _meta, its correlation id among them), with a revision of the session era.
 */
async function identityInInitialize(t: ScenarioContext, cid: string, own: Record<string, unknown>, call: UpstreamRecord): Promise<string[]> {
  // The initialize of the session the call went through: one of its own (carrying its _meta), or one
  // the proxy opened before (a session it shares between clients), found by the session's id.
  const inSession = async () => (call.sessionId ? (await t.upstream.records({ sessionId: call.sessionId, direction: 'in', upstream: call.upstream })).find((r) => recordMethod(r) === 'initialize') : undefined);
  const init = (await t.upstream.receivedRequest(cid, 'initialize')) ?? (await inSession());
  const params = (init && (bodyJson(init) as { params?: Record<string, unknown> } | undefined)?.params) ?? undefined;
  if (!params) return [`the call went through the legacy session ${call.sessionId ?? '(none)'}, whose initialize the upstream never received, so the request's version, capabilities and identity went nowhere`];
  const problems: string[] = [];
  if (!revisionsOfEra(false).includes(params.protocolVersion as never)) problems.push(`the bridge's initialize asked for ${JSON.stringify(params.protocolVersion)}, no revision of the session era`);
  if (JSON.stringify(params.capabilities) !== JSON.stringify(own[META.clientCapabilities])) problems.push(`initialize's capabilities: ${JSON.stringify(params.capabilities)} upstream, ${JSON.stringify(own[META.clientCapabilities])} sent`);
  if (JSON.stringify(params.clientInfo) !== JSON.stringify(own[META.clientInfo])) problems.push(`initialize's clientInfo: ${JSON.stringify(params.clientInfo)} upstream, ${JSON.stringify(own[META.clientInfo])} sent`);
  return problems;
}

/** The answer a refused request must get: 400, with HeaderMismatch (-32020) when it is a JSON-RPC error (an intermediary may answer without one). */
function refusalProblem(ex: Exchange): string | undefined {
  if (ex.status !== 400) return `HTTP ${ex.status || ex.outcome}, not 400`;
  let code: unknown;
  try {
    code = (JSON.parse(ex.body) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return undefined;
  }
  return code === undefined || code === ErrorCode.HeaderMismatch ? undefined : `HTTP 400 with the JSON-RPC error ${JSON.stringify(code)}, not HeaderMismatch (${ErrorCode.HeaderMismatch})`;
}

/**
 * Mcp-Param headers, for a tool whose inputSchema marks parameters with x-mcp-header (the mock's
 * route: region, tenant.id, shard, dryRun). After a tools/list, from which a proxy may learn the
 * marks: calls whose headers agree with their arguments are served (a value in the Base64 form,
 * header names in capitals, a null and an absent parameter without a header); calls whose headers
 * disagree (another value, a header missing, invalid characters) are
 * refused with 400 and never carried out. Nothing to judge when the upstream marks no parameter.
 */
async function paramHeaderCases(t: ScenarioContext, client: McpClient): Promise<{ problems: string[]; seen: string[] } | undefined> {
  const listed = await client.request('tools/list', {}, { cid: t.cid() });
  const tools = resultOf(listed)?.tools as Array<{ name?: unknown; inputSchema?: unknown }> | undefined;
  const marked = paramHeadersOf(tools?.find((tool) => tool.name === 'route')?.inputSchema);
  if (!('headers' in marked) || marked.headers.length < 4) return undefined;
  const problems: string[] = [];
  const seen: string[] = [];
  const send = async (name: string, args: Record<string, unknown>, headers: (own: Record<string, string>) => Array<[string, string]>) => {
    const cid = t.cid();
    const body = { jsonrpc: '2.0', id: `param-${cid}`, method: 'tools/call', params: client.requestParams({ name: 'route', arguments: { ...args, cid }, _meta: { [CID_META_KEY]: cid } }) };
    const own = { ...client.headersFor(body), ...paramHeadersFor(marked.headers, args) };
    const sent = headers(own);
    const ex = await t.raw('POST', [['content-type', 'application/json'], ['accept', 'application/json, text/event-stream'], ...sent], JSON.stringify(body), 10_000);
    const { message, request } = await t.upstream.answerTo(cid, 'tools/call');
    // An HTTP upstream that got other Mcp-Param headers than the client sent judged another request: that is for mirrored-headers-forwarded to blame.
    const altered = request?.transport === 'http' && sent.some(([k, v]) => k.toLowerCase().startsWith('mcp-param-') && recordHeader(request, k.toLowerCase()) !== v);
    seen.push(`${name}: ${altered ? 'not judged, its Mcp-Param headers did not reach the upstream as sent' : ex.status || ex.outcome}`);
    return { ex, ran: message !== undefined && 'result' in message, cid, altered };
  };
  const as = (own: Record<string, string>) => Object.entries(own);
  const full = { region: 'us-west1', tenant: { id: 'Zürich' }, shard: 42, dryRun: true };
  for (const [name, args, headers] of [
    ['all four marked, the tenant in the Base64 form', full, as],
    ['header names in capitals, region null and dryRun absent without a header', { region: null, tenant: { id: 'acme' }, shard: 7 }, (own: Record<string, string>) => Object.entries(own).map(([k, v]) => [k.toUpperCase(), v] as [string, string])],
  ] as const) {
    const { ex, ran, cid, altered } = await send(name, args, headers);
    if (altered) continue;
    if (!(ex.status === 200 && ran && ex.body.includes(cid) && !ex.body.includes('"error"'))) problems.push(`${name}: HTTP ${ex.status || ex.outcome} ${ex.body.slice(0, 120)}, not the call's result`);
  }
  const refused: Array<[string, Record<string, unknown>, (own: Record<string, string>) => Array<[string, string]>]> = [
    ['Mcp-Param-Region eu-west1 for a region of us-west1', full, (own) => as({ ...own, 'mcp-param-region': 'eu-west1' })],
    ['no Mcp-Param-Region for a region of us-west1', full, (own) => as(own).filter(([k]) => k !== 'mcp-param-region')],
    ['Mcp-Param-Shard 43 for a shard of 42', full, (own) => as({ ...own, 'mcp-param-shard': '43' })],
    ['Mcp-Param-Region carrying the byte 0xE9 raw (us-wést1, which matches the body once read as Latin-1)', { ...full, region: 'us-wést1' }, (own) => as({ ...own, 'mcp-param-region': 'us-wést1' })],
  ];
  for (const [name, args, headers] of refused) {
    const { ex, ran, altered } = await send(name, args, headers);
    if (altered) continue;
    if (ran) problems.push(`${name}: the upstream carried the call out (client got HTTP ${ex.status || ex.outcome})`);
    else {
      const why = refusalProblem(ex);
      if (why) problems.push(`${name}: ${why}`);
    }
  }
  return { problems, seen };
}

scenario('A proxy MUST refuse a request whose mirrored headers disagree with its body, and never have it carried out', [MISMATCH], async (t: ScenarioContext) => {
  const client = t.client();
  const cases: Array<{ name: string; headers: Record<string, string>; drop?: string }> = [
    { name: 'Mcp-Method tools/list for a tools/call', headers: { 'mcp-method': 'tools/list' } },
    { name: 'Mcp-Name restricted for a call of echo', headers: { 'mcp-name': 'restricted' } },
    { name: 'MCP-Protocol-Version 2025-11-25 for a body of 2026-07-28', headers: { 'mcp-protocol-version': '2025-11-25' } },
    { name: 'no Mcp-Name for a call of echo', headers: {}, drop: 'mcp-name' },
  ];
  const problems: string[] = [];
  const seen: string[] = [];
  const call = (cid: string) => ({ jsonrpc: '2.0', id: `mismatch-${cid}`, method: 'tools/call', params: client.requestParams({ name: 'echo', arguments: { cid }, _meta: { [CID_META_KEY]: cid } }) });
  // The control: the same call with its Mcp-Name in the Base64 form, which matches once decoded. A proxy
  // that compares the header undecoded refuses it; one that refuses everything shows nothing by refusing the rest.
  const controlCid = t.cid();
  const control = call(controlCid);
  const encoded = await t.raw('POST', Object.entries({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...client.headersFor(control), 'mcp-name': '=?base64?ZWNobw==?=' }), JSON.stringify(control), 10_000);
  const served = encoded.status === 200 && encoded.body.includes(controlCid) && !encoded.body.includes('"error"');
  seen.push(`Mcp-Name =?base64?ZWNobw==?= (echo) for a call of echo: ${encoded.status || encoded.outcome}`);
  if (!served) problems.push(`Mcp-Name =?base64?ZWNobw==?=, which is echo once decoded, for a call of echo: HTTP ${encoded.status || encoded.outcome} ${encoded.body.slice(0, 120)}, not the call's result (a Base64 header value must be decoded before it is compared)`);
  for (const c of cases) {
    const cid = t.cid();
    const body = call(cid);
    const headers: Array<[string, string]> = Object.entries({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...client.headersFor(body), ...c.headers }).filter(([k]) => k !== c.drop);
    const ex = await t.raw('POST', headers, JSON.stringify(body), 10_000);
    // Carried out: the upstream answered the call with a result (a 400 of its own is the upstream refusing it too).
    const { message } = await t.upstream.answerTo(cid, 'tools/call');
    const ran = message !== undefined && 'result' in message;
    seen.push(`${c.name}: ${ex.status || ex.outcome}`);
    if (ran) problems.push(`${c.name}: the upstream carried the call out (client got HTTP ${ex.status || ex.outcome})`);
    else {
      const why = refusalProblem(ex);
      if (why) problems.push(`${c.name}: ${why}`);
    }
  }
  const params = await paramHeaderCases(t, client);
  if (params) {
    problems.push(...params.problems);
    seen.push(...params.seen);
  }
  t.judgeProblems(MISMATCH, problems, {
    seen: { 'mismatched requests sent': cases.length, 'encoded matches sent': 1 },
    fail: 'a request whose headers disagree with its body was not refused, or one whose headers agree was',
    pass: `the encoded match was served; each mismatch was refused with 400, and none carried out${params ? '; the Mcp-Param headers of a marked tool were judged too' : ' (the upstream marks no tool parameter, so no Mcp-Param header was judged)'}: ${seen.join('; ')}`,
    expected: 'the encoded Mcp-Name served, and calls whose Mcp-Param headers agree with their arguments (Base64, capitals, null and absent parameters without a header); for each mismatch HTTP 400 (with HeaderMismatch -32020 when the answer is JSON-RPC), and the call never carried out upstream',
  });
});

scenario('A proxy MUST relay a request\'s log messages on that request\'s stream, and nowhere else', [LOGS], async (t: ScenarioContext) => {
  const cid = t.cid();
  // A subscription open meanwhile: a log message that leaks out of its request's stream would show here.
  const subscription = listen(t, t.client(), { toolsListChanged: true }, cid);
  await subscription.waitFor(1);
  const client = t.client();
  const logged = await client.callTool('log', {}, { cid, meta: { [META.logLevel]: 'warning' } });
  // A call that set no level, alongside: it must get no log message, its own or the other call's.
  const quietCid = t.cid();
  const quiet = await client.callTool('log', {}, { cid: quietCid });
  const sent = (await t.upstream.sent(cid)).map((r) => bodyJson(r) as Record<string, any> | undefined).filter((m) => m?.method === 'notifications/message');
  if (sent.length === 0) return t.block(LOGS, 'the upstream sent no log message for the call, so there is nothing relayed to judge', `the call answered ${JSON.stringify(logged.response ?? logged.exchange.status).slice(0, 200)}`);
  const problems: string[] = [];
  const messages = logged.exchange.events.filter((e) => e.json).map((e) => e.json as Record<string, any>);
  const logs = messages.filter((m) => m.method === 'notifications/message');
  const responseAt = messages.findIndex((m) => m.id !== undefined && ('result' in m || 'error' in m));
  const diff = diffJson(sent.map((m) => m!.params), logs.map((m) => m.params));
  if (logged.exchange.kind !== 'sse') problems.push(`the call that set a log level came back as ${logged.exchange.kind} (HTTP ${logged.exchange.status}), not as a stream carrying its ${sent.length} log messages`);
  else if (diff.length) problems.push(`the call's stream did not carry the ${sent.length} log messages the upstream sent (${diff.join('; ')})`);
  if (responseAt >= 0 && messages.slice(responseAt + 1).some((m) => m.method === 'notifications/message')) problems.push('log messages came after the call\'s response');
  if (responseAt < 0) problems.push('the call that set a log level got no response');
  const leaked = subscription.messages().filter((m) => m.method === 'notifications/message');
  if (leaked.length) problems.push(`${leaked.length} log message(s) reached the subscriptions/listen stream`);
  const strays = [...quiet.exchange.events.filter((e) => e.json).map((e) => e.json as Record<string, any>), ...(quiet.response ? [quiet.response] : [])].filter((m) => m.method === 'notifications/message');
  if (strays.length) problems.push(`the call that set no log level got ${strays.length} log message(s)`);
  t.judgeProblems(LOGS, problems, {
    seen: { 'log messages sent upstream': sent.length, 'calls answered': [logged, quiet].filter((c) => c.response).length },
    fail: 'the request\'s log messages were not relayed on its own stream, or reached another',
    pass: `the ${sent.length} log messages the upstream sent reached the call's own stream before its response, and no other stream`,
    expected: 'every notifications/message the upstream sent for the call, on the call\'s stream, before its response; none on the subscription or on the call without a level',
  });
});
