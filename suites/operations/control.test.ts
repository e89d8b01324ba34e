/**
 * What a proxy decides and records on its own: a policy that denies a tool, the audit trail of every
 * request and refusal, and a shutdown that loses nothing it accepted.
 */
import { readFile } from 'node:fs/promises';
import { describeCall, forge, openingRequest, preciseNow, rawHttp, recordMethod, scenario, validClaims, waitUntil, type CallResult, type Exchange, type ScenarioContext } from '../../harness/src/index.ts';

const POLICY = 'operations/policy-denies-tool';
const AUDIT = 'operations/audit-trail';
const SHUTDOWN = 'operations/graceful-shutdown';

scenario('A proxy with a policy MUST refuse a denied tool on its body, not on a header, and leave it out of tools/list', [POLICY], async (t: ScenarioContext) => {
  const { deniedTool } = t.hint(POLICY, 'policy');
  const client = await t.session();
  const problems: string[] = [];
  // The denied tool, called plainly: the policy itself must refuse it (under 2026-07-28 its headers agree with its body).
  const plainCid = t.cid();
  const plain = await client.callTool(deniedTool, { cid: plainCid }, { cid: plainCid, id: `plain-${plainCid}` });
  const plainError = plain.response && 'error' in plain.response ? (plain.response.error as { code?: unknown; message?: unknown }) : undefined;
  if ((await t.upstream.received(plainCid)).some((r) => recordMethod(r) === 'tools/call')) problems.push(`a plain call of ${deniedTool} reached the upstream`);
  if (!plainError || !Number.isInteger(plainError.code) || typeof plainError.message !== 'string') problems.push(`a plain call of ${deniedTool} got ${describeCall(plain)}, not a JSON-RPC error with its id`);
  // The denied tool, with a header that names an allowed one (the 2026-07-28 Mcp-Name, which a client sets as it likes).
  const cid = t.cid();
  const id = `denied-${cid}`;
  const denied = await client.callTool(deniedTool, { cid }, { cid, id, headers: { 'mcp-name': 'echo' } });
  const reached = (await t.upstream.received(cid)).filter((r) => recordMethod(r) === 'tools/call').length;
  const error = denied.response && 'error' in denied.response ? (denied.response.error as { code?: unknown; message?: unknown }) : undefined;
  if (reached) problems.push(`the call of ${deniedTool} reached the upstream`);
  if (!error || !Number.isInteger(error.code) || typeof error.message !== 'string') problems.push(`the call of ${deniedTool} got ${describeCall(denied)}, not a JSON-RPC error with its id ${id}`);
  // An allowed tool, with a header that names the denied one. Session era: the body decides, the call is served.
  // Stateless era: Mcp-Name mirrors the body, so a proxy that reads the body must refuse the mismatch before it goes anywhere.
  const allowedCid = t.cid();
  const allowed = await client.callTool('echo', { cid: allowedCid }, { cid: allowedCid, headers: { 'mcp-name': deniedTool } });
  if (client.stateless) {
    const through = (await t.upstream.received(allowedCid)).filter((r) => recordMethod(r) === 'tools/call').length;
    if (through) problems.push(`a call of echo carrying the header Mcp-Name: ${deniedTool} reached the upstream: the mismatch was not refused`);
    if (allowed.exchange.status < 400 || allowed.exchange.status >= 500) problems.push(`a call of echo carrying the header Mcp-Name: ${deniedTool} got ${describeCall(allowed)}, not a 4xx refusal`);
  } else if (!allowed.response || !('result' in allowed.response)) {
    problems.push(`a call of echo carrying the header Mcp-Name: ${deniedTool} got ${describeCall(allowed)}: the decision followed the header, not the body`);
  }
  const listCid = t.cid();
  const list = await client.request('tools/list', {}, { cid: listCid });
  const tools = ((list.response?.result as { tools?: Array<{ name?: string }> } | undefined)?.tools ?? []).map((x) => x.name);
  if (!list.response || !('result' in list.response)) problems.push(`tools/list got ${describeCall(list)}`);
  else if (tools.includes(deniedTool)) problems.push(`tools/list still offers ${deniedTool}`);
  else if (!tools.includes('echo')) problems.push(`tools/list lost the allowed tools too (got ${tools.join(', ') || 'none'})`);
  t.judgeProblems(POLICY, problems, {
    seen: { 'denied calls answered': [plain, denied].filter((c) => c.exchange.outcome === 'answered').length, 'tools listed': tools.length },
    fail: 'the policy is not enforced as it must be',
    pass: `${deniedTool} was refused with error ${JSON.stringify(plainError?.code)} (${JSON.stringify(error?.code)} with a header naming echo) and never reached the upstream; echo with Mcp-Name: ${deniedTool} was ${client.stateless ? `refused (HTTP ${allowed.exchange.status}) before the upstream` : 'served: the body decides'}; tools/list offers ${tools.length} tools, ${deniedTool} not among them`,
    expected: `tools/call ${deniedTool} → JSON-RPC error with its id, nothing upstream; echo with Mcp-Name: ${deniedTool} → ${client.stateless ? 'a 4xx refusal, nothing upstream (the header disagrees with the body)' : 'served'}; tools/list without ${deniedTool}`,
  });
});

