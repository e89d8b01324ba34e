/**
 * Failures keep their meaning across the proxy: tool errors stay results, HTTP statuses stay what the
 * upstream said, a broken upstream connection gets a prompt error with the request's id, malformed
 * input is refused without harm, and a dropped stream ends instead of hanging.
 */
import { FAULT_META_KEY, HTTP_STATUS_META_KEY, bodyJson, diffJson, scenario, withoutId, type ScenarioContext } from '../../harness/src/index.ts';

const TOOL_ERROR = 'errors/tool-error-result-preserved';
const HTTP_STATUS = 'errors/http-status-preserved';
const UPSTREAM_FAILURE = 'errors/upstream-failure-attributable';
const MALFORMED = 'errors/malformed-json-rejected';
const SSE_DROP = 'errors/sse-drop-ends-stream';

scenario('A proxy MUST relay an isError tool result unchanged', [TOOL_ERROR], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const { exchange, response } = await client.callTool('fail', { cid, text: `disk full — ${cid}` }, { cid });
  const sent = (await t.upstream.sent(cid)).map((r) => bodyJson(r) as Record<string, unknown> | undefined).find((m) => m && 'result' in m);
  const problems: string[] = [];
  if (!response) problems.push(`no response (HTTP ${exchange.status})`);
  else if ('error' in response) problems.push(`the tool result became a JSON-RPC error: ${JSON.stringify(response.error).slice(0, 160)}`);
  else if (sent) problems.push(...diffJson(withoutId(sent), withoutId(response)));
  t.judge(TOOL_ERROR, problems.length === 0, {
    message: problems.length ? 'the isError result was altered' : 'the isError result reached the client unchanged',
    expected: 'result { content, isError: true } exactly as the upstream sent it',
    observed: problems.join('; ') || undefined,
  });
});

scenario('A proxy MUST relay the upstream\'s HTTP error statuses', [HTTP_STATUS], async (t: ScenarioContext) => {
  const problems: string[] = [];
  for (const status of [400, 404, 405, 406, 415]) {
    // A fresh session each time: after a 404 a proxy rightly forgets the session.
    const client = await t.session();
    const cid = t.cid();
    const { exchange } = await client.callTool('echo', { cid }, { cid, meta: { [HTTP_STATUS_META_KEY]: status } });
    const sent = (await t.upstream.sent(cid)).find((r) => r.status === status);
    if (exchange.status !== status) problems.push(`upstream ${status} reached the client as HTTP ${exchange.status}${exchange.error ? ` (${exchange.error})` : ''}`);
    else if (sent && exchange.json !== undefined) {
      const diffs = diffJson(bodyJson(sent), exchange.json);
      if (diffs.length) problems.push(`HTTP ${status} body altered: ${diffs.join('; ')}`);
    }
  }
  t.judge(HTTP_STATUS, problems.length === 0, {
    message: problems.length ? 'upstream HTTP statuses were not preserved' : 'upstream 400, 404, 405, 406 and 415 reached the client as sent',
    expected: 'the same status and body the upstream answered',
    observed: problems.join('; ') || undefined,
  });
});

scenario('A proxy MUST answer promptly, with the request id, when the upstream connection fails', [UPSTREAM_FAILURE], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const id = `fail-${cid}`;
  const { exchange, response } = await client.callTool('echo', { cid }, { cid, id, timeoutMs: 10_000, meta: { [FAULT_META_KEY]: 'reset' } });
  const problems: string[] = [];
  if (exchange.error && !exchange.status) problems.push(`no answer: ${exchange.error}`);
  else {
    if (exchange.status < 500) problems.push(`HTTP ${exchange.status}, not a 5xx`);
    const error = response && 'error' in response ? (response.error as Record<string, unknown>) : undefined;
    if (!error) problems.push(`no JSON-RPC error with the request's id (body ${JSON.stringify(exchange.body.slice(0, 160))})`);
    else if (!Number.isInteger(error.code) || typeof error.message !== 'string') problems.push(`the error lacks an integer code and a message: ${JSON.stringify(error)}`);
  }
  t.judge(UPSTREAM_FAILURE, problems.length === 0, {
    message: problems.length ? 'the upstream failure was not reported properly' : `HTTP ${exchange.status} with a JSON-RPC error for id ${id}`,
    expected: 'within 10 s: HTTP 5xx, body {"jsonrpc":"2.0","id":<the request id>,"error":{code, message}}',
    observed: problems.join('; ') || undefined,
  });
});

scenario('A proxy MUST reject malformed JSON and keep serving', [MALFORMED], async (t: ScenarioContext) => {
  const client = await t.session();
  const problems: string[] = [];
  for (const body of ['{"jsonrpc":"2.0","id":1,"method":', '{"jsonrpc":"2.0","id":2,"method":"ping"} trailing', '\u0000\u0001not json']) {
    const ex = await client.post(body);
    const code = ((ex.json as Record<string, unknown> | undefined)?.error as Record<string, unknown> | undefined)?.code;
    if (ex.error && !ex.status) problems.push(`${JSON.stringify(body.slice(0, 20))}: no answer (${ex.error})`);
    else if (ex.status !== 400 && code !== -32700) problems.push(`${JSON.stringify(body.slice(0, 20))}: HTTP ${ex.status} without a -32700 parse error`);
  }
  const cid = t.cid();
  const after = await client.callTool('echo', { cid }, { cid });
  if (!after.response) problems.push(`afterwards a valid call got no answer (HTTP ${after.exchange.status})`);
  t.judge(MALFORMED, problems.length === 0, {
    message: problems.length ? 'malformed JSON was not handled' : 'malformed JSON got 400 or -32700 and the proxy kept serving',
    expected: 'HTTP 400 or a -32700 parse error, then normal service',
    observed: problems.join('; ') || undefined,
  });
});

scenario('A proxy MUST end the client\'s stream when the upstream drops it', [SSE_DROP], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const { exchange } = await client.callTool('echo', { cid }, { cid, timeoutMs: 8000, meta: { [FAULT_META_KEY]: 'drop-sse' } });
  const hung = (exchange.error ?? '').startsWith('no complete answer');
  const cid2 = t.cid();
  const after = await client.callTool('echo', { cid: cid2 }, { cid: cid2 });
  const problems: string[] = [];
  if (hung) problems.push('the client\'s stream stayed open for 8 s after the upstream dropped it');
  if (!after.response) problems.push(`afterwards a valid call got no answer (HTTP ${after.exchange.status})`);
  t.judge(SSE_DROP, problems.length === 0, {
    message: problems.length ? 'a dropped upstream stream was not passed on' : `the client's stream ended (${exchange.error ?? 'closed'}) and service went on`,
    expected: 'the client stream ends promptly; the next call works',
    observed: problems.join('; ') || undefined,
  });
});
