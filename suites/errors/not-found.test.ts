/**
 * A method the server does not implement, under 2026-07-28: HTTP 404 with the JSON-RPC error -32601
 * and the request's id. Behind an HTTP upstream of that revision, the proxy relays the upstream's
 * answer; behind a stdio server, or a legacy one it bridges, the upstream says -32601 in a JSON-RPC
 * error alone, and the proxy must give it its status. A method 2026-07-28 removed (`ping`) is one
 * such method. What the upstream itself answered with a result is not judged: the proxy relayed it.
 */
import { describeCall, scenario, type ScenarioContext } from '../../harness/src/index.ts';

const NOT_FOUND = 'errors/unknown-method-404';
const METHOD_NOT_FOUND = -32601;

scenario('A proxy MUST answer a request for a method the server does not implement with 404 and -32601', [NOT_FOUND], async (t: ScenarioContext) => {
  const client = t.client();
  const problems: string[] = [];
  const seen: string[] = [];
  const skipped: string[] = [];
  for (const method of ['proxyspec/no-such-method', 'ping']) {
    const cid = t.cid();
    const id = `not-found-${cid}`;
    const call = await client.request(method, {}, { cid, id });
    const { message: upstream } = await t.upstream.answerTo(cid, method);
    if (upstream && 'result' in upstream) {
      skipped.push(`${method}: the upstream answered it with a result, which the proxy relayed`);
      continue;
    }
    const error = call.response && 'error' in call.response ? (call.response.error as { code?: unknown }) : undefined;
    seen.push(`${method}: ${describeCall(call)}`);
    if (call.exchange.status !== 404) problems.push(`${method}: HTTP ${call.exchange.status || call.exchange.outcome}, not 404`);
    if (!error) problems.push(`${method}: no JSON-RPC error with the request's id`);
    else if (error.code !== METHOD_NOT_FOUND) problems.push(`${method}: error code ${JSON.stringify(error.code)}, not ${METHOD_NOT_FOUND}`);
  }
  if (seen.length === 0) return t.block(NOT_FOUND, 'the upstream implemented every method the check asks for, so there was no unknown method to answer', skipped.join('; '));
  const besides = skipped.length ? ` (${skipped.join('; ')})` : '';
  t.judgeProblems(NOT_FOUND, problems, {
    seen: { 'requests for unknown methods': seen.length },
    fail: `a request for a method the server does not implement was not answered with 404 and ${METHOD_NOT_FOUND}${besides}`,
    pass: `each request for a method the server does not implement got 404 with ${METHOD_NOT_FOUND} and its id: ${seen.join('; ')}${besides}`,
    expected: `HTTP 404 and a JSON-RPC error ${METHOD_NOT_FOUND} (Method not found) with the request's id`,
  });
});
