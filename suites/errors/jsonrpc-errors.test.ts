/** Upstream JSON-RPC errors reach the client with their code, message and data intact. */
import { answerView, bridgeSeen, diffJson, scenario, type ScenarioContext } from '../../harness/src/index.ts';
import { retiredWithoutReplacement } from '../../wire/index.ts';

const ERROR_PRESERVED = 'errors/jsonrpc-error-preserved';

const CASES = [
  { code: -32700, message: 'Parse error', data: { at: 17 } },
  { code: -32600, message: 'Invalid Request' },
  { code: -32601, message: 'Method not found: tools/teleport' },
  { code: -32602, message: 'Invalid params: "path" must be absolute', data: { field: 'path', got: 'relative/x' } },
  { code: -32603, message: 'Internal error', data: 'a string datum' },
  { code: -32002, message: 'Resource not found', data: { uri: 'file:///nowhere' } },
  // The legacy sub-range: codes older implementations gave meanings of their own (the TypeScript SDK's
  // request timeout and closed connection), which a receiver must not assume.
  { code: -32001, message: 'Request timed out, in the words of an older server' },
  { code: -32000, message: 'Connection closed, in the words of an older server', data: { retry: false } },
  // 2025-11-25's URLElicitationRequiredError: the elicitations to complete before a retry travel in its data.
  // 2026-07-28 retires it with nothing in its place, so there it is not sent (see the probes).
  { code: -32042, message: 'This request requires more information.', data: { elicitations: [{ mode: 'url', elicitationId: 'proxyspec-e1', url: 'https://auth.example/connect', message: 'Sign in to continue.' }] } },
  { code: 4242, message: 'Custom failure: quota ¼ used — ✋', data: { nested: { list: [1, 'two', null], ok: false } } },
  { code: -32099, message: 'Server error at the edge of the range', data: null },
];

/** A method no server implements: every upstream answers it with its own JSON-RPC error (-32601), scripted or not (an SDK server's tools cannot be). */
const NO_SUCH_METHOD = 'proxyspec/no-such-method';

scenario('A proxy MUST relay an upstream JSON-RPC error unchanged', [ERROR_PRESERVED], async (t: ScenarioContext) => {
  const client = await t.session();
  const problems: string[] = [];
  // Calls the upstream answered with something else (an SDK server makes a tool's thrown error an isError result): nothing to relay.
  const unsent: string[] = [];
  let fromUpstream = 0;
  const probes = [
    // A retired code with no replacement (-32042 in 2026-07-28) has no meaning there to keep: a bridge may rightly change it.
    ...CASES.filter((c) => !retiredWithoutReplacement(t.revision, c.code)).map((c, i) => ({ label: `code ${c.code}`, method: 'tools/call', send: (cid: string) => client.callTool('error', { cid, ...c }, { cid, sse: i % 2 === 1 }) })),
    { label: `an unknown method (${NO_SUCH_METHOD})`, method: NO_SUCH_METHOD, send: (cid: string) => client.request(NO_SUCH_METHOD, {}, { cid }) },
  ];
  for (const probe of probes) {
    const cid = t.cid();
    const { exchange, response } = await probe.send(cid);
    const { message: sent, request } = await t.upstream.answerTo(cid, probe.method);
    // Compared with what the upstream really sent; an error the upstream never sent has nothing to be relayed.
    if (!sent || !('error' in sent)) {
      unsent.push(`${probe.label}: ${sent ? 'the upstream answered with a result' : 'no answer from the upstream'} (client got HTTP ${exchange.status || exchange.outcome})`);
      continue;
    }
    fromUpstream++;
    if (!response) {
      problems.push(`${probe.label}: no response with the request's id (HTTP ${exchange.status}${exchange.error ? `, ${exchange.error}` : ''})`);
      continue;
    }
    if (!('error' in response)) {
      problems.push(`${probe.label}: the client got a result instead of the error`);
      continue;
    }
    // A bridge to a legacy upstream must send a 2026-07-28 client the code that replaces a retired one: that difference alone is no alteration.
    const diffs = diffJson(sent.error, (answerView(response, sent, bridgeSeen(t.ctx.target, t.revision, request)) as { error: unknown }).error, '$.error');
    if (diffs.length) problems.push(`${probe.label}: ${diffs.join('; ')}`);
  }
  if (fromUpstream === 0) return t.block(ERROR_PRESERVED, `the upstream sent a JSON-RPC error for none of the ${probes.length} requests, so no error was there to relay`, unsent.join(' | '));
  const besides = unsent.length ? ` (${unsent.length} more requests the upstream answered without an error, not judged)` : '';
  t.judge(ERROR_PRESERVED, problems.length === 0, {
    seen: { 'upstream errors': fromUpstream },
    message: problems.length ? `${problems.length} of ${fromUpstream} errors the upstream sent reached the client altered${besides}` : `all ${fromUpstream} errors the upstream sent reached the client unchanged${besides}`,
    expected: 'each error object exactly as the upstream sent it',
    observed: problems.join(' | ') || undefined,
  });
});
