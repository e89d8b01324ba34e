/**
 * Failures keep their meaning across the proxy: tool errors stay results, HTTP statuses stay what the
 * upstream said, a broken upstream connection gets a prompt error with the request's id, malformed
 * input is refused without harm, and a dropped stream ends instead of hanging.
 */
import { FAULT_META_KEY, HTTP_STATUS_META_KEY, TargetFailure, answerView, bodyJson, bridgeSeen, diffJson, scenario, withoutId, type Exchange, type ScenarioContext } from '../../harness/src/index.ts';

const TOOL_ERROR = 'errors/tool-error-result-preserved';
const HTTP_STATUS = 'errors/http-status-preserved';
const UPSTREAM_FAILURE = 'errors/upstream-failure-attributable';
const MALFORMED = 'errors/malformed-json-rejected';
const SSE_DROP = 'errors/sse-drop-ends-stream';
const UPSTREAM_DOWN = 'errors/upstream-down-attributable';
const UPSTREAM_TIMEOUT = 'errors/upstream-timeout-attributable';
const GATEWAY_STATUS = 'errors/gateway-status';

/** What is wrong with a proxy's own error answer for request `id` (empty when it is right). */
function errorAnswerProblems(exchange: Exchange, response: Record<string, unknown> | undefined, id: string): string[] {
  if (exchange.outcome !== 'answered') return [`no answer (${exchange.outcome}): ${exchange.error ?? ''}`];
  // MCP asks for the error and its id, not for a status (a proxy that opened its stream with 200 can only send the error on it): the status is errors/gateway-status's.
  const problems: string[] = [];
  const error = response && 'error' in response ? (response.error as Record<string, unknown>) : undefined;
  if (!error) problems.push(`no JSON-RPC error with the request's id ${JSON.stringify(id)} (body ${JSON.stringify(exchange.body.slice(0, 160))})`);
  else if (!Number.isInteger(error.code) || typeof error.message !== 'string') problems.push(`the error lacks an integer code and a message: ${JSON.stringify(error)}`);
  return problems;
}

scenario('A proxy MUST relay an isError tool result unchanged', [TOOL_ERROR], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const { exchange, response } = await client.callTool('fail', { cid, text: `disk full — ${cid}` }, { cid });
  const { message: sent, request } = await t.upstream.answerTo(cid, 'tools/call');
  // Without the upstream's own answer there is nothing to compare with: blocked, not passed.
  if (!sent) return t.block(TOOL_ERROR, 'the call never reached the upstream, so there is no tool result to compare', `client got HTTP ${exchange.status || exchange.outcome}`);
  const problems: string[] = [];
  if (!response) problems.push(`no response (HTTP ${exchange.status || exchange.outcome})`);
  else if ('error' in response) problems.push(`the tool result became a JSON-RPC error: ${JSON.stringify(response.error).slice(0, 160)}`);
  else {
    const isError = (response.result as Record<string, unknown> | undefined)?.isError;
    if (isError !== true) problems.push(`isError reached the client as ${JSON.stringify(isError)}, not true`);
    problems.push(...diffJson(withoutId(sent), withoutId(answerView(response, sent, bridgeSeen(t.ctx.target, t.revision, request)))));
  }
  t.judgeProblems(TOOL_ERROR, problems, {
    seen: { "upstream's tool result": 1 },
    fail: 'the isError result was altered',
    pass: 'the isError result reached the client unchanged, isError: true included',
    expected: 'result { content, isError: true } exactly as the upstream sent it',
  });
});

scenario('A proxy MUST relay the upstream\'s HTTP error statuses', [HTTP_STATUS], async (t: ScenarioContext) => {
  const problems: string[] = [];
  let answered = 0;
  for (const status of [400, 404, 405, 406, 415]) {
    // A fresh session each time: after a 404 a proxy rightly forgets the session.
    const client = await t.session();
    const cid = t.cid();
    const { exchange } = await client.callTool('echo', { cid }, { cid, meta: { [HTTP_STATUS_META_KEY]: status } });
    const sent = (await t.upstream.answerTo(cid, 'tools/call')).answer;
    if (!sent || sent.status !== status) {
      problems.push(`the upstream never answered ${status}: the call did not reach it (client got HTTP ${exchange.status || exchange.outcome})`);
      continue;
    }
    answered++;
    if (exchange.status !== status) problems.push(`upstream ${status} reached the client as HTTP ${exchange.status}${exchange.error ? ` (${exchange.error})` : ''}`);
    else if (exchange.json === undefined) problems.push(`the upstream's JSON body for ${status} reached the client as ${exchange.headers['content-type'] ?? 'no content type'}: ${JSON.stringify(exchange.body.slice(0, 120))}`);
    else {
      const diffs = diffJson(bodyJson(sent), exchange.json);
      if (diffs.length) problems.push(`HTTP ${status} body altered: ${diffs.join('; ')}`);
    }
  }
  t.judgeProblems(HTTP_STATUS, problems, {
    seen: { 'upstream error answers': answered },
    fail: 'upstream HTTP statuses were not preserved',
    pass: 'upstream 400, 404, 405, 406 and 415 reached the client as sent',
    expected: 'the same status and body the upstream answered',
  });
});