/** Every string and number in a JSON value, at any depth. */
function valuesOf(value: unknown, out: Array<string | number> = []): Array<string | number> {
  if (typeof value === 'string' || typeof value === 'number') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) valuesOf(v, out);
  return out;
}

/** Whether a value is a time within [from, to] (epoch ms or s, or a date string). */
function isTimeWithin(value: string | number, from: number, to: number): boolean {
  const ms = typeof value === 'number' ? (value > 1e12 ? value : value * 1000) : /\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : NaN;
  return ms >= from - 5000 && ms <= to + 5000;
}

scenario('A proxy with an audit trail MUST record every request and refusal, with no secret in it', [AUDIT], async (t: ScenarioContext) => {
  const template = t.hint(AUDIT, 'auditLog');
  // A copy of its own, so that every line of its trail is this scenario's.
  const target = await t.isolatedTarget();
  const file = template.replaceAll('{workdir}', target.workdir);
  const from = Date.now();
  const auth = target.auth;
  const subject = `proxyspec-audit-${from.toString(36)}`;
  const token = auth ? await forge(auth, { ...validClaims(auth), sub: subject, client_id: subject }) : undefined;
  const headers = token ? { ...target.headers, authorization: `Bearer ${token}` } : target.headers;
  const client = await t.session({ url: target.url, headers });
  const cid = t.cid();
  const call = await client.callTool('echo', { cid }, { cid });
  if (!call.response || !('result' in call.response)) return t.block(AUDIT, `the call to audit was not served (${describeCall(call)})`);
  // The session the call's line names; the stateless era has none to name.
  const session = client.sessionId;
  const opening = client.stateless ? 'server/discover' : 'initialize';

  // Refusals: no token, a foreign Origin, a denied tool; each one the target made counts.
  const refusals: Exchange[] = [];
  const { body, headers: era } = openingRequest(t.revision, t.cid());
  const json = [['content-type', 'application/json'], ['accept', 'application/json, text/event-stream'], ...era] as Array<[string, string]>;
  if (auth) refusals.push(await t.raw('POST', json, body, 10_000, { bare: true, url: target.url }));
  refusals.push(await t.raw('POST', [...Object.entries(headers), ...json, ['origin', 'https://attacker.example']], body, 10_000, { bare: true, url: target.url }));
  // Over the rate limit of its subject, where the profile names one: requests until the first 429.
  const rate = t.ctx.target.config.rateLimit;
  if (rate && auth && t.ctx.target.features.includes('rate-limit')) {
    const limited = `Bearer ${await forge(auth, { ...validClaims(auth), sub: rate.subject, client_id: rate.subject })}`;
    // A request that is counted by the limit and cheap (it opens nothing, not even a stdio process):
    // a ping without a session, or in the stateless era (which has no ping) server/discover.
    const cheap = client.stateless ? body : JSON.stringify({ jsonrpc: '2.0', id: 'over-the-limit', method: 'ping' });
    for (let i = 0; i <= rate.requests + 5; i++) {
      const ex = await t.raw('POST', [['authorization', limited], ...json], cheap, 10_000, { bare: true, url: target.url });
      if (ex.status === 429) {
        refusals.push(ex);
        break;
      }
    }
  }
  const policy = t.ctx.target.config.policy;
  let callsServed = 1;
  if (policy && t.ctx.target.features.includes('policy')) {
    const deniedCid = t.cid();
    const denied = await client.callTool(policy.deniedTool, { cid: deniedCid }, { cid: deniedCid });
    // Whether the policy held is policy-denies-tool's to judge; here, a served call is one more line to expect.
    if (denied.response && 'result' in denied.response) callsServed++;
    else refusals.push(denied.exchange);
  }
  const refused = refusals.filter((r) => r.outcome === 'answered' && [401, 403, 429].includes(r.status)).map((r) => r.status);
  const to = Date.now();

  // The trail is written as requests end: wait (bounded) until it holds a line for every request the copy answered.
  const answered = t.exchanges.filter((ex) => ex.url.startsWith(target.url) && ex.outcome === 'answered').length;
  const text = await waitUntil(() => readFile(file, 'utf8').catch(() => ''), (s) => s.split('\n').filter(Boolean).length >= answered, 5000);
  const lines = text.split('\n').filter(Boolean);
  const problems: string[] = [];
  if (lines.length === 0) return t.judge(AUDIT, false, { seen: {}, message: 'nothing was written to the audit trail', observed: `${file} is empty or missing after ${answered} requests`, expected: 'one JSON line per request' });
  const parsed: unknown[] = [];
  for (const line of lines) {
    try {
      parsed.push(JSON.parse(line));
    } catch {
      problems.push(`a line is not JSON: ${line.slice(0, 120)}`);
    }
  }
  const values = parsed.map((p) => valuesOf(p));
  const served = (v: Array<string | number>) => v.includes(200) || v.includes('200') || v.includes('ok');
  const ofCall = values.filter((v) => v.includes(subject) && v.includes('tools/call') && served(v));
  if (ofCall.length !== callsServed) problems.push(`${ofCall.length} lines name subject ${subject}, tools/call and a served outcome (200 or ok), not ${callsServed}`);
  else {
    const line = (session !== undefined && ofCall.find((v) => v.includes(session))) || ofCall[0];
    if (session !== undefined && !line.includes(session)) problems.push(`the call's line does not name its session ${session}`);
    if (!line.some((v) => isTimeWithin(v, from, to))) problems.push('the call\'s line holds no time of the call');
  }
  if (values.filter((v) => v.includes(subject) && v.includes(opening)).length !== 1) problems.push(`the ${opening} of subject ${subject} is not in the trail once`);
  for (const status of new Set(refused)) {
    const want = refused.filter((s) => s === status).length;
    const got = values.filter((v) => v.includes(status) || v.includes(String(status))).length;
    if (got < want) problems.push(`${want} refusals with HTTP ${status}, ${got} lines with that outcome`);
  }
  const secrets = [token, auth?.token, auth?.clients.proxy.secret, ...(token ? [token.split('.')[2]] : [])].filter((s): s is string => !!s && s.length > 8);
  if (secrets.some((s) => text.includes(s)) || /bearer\s+[\w-]+\.[\w-]+/i.test(text)) problems.push('the trail holds a bearer token or the proxy\'s client secret');
  t.judgeProblems(AUDIT, problems, {
    seen: { 'lines': lines.length, 'refusals made': refused.length },
    fail: 'the audit trail does not account for every request',
    pass: `${lines.length} JSON lines: the call with its time, ${session === undefined ? 'subject' : 'subject, session'} and outcome, its ${opening}, and ${refused.length} refusals (${refused.join(', ')}); no token or secret`,
    expected: 'one JSON line per request: time, subject, session, method, outcome; a line per 401/403/429 refusal; no credential',
  });
});

