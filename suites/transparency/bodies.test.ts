/**
 * Message bodies cross the proxy unchanged in both directions: what reached the upstream is what the
 * client sent, and what the client got is what the upstream sent (ids aside: a proxy may renumber
 * them upstream, and the id check judges the client's side). In front of an upstream of the other
 * era, only what bridging the eras must change may differ (see record/bridge-view.ts).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { answerView, resultOf, bodyJson, bridgeSeen, diffJson, recordMethod, exchangeMessages, requestView, scenario, withoutId, type McpClient, type ScenarioContext, type UpstreamRecord } from '../../harness/src/index.ts';

const REQUEST_BODY = 'transparency/request-body-unchanged';
const RESPONSE_BODY = 'transparency/response-body-unchanged';

/** Arguments that a careless proxy tends to alter: unicode, escapes, numbers, nesting, empty values. */
function awkwardArguments(cid: string) {
  return {
    cid,
    text: 'emoji 🧪🚀, CJK 漢字かな, right-to-left שלום عربى, combining é, zero-width \u200b',
    escapes: 'quote " backslash \\ tab \t newline \n nul \u0000 bell \u0007 line-sep \u2028',
    numbers: { zero: 0, negative: -17, float: 3.141592653589793, exp: 1e21, small: 5e-324, max: 9007199254740991 },
    nested: { a: [1, [2, [3, { b: null }]]], empty: {}, list: [] },
    flags: [true, false, null],
    'x-unknown-member': { kept: 'unknown members must survive' },
  };
}

type Json = Record<string, any>;
const tokenOf = (m: unknown) => (m as Json | undefined)?.params?._meta?.progressToken;

/**
 * A request with its progress token left out, for a comparison where both copies have one: a proxy
 * may put a token of its own in place of the client's (one per upstream session, say) as long as it
 * maps the notifications back, which transparency/progress-streamed judges on what reaches the client.
 */
function withoutToken(m: unknown): unknown {
  const { progressToken: _token, ...meta } = (m as Json).params._meta as Json;
  return { ...(m as Json), params: { ...(m as Json).params, _meta: meta } };
}

function rpcRecords(records: UpstreamRecord[], method: string): unknown[] {
  return records
    .map((r) => bodyJson(r))
    .filter((m): m is Record<string, unknown> => !!m && typeof m === 'object' && (m as Record<string, unknown>).method === method);
}

scenario('A proxy MUST deliver each client message to the upstream unchanged', [REQUEST_BODY], async (t: ScenarioContext) => {
  const client = await t.session();
  const cid = t.cid();
  const params = {
    name: 'echo',
    arguments: awkwardArguments(cid),
    _meta: { progressToken: `tok-${cid}`, 'com.example/trace': { span: 'abc', sampled: true } },
    'x-extension': { note: 'an unknown member of params' },
  };
  // In the stateless era the body also carries the version and capabilities every request has.
  const sent = { jsonrpc: '2.0', id: `req-${cid}`, method: 'tools/call', params: client.requestParams({ ...params, _meta: { ...params._meta, 'io.proxyspec/cid': cid } }) };
  const exchange = await client.post(sent);
  const records = await t.upstream.received(cid);
  const received = rpcRecords(records, 'tools/call');
  if (received.length === 0) {
    return t.judge(REQUEST_BODY, false, {
      seen: { 'requests received upstream': 0 },
      message: 'the request never reached the upstream',
      expected: 'the upstream receives the tools/call the client sent',
      observed: `the client got HTTP ${exchange.status}${exchange.error ? ` (${exchange.error})` : ''}; nothing carrying the correlation id reached the upstream`,
    });
  }
  const bridge = bridgeSeen(t.ctx.target, t.revision, records.find((r) => recordMethod(r) === 'tools/call'));
  const mapped = tokenOf(sent) !== undefined && tokenOf(received[0]) !== undefined;
  const [ours, theirs] = mapped ? [withoutToken(sent), withoutToken(received[0])] : [sent, received[0]];
  const diffs = diffJson(requestView(withoutId(ours), bridge), requestView(withoutId(theirs), bridge));
  t.judge(REQUEST_BODY, diffs.length === 0 && received.length === 1, {
    seen: { 'requests received upstream': received.length },
    message: diffs.length ? 'the upstream received a different message than the client sent' : received.length > 1 ? `the upstream received the request ${received.length} times` : 'the upstream received exactly the message the client sent',
    expected: JSON.stringify(withoutId(sent)).slice(0, 500),
    observed: diffs.length ? diffs.join('; ') : `${received.length} copies`,
  });
});

/** The outputSchema the tool declares in the tools/list the client gets, if it declares one. */
async function outputSchemaOf(client: McpClient, tool: string, cid: string): Promise<Record<string, unknown> | undefined> {
  const listed = await client.request('tools/list', {}, { cid });
  const tools = resultOf(listed)?.tools as Array<{ name?: unknown; outputSchema?: unknown }> | undefined;
  const schema = tools?.find((x) => x.name === tool)?.outputSchema;
  return typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>) : undefined;
}

scenario('A proxy MUST deliver each upstream answer to the client unchanged', [RESPONSE_BODY], async (t: ScenarioContext) => {
  const client = await t.session();
  const problems: string[] = [];
  let compared = 0;
  // A tool that declares an outputSchema: its structured result must still conform once through the proxy.
  const outputSchema = await outputSchemaOf(client, 'echo', t.cid());
  const conforms = outputSchema && new Ajv2020({ strict: false, validateFormats: false }).compile(outputSchema);
  // Once answered as JSON, once as SSE: the body must survive both framings.
  for (const sse of [false, true]) {
    const cid = t.cid();
    const { exchange, response } = await client.callTool('echo', awkwardArguments(cid), { cid, sse });
    // The upstream's answer to this very call (its id in its session): a proxy may send requests of its own
    // that carry the client's _meta, correlation id included (a tools/list to learn the tools), whose answers are not this one.
    const { message: answer, request } = await t.upstream.answerTo(cid, 'tools/call');
    const upstreamSent = answer && 'result' in answer ? answer : undefined;
    const framing = sse ? 'SSE' : 'JSON';
    if (!upstreamSent) {
      problems.push(`${framing}: the upstream never answered (the request did not reach it; client got HTTP ${exchange.status})`);
      continue;
    }
    if (!response) {
      problems.push(`${framing}: the client got no response with its id (HTTP ${exchange.status}, ${exchangeMessages(exchange).length} messages)`);
      continue;
    }
    const diffs = diffJson(withoutId(upstreamSent), withoutId(answerView(response, upstreamSent, bridgeSeen(t.ctx.target, t.revision, request))));
    compared++;
    if (diffs.length) problems.push(`${framing}: ${diffs.join('; ')}`);
    const structured = (response.result as { structuredContent?: unknown } | undefined)?.structuredContent;
    if (conforms && !conforms(structured)) problems.push(`${framing}: the structured result ${structured === undefined ? 'is missing' : `breaks the tool's outputSchema (${conforms.errors?.[0]?.message ?? 'invalid'})`}, where echo declares one`);
  }
  t.judge(RESPONSE_BODY, problems.length === 0, {
    seen: { 'answers compared with the upstream\'s': compared },
    message: problems.length ? 'the client got a different answer than the upstream sent' : `the client got exactly what the upstream sent, as JSON and as SSE${conforms ? ', its structured result conforming to the tool\'s outputSchema' : ''}`,
    expected: 'the tools/call result as the upstream sent it',
    observed: problems.join(' | ') || undefined,
  });
});