scenario('A proxy MUST answer promptly, with the request id, when the upstream connection fails; it SHOULD say so with a gateway status', [UPSTREAM_FAILURE, GATEWAY_STATUS], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const id = `fail-${cid}`;
  const { exchange, response } = await client.callTool('echo', { cid }, { cid, id, timeoutMs: 10_000, meta: { [FAULT_META_KEY]: 'reset' } });
  // The mock resets the connection of the request it received: without one, no upstream connection failed.
  const reset = (await t.upstream.received(cid)).length;
  if (!reset) {
    const why = 'the call never reached the upstream, so no upstream connection failed';
    t.block(GATEWAY_STATUS, why, `client got HTTP ${exchange.status || exchange.outcome}`);
    return t.block(UPSTREAM_FAILURE, why, `client got HTTP ${exchange.status || exchange.outcome}`);
  }
  const problems = errorAnswerProblems(exchange, response, id);
  t.judgeProblems(UPSTREAM_FAILURE, problems, {
    seen: { 'call received upstream, then reset': reset },
    fail: problems[0] ?? 'the upstream failure was not reported properly',
    pass: `HTTP ${exchange.status} with a JSON-RPC error for id ${id}`,
    expected: 'within 10 s: a JSON-RPC error {"jsonrpc":"2.0","id":<the request id>,"error":{code, message}}, whatever the HTTP status',
  });

  // The status is proxyspec's gateway model (RFC 9110), not MCP's: judged only on an answer that came.
  if (exchange.outcome !== 'answered') return t.block(GATEWAY_STATUS, `the proxy gave no answer (${exchange.outcome}), so it has no status to judge`);
  const streamed = exchange.kind === 'sse';
  const gatewayProblems = exchange.status >= 500 ? [] : [`HTTP ${exchange.status}${streamed ? ': the proxy committed to success (an SSE stream) before it knew whether the upstream would answer' : ' for a request the upstream never answered'}`];
  t.judgeProblems(GATEWAY_STATUS, gatewayProblems, {
    seen: { 'answer to a call whose upstream connection was reset': 1 },
    fail: gatewayProblems[0] ?? '',
    pass: `HTTP ${exchange.status} for a call whose upstream connection was reset`,
    expected: 'a 5xx (502 Bad Gateway, 503 or 504) while the response has not started: a client, a balancer or a retry policy reading the status sees the failure',
  });
});

scenario('A proxy MUST answer promptly, with the request id, when the upstream is down', [UPSTREAM_DOWN], async (t: ScenarioContext) => {
  // Destructive: a copy of the target with an upstream of its own, which this scenario stops.
  const target = await t.isolatedTarget();
  const client = t.client({ url: target.url, headers: target.headers });
  const init = await client.initialize({ cid: t.cid() });
  if (!init.response || !('result' in init.response)) throw new TargetFailure('could not open a session through a fresh copy of the target', `HTTP ${init.exchange.status || init.exchange.outcome}`);
  await target.stopUpstream();
  const cid = t.cid();
  const id = `down-${cid}`;
  const { exchange, response } = await client.callTool('echo', { cid }, { cid, id, timeoutMs: 10_000 });
  const problems = errorAnswerProblems(exchange, response, id);
  t.judgeProblems(UPSTREAM_DOWN, problems, {
    seen: { 'call after the upstream stopped': 1 },
    fail: problems[0] ?? 'the proxy did not report the upstream being down properly',
    pass: `HTTP ${exchange.status} with a JSON-RPC error for id ${id}`,
    expected: 'within 10 s: a JSON-RPC error {"jsonrpc":"2.0","id":<the request id>,"error":{code, message}}, whatever the HTTP status',
  });
});

