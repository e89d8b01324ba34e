/**
 * A stateless request without a field that every request of its revision carries in `_meta` (the
 * protocol version, the client's capabilities) is malformed, and is refused with -32602 and HTTP 400:
 * by the proxy itself, or by the upstream whose refusal it relays. What it must not do is serve it.
 */
import { CID_META_KEY, META, describeCall, findResponse, scenario, type ScenarioContext } from '../../harness/src/index.ts';

const INCOMPLETE = 'errors/incomplete-request-rejected';

scenario('A proxy MUST refuse a stateless request whose _meta lacks a required field with 400 and -32602', [INCOMPLETE], async (t: ScenarioContext) => {
  const client = await t.session();
  const capabilities = { [META.clientCapabilities]: {} };
  const cases = [
    { lacks: META.protocolVersion, meta: { ...capabilities } },
    { lacks: META.clientCapabilities, meta: { [META.protocolVersion]: t.revision } },
  ];
  const problems: string[] = [];
  let answered = 0;
  for (const { lacks, meta } of cases) {
    const cid = t.cid();
    const id = `incomplete-${cid}`;
    const body = { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { cid }, _meta: { ...meta, [CID_META_KEY]: cid } } };
    const exchange = await client.post(body, { headers: { 'mcp-protocol-version': t.revision }, hostile: `_meta without ${lacks}` });
    if (exchange.outcome === 'answered') answered++;
    const response = findResponse(exchange, id);
    if (exchange.status !== 400) problems.push(`a tools/call whose _meta lacks ${lacks} got ${describeCall({ exchange, response })}, not HTTP 400`);
    else if ((response?.error as { code?: unknown } | undefined)?.code !== -32602) problems.push(`a tools/call whose _meta lacks ${lacks} got HTTP 400 with ${exchange.body.slice(0, 160)}, not a JSON-RPC error -32602 with its id`);
  }
  t.judgeProblems(INCOMPLETE, problems, {
    seen: { 'answer to an incomplete request': answered },
    fail: 'a request missing a required _meta field was not refused as malformed',
    pass: `tools/call without ${META.protocolVersion}, and without ${META.clientCapabilities}: each refused with HTTP 400 and -32602`,
    expected: 'for each: HTTP 400 and a JSON-RPC error -32602 with the request\'s id',
  });
});