scenario('A proxy MUST finish requests in flight on SIGTERM, refuse new connections, and exit within its grace', [SHUTDOWN], async (t: ScenarioContext) => {
  const graceMs = t.hint(SHUTDOWN, 'shutdownGraceMs');
  const target = await t.isolatedTarget();
  if (!target.terminate) return t.untested(SHUTDOWN, 'the harness attaches to this target instead of starting it, so it cannot send it SIGTERM');
  const client = await t.session({ url: target.url, headers: target.headers });
  const cid = t.cid();
  const holdMs = Math.max(500, Math.floor(graceMs / 2));
  let settled = false;
  const inFlight = client.callTool('slow', { ms: holdMs, cid }, { cid, timeoutMs: graceMs + 10_000 }).finally(() => (settled = true));
  const arrived = await waitUntil(() => target.upstream.received(cid), (r) => r.length > 0, 10_000);
  if (arrived.length === 0) return t.block(SHUTDOWN, 'the call to keep in flight never reached the upstream');

  const signalledAt = preciseNow();
  let exitedAt: number | undefined;
  const exited = target.terminate().then(() => (exitedAt = preciseNow()));
  // New connections while the call is in flight: once refused, never accepted again.
  const attempts: Array<{ refused: boolean; what: string }> = [];
  const opening = openingRequest(t.revision, t.cid());
  while (!settled) {
    const ex = await rawHttp(target.url, 'POST', [...Object.entries(target.headers), ['content-type', 'application/json'], ['accept', 'application/json, text/event-stream'], ...opening.headers], opening.body, 2000);
    attempts.push({ refused: ex.outcome === 'refused' || ex.outcome === 'reset' || ex.status === 503, what: ex.outcome === 'answered' ? `HTTP ${ex.status}` : ex.outcome });
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = await inFlight;
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs + 5000))]);

  const problems: string[] = [];
  if (!result.response || !('result' in result.response)) problems.push(`the call in flight at SIGTERM got ${describeCall(result)}, not its result`);
  const firstRefused = attempts.findIndex((a) => a.refused);
  if (firstRefused < 0) problems.push(`all ${attempts.length} new connections while the call was in flight were served (${attempts.map((a) => a.what).join(', ')})`);
  else if (attempts.slice(firstRefused).some((a) => !a.refused)) problems.push(`a new connection was served after one had been refused (${attempts.map((a) => a.what).join(', ')})`);
  if (exitedAt === undefined) problems.push(`still running ${graceMs + 5000} ms after SIGTERM (grace ${graceMs} ms)`);
  else if (exitedAt - signalledAt > graceMs + 2000) problems.push(`exited ${Math.round(exitedAt - signalledAt)} ms after SIGTERM, over its grace of ${graceMs} ms`);
  t.judgeProblems(SHUTDOWN, problems, {
    seen: { 'call in flight at SIGTERM': 1, 'new connections tried': attempts.length },
    fail: 'the shutdown was not graceful',
    pass: `the call in flight got its result, new connections were refused (${attempts.filter((a) => a.refused).length} of ${attempts.length}), and the process exited ${exitedAt === undefined ? '' : Math.round(exitedAt - signalledAt)} ms after SIGTERM`,
    expected: `after SIGTERM: the call in flight answered, new connections refused (connection refused or 503), exit within ${graceMs} ms (+2 s)`,
  });
}, { timeoutMs: 60_000 });
