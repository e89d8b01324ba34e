/**
 * A request that needs a client capability the client did not declare, under 2026-07-28: a tool
 * call whose server would ask the client for a sampling, from a client that declared no sampling.
 * The server (or the proxy, when it bridges to a legacy server that would just send the request)
 * refuses it: HTTP 400 and -32021, naming the capability; it does not ask.
 */
import { META, describeCall, scenario, type ScenarioContext } from '../../harness/src/index.ts';

const MISSING = 'errors/missing-capability-refused';
const MISSING_CAPABILITY = -32021;

scenario('A proxy MUST refuse a request that needs a client capability the client did not declare with 400 and -32021', [MISSING], async (t: ScenarioContext) => {
  const client = t.client();
  const cid = t.cid();
  // The harness's client otherwise declares sampling: this request declares nothing.
  const call = await client.callTool('sample', { cid, prompt: 'Say hello' }, { cid, meta: { [META.clientCapabilities]: {} } });
  const response = call.response;
  const problems: string[] = [];
  if (!response) problems.push(`no answer with the request's id (${describeCall(call)})`);
  else if ('result' in response) {
    const result = response.result as { resultType?: unknown; inputRequests?: Record<string, { method?: unknown }> };
    const asked = Object.values(result.inputRequests ?? {}).map((r) => r.method);
    problems.push(asked.length ? `the client was asked for ${asked.join(', ')}, which it did not declare (resultType ${JSON.stringify(result.resultType)})` : `a result instead of a refusal (resultType ${JSON.stringify(result.resultType)})`);
  } else {
    const error = response.error as { code?: unknown };
    if (error.code !== MISSING_CAPABILITY) problems.push(`error code ${JSON.stringify(error.code)}, not ${MISSING_CAPABILITY}`);
  }
  if (call.exchange.status !== 400) problems.push(`HTTP ${call.exchange.status || call.exchange.outcome}, not 400`);
  t.judgeProblems(MISSING, problems, {
    seen: { 'requests without the capability': 1 },
    fail: 'a request that needs a capability the client did not declare was not refused with 400 and -32021',
    pass: `refused: ${describeCall(call)}`,
    expected: `HTTP 400 and a JSON-RPC error ${MISSING_CAPABILITY} naming the missing capability (sampling), with the request's id; no inputRequests`,
  });
});
