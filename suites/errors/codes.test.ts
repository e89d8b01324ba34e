/**
 * The codes a proxy gives its own JSON-RPC errors, under a revision that reserves part of the
 * implementation-defined range for itself (2026-07-28: -32020…-32099, and retired codes). Only errors
 * the proxy made are judged: a refusal before anything reached the upstream, or an upstream that reset
 * the connection.
 */
import { FAULT_META_KEY, describeCall, exchangeMessages, forbiddenErrorCode, scenario, type CallResult, type ScenarioContext } from '../../harness/src/index.ts';

const OWN_CODES = 'errors/own-codes-unreserved';

/** The error of the JSON-RPC error response an exchange carried, whatever its id (a refusal may say id null). */
function errorOf(call: CallResult): unknown {
  if (call.response && 'error' in call.response) return call.response.error;
  const message = exchangeMessages(call.exchange).find((m) => !!m && typeof m === 'object' && 'error' in m && !('method' in m)) as { error?: unknown } | undefined;
  return message?.error;
}

scenario('A proxy MUST NOT number its own errors in the range MCP reserves', [OWN_CODES], async (t: ScenarioContext) => {
  const made: Array<{ what: string; call: CallResult }> = [];
  const { authorization: _token, ...tokenless } = t.ctx.target.headers as Record<string, string>;
  // Refusals before the upstream: no token (where the proxy asks for one), a foreign Origin.
  if (t.ctx.target.auth) made.push({ what: 'no token', call: await t.client({ headers: tokenless }).initialize({ cid: t.cid() }) });
  made.push({ what: 'a foreign Origin', call: await t.client({ headers: { ...t.ctx.target.headers, origin: 'https://attacker.proxyspec.invalid' } }).initialize({ cid: t.cid() }) });
  // The upstream resets the connection of a call it received: whatever comes back is the proxy's.
  const client = await t.session();
  const cid = t.cid();
  const reset = await client.callTool('echo', { cid }, { cid, timeoutMs: 10_000, meta: { [FAULT_META_KEY]: 'reset' } });
  if ((await t.upstream.received(cid)).length > 0) made.push({ what: 'the upstream reset the connection', call: reset });
  // Only the answers that are JSON-RPC errors (a proxy that serves a foreign Origin made none; one may refuse with a bare
  // status). A refusal may carry id null, having refused before it read the request: its body is read whole.
  const codes = made.flatMap(({ what, call }) => {
    const error = errorOf(call);
    return error && typeof error === 'object' ? [{ what, code: (error as { code?: unknown }).code }] : [];
  });
  if (codes.length === 0) return t.block(OWN_CODES, 'the proxy made no JSON-RPC error of its own to judge (it refused nothing with a JSON-RPC body, and no reset upstream call came back as one)', made.map((m) => `${m.what}: ${describeCall(m.call)}`).join('; '));
  const problems = codes.flatMap(({ what, code }) => {
    const why = typeof code === 'number' ? forbiddenErrorCode(t.revision, code) : `the code ${JSON.stringify(code)} is not an integer`;
    return why ? [`${what}: ${why}`] : [];
  });
  t.judgeProblems(OWN_CODES, problems, {
    seen: { 'own JSON-RPC errors': codes.length },
    fail: 'the proxy numbers its own errors with codes MCP reserves',
    pass: `the proxy's own errors carry codes outside the reserved range: ${codes.map((c) => `${c.what}: ${c.code}`).join('; ')}`,
    expected: `no code in -32020…-32099 other than those ${t.revision} defines, and no retired code`,
  });
});