scenario('A proxy SHOULD time out an upstream that does not answer, with the request id', [UPSTREAM_TIMEOUT], async (t: ScenarioContext) => {
  const timeoutMs = t.hint(UPSTREAM_TIMEOUT, 'upstreamTimeoutMs');
  const client = await t.session();
  const cid = t.cid();
  const id = `timeout-${cid}`;
  // The upstream answers well after the proxy's timeout; the client waits a little longer than the proxy should.
  const { exchange, response } = await client.callTool('slow', { cid, ms: timeoutMs + 8000 }, { cid, id, timeoutMs: timeoutMs + 5000 });
  const reached = (await t.upstream.received(cid)).length;
  if (!reached) return t.block(UPSTREAM_TIMEOUT, 'the slow call never reached the upstream, so nothing was waited for', `client got HTTP ${exchange.status || exchange.outcome}`);
  const problems = errorAnswerProblems(exchange, response, id);
  t.judgeProblems(UPSTREAM_TIMEOUT, problems, {
    seen: { 'slow call received upstream': reached },
    fail: exchange.outcome === 'answered' ? `the answer after ${Math.round((exchange.endedAt ?? 0) - exchange.startedAt)} ms is no timeout error for the request: ${problems[0]}` : `no timeout error within ${timeoutMs} ms (+5 s grace): ${problems[0]}`,
    pass: `HTTP ${exchange.status} with a JSON-RPC error for id ${id} after ${Math.round((exchange.endedAt ?? 0) - exchange.startedAt)} ms`,
    expected: `within ${timeoutMs} ms (the profile's config.upstreamTimeoutMs) + 5 s: a JSON-RPC error for the request, whatever the HTTP status`,
  });
}, { timeoutMs: 90_000 });

scenario('A proxy MUST reject malformed JSON and keep serving', [MALFORMED], async (t: ScenarioContext) => {
  const client = await t.session();
  const problems: string[] = [];
  let answers = 0;
  for (const body of ['{"jsonrpc":"2.0","id":1,"method":', '{"jsonrpc":"2.0","id":2,"method":"ping"} trailing', '\u0000\u0001not json']) {
    const ex = await client.post(body, { hostile: 'malformed JSON' });
    const code = ((ex.json as Record<string, unknown> | undefined)?.error as Record<string, unknown> | undefined)?.code;
    if (ex.outcome === 'answered') answers++;
    if (!ex.status) problems.push(`${JSON.stringify(body.slice(0, 20))}: no answer (${ex.outcome}${ex.error ? `: ${ex.error}` : ''})`);
    else if (ex.status !== 400 && code !== -32700) problems.push(`${JSON.stringify(body.slice(0, 20))}: HTTP ${ex.status} without a -32700 parse error`);
  }
  const cid = t.cid();
  const after = await client.callTool('echo', { cid }, { cid });
  if (!after.response) problems.push(`afterwards a valid call got no answer (HTTP ${after.exchange.status})`);
  t.judgeProblems(MALFORMED, problems, {
    seen: { 'answers to malformed bodies': answers, 'answer to the valid call afterwards': after.response ? 1 : 0 },
    fail: 'malformed JSON was not handled',
    pass: 'malformed JSON got 400 or -32700 and the proxy kept serving',
    expected: 'HTTP 400 or a -32700 parse error, then normal service',
  });
});

scenario('A proxy MUST end the client\'s stream when the upstream drops it', [SSE_DROP], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const { exchange } = await client.callTool('echo', { cid }, { cid, timeoutMs: 8000, meta: { [FAULT_META_KEY]: 'drop-sse' } });
  const hung = exchange.outcome === 'timeout';
  const dropped = (await t.upstream.received(cid)).length;
  if (!dropped) return t.block(SSE_DROP, 'the call never reached the upstream, so no upstream stream was dropped', `client got HTTP ${exchange.status || exchange.outcome}`);
  const cid2 = t.cid();
  const after = await client.callTool('echo', { cid: cid2 }, { cid: cid2 });
  const problems: string[] = [];
  if (hung) problems.push('the client\'s stream stayed open for 8 s after the upstream dropped it');
  if (!after.response) problems.push(`afterwards a valid call got no answer (HTTP ${after.exchange.status})`);
  t.judgeProblems(SSE_DROP, problems, {
    seen: { 'call received upstream, its stream then dropped': dropped },
    fail: 'a dropped upstream stream was not passed on',
    pass: `the client's stream ended (${exchange.outcome}${exchange.error ? `: ${exchange.error}` : ''}) and service went on`,
    expected: 'the client stream ends promptly; the next call works',
  });
});
