/**
 * What an attacker can try without breaking a token: use someone else's session id, call from a
 * foreign web page, guess the next session id, read internals out of error bodies.
 */
import { TargetFailure, inPool, issueToken, openingRequest, scenario, type Exchange, type ScenarioContext } from '../../harness/src/index.ts';

const BOUND = 'security/session-bound-to-user';
const ORIGIN = 'security/foreign-origin-refused';
const ALLOWED_ORIGIN = 'security/allowed-origin-served';
const IDS = 'security/session-ids-unguessable';
const LEAKS = 'security/errors-leak-nothing';

const FOREIGN_ORIGIN = 'https://attacker.proxyspec.invalid';
const REFUSED = [401, 403, 404];

function status(ex: Exchange): string {
  return `HTTP ${ex.status || ex.error}`;
}

scenario("A session id presented with another user's token is refused and serves them nothing", [BOUND], async (t) => {
  const owner = await t.session();
  const sid = owner.sessionId!;
  const intruder = `Bearer ${await issueToken(t.auth, { client: 'other' })}`;
  const problems: string[] = [];

  const cid = t.cid();
  const call = await owner.callTool('echo', { cid }, { cid, headers: { authorization: intruder } });
  if (!REFUSED.includes(call.exchange.status)) problems.push(`tools/call on the owner's session: ${status(call.exchange)}`);
  if ((await t.upstream.received(cid)).length > 0) problems.push("the intruder's call reached the upstream");

  const session: Array<[string, string]> = [
    ['mcp-session-id', sid],
    ['mcp-protocol-version', owner.negotiatedVersion ?? t.revision],
    ['authorization', intruder],
  ];
  const get = await t.raw('GET', [['accept', 'text/event-stream'], ...session], '', 3000, { bare: true });
  if (!REFUSED.includes(get.status)) problems.push(`GET stream of the owner's session: ${status(get)}`);
  const del = await t.raw('DELETE', session, '', 5000, { bare: true });
  if (!REFUSED.includes(del.status)) problems.push(`DELETE of the owner's session: ${status(del)}`);

  const cid2 = t.cid();
  const after = await owner.callTool('echo', { cid: cid2 }, { cid: cid2 });
  if (!after.response || !('result' in after.response)) problems.push(`the owner's session no longer works after the intruder's attempts: ${status(after.exchange)}`);
  t.judgeProblems(BOUND, problems, {
    seen: { "answers to the intruder's requests": [call.exchange, get, del].filter((ex) => ex.outcome === 'answered').length },
    pass: "another user's token got 401/403/404 for POST, GET and DELETE on the session, and the owner's session still works",
    fail: 'a session can be used by a user who did not open it',
    expected: '401, 403 or 404 for every request of another subject, nothing forwarded',
  });
});

scenario('A request from a foreign Origin gets 403 and is not forwarded', [ORIGIN], async (t) => {
  const problems: string[] = [];
  const cid = t.cid();
  const opening = openingRequest(t.revision, cid);
  const first = opening.body.includes('"initialize"') ? 'initialize' : 'server/discover';
  const init = await t.raw(
    'POST',
    [
      ['content-type', 'application/json'],
      ['accept', 'application/json, text/event-stream'],
      ...opening.headers,
      ['origin', FOREIGN_ORIGIN],
    ],
    opening.body,
  );
  if (init.status !== 403) problems.push(`${first} from ${FOREIGN_ORIGIN}: ${status(init)}, not 403`);
  const client = await t.session();
  const cid2 = t.cid();
  const call = await client.callTool('echo', { cid: cid2 }, { cid: cid2, headers: { origin: FOREIGN_ORIGIN } });
  if (call.exchange.status !== 403) problems.push(`tools/call from ${FOREIGN_ORIGIN}: ${status(call.exchange)}, not 403`);
  for (const c of [cid, cid2]) if ((await t.upstream.received(c)).length > 0) problems.push(`the request ${c} from a foreign Origin reached the upstream`);
  t.judgeProblems(ORIGIN, problems, {
    seen: { 'answers to foreign-Origin requests': [init, call.exchange].filter((ex) => ex.outcome === 'answered').length },
    pass: `requests with Origin ${FOREIGN_ORIGIN} got 403 and went nowhere`,
    fail: 'the proxy serves requests from a foreign Origin',
    expected: '403 Forbidden for a present, invalid Origin',
  });
});

scenario('A request from a valid Origin is served', [ALLOWED_ORIGIN], async (t) => {
  // The proxy's own origin, as its clients reach it, unless the profile names the Origin it allows.
  const origin = t.ctx.target.config.allowedOrigin ?? new URL(t.ctx.target.url).origin;
  const problems: string[] = [];
  const cid = t.cid();
  const opening = openingRequest(t.revision, cid);
  const first = opening.body.includes('"initialize"') ? 'initialize' : 'server/discover';
  const open = await t.raw('POST', [['content-type', 'application/json'], ['accept', 'application/json, text/event-stream'], ...opening.headers, ['origin', origin]], opening.body);
  if (open.status < 200 || open.status >= 300) problems.push(`${first} from ${origin}: ${status(open)}`);
  const client = await t.session();
  const cid2 = t.cid();
  const call = await client.callTool('echo', { cid: cid2 }, { cid: cid2, headers: { origin } });
  if (!call.response || !('result' in call.response)) problems.push(`tools/call from ${origin}: ${status(call.exchange)}`);
  const reached = (await t.upstream.received(cid2)).length;
  if (call.response && 'result' in call.response && reached === 0) problems.push(`tools/call from ${origin} was answered without reaching the upstream`);
  t.judgeProblems(ALLOWED_ORIGIN, problems, {
    seen: { 'requests from the valid Origin answered': [open, call.exchange].filter((ex) => ex.outcome === 'answered').length },
    pass: `${first} and a tools/call with Origin ${origin} were served`,
    fail: `the proxy refuses requests from ${origin}, an Origin it should serve`,
    expected: `2xx and a result for requests with Origin ${origin}${t.ctx.target.config.allowedOrigin ? ' (config.allowedOrigin)' : ' (the target\'s own origin)'}`,
  });
});

/**
 * Entropy estimate of a set of ids: for each character position, the empirical Shannon entropy of the
 * characters seen there, summed. A counter or a timestamp scores a few bits; random ids score close to
 * their true entropy (a little under, for a finite sample).
 */
export function estimateEntropyBits(ids: string[]): number {
  const length = Math.min(...ids.map((id) => id.length));
  let bits = 0;
  for (let i = 0; i < length; i++) {
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id[i], (counts.get(id[i]) ?? 0) + 1);
    for (const n of counts.values()) bits -= (n / ids.length) * Math.log2(n / ids.length);
  }
  return bits;
}

scenario(
  'Session ids are unique and unguessable over many sessions',
  [IDS],
  async (t) => {
    // Every stdio session is a process: fewer of them say as much about the id generator (24 samples
    // still read about 100 bits of a random UUID and over 120 of 24 random bytes).
    const count = t.ctx.target.upstream === 'stdio' ? 24 : 1000;
    const bulk = t.bulk();
    const cid = t.cid();
    const sessions = await inPool(count, 10, () => bulk.open(cid));
    const ids = sessions.map((s) => s.id).filter((id): id is string => id !== undefined);
    await inPool(ids.length, 10, (i) => bulk.delete(ids[i]));
    if (ids.length < count) {
      const failed = sessions.find((s) => s.id === undefined);
      throw new TargetFailure(`only ${ids.length} of ${count} sessions opened (one failure: HTTP ${failed?.status} ${failed?.error ?? ''}), too few to judge the ids`);
    }
    const unique = new Set(ids).size;
    const shortest = Math.min(...ids.map((id) => id.length));
    const bits = estimateEntropyBits(ids);
    const problems: string[] = [];
    if (unique < ids.length) problems.push(`${ids.length - unique} repeated ids`);
    if (shortest < 16) problems.push(`ids as short as ${shortest} characters`);
    if (bits < 64) problems.push(`about ${bits.toFixed(0)} bits of entropy`);
    t.judgeProblems(IDS, problems, {
      seen: { 'session ids': ids.length },
      pass: `${ids.length} ids, all different, ${shortest}+ characters, about ${bits.toFixed(0)} bits of entropy (e.g. ${ids[0].slice(0, 8)}…)`,
      fail: 'session ids can be guessed',
      expected: 'unique ids with at least 64 bits of entropy',
    });
  },
  { timeoutMs: 90_000 },
);

/** What must never appear in an error a client can read. */
function leaksIn(ex: Exchange, secrets: Array<[string, string]>): string[] {
  const text = `${Object.values(ex.headers).join('\n')}\n${ex.body}`;
  const found: string[] = [];
  if (/\bat\s+(?:async\s+)?[\w$.<>[\] ]*\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/.test(text)) found.push('a stack trace');
  if (/node_modules|\/(?:home|root|usr|opt|srv|app|work|tmp)\/[^\s"']+\.(?:[cm]?js|ts)\b/.test(text)) found.push('a file path');
  for (const [what, secret] of secrets) if (secret && text.includes(secret)) found.push(what);
  return found;
}

scenario(
  'Errors the proxy answers leak no stack traces, tokens or internal addresses',
  [LEAKS],
  async (t: ScenarioContext) => {
    const isolated = await t.isolatedTarget();
    const upstreamHost = new URL(isolated.upstreamUrl).host;
    const runToken = /^Bearer\s+(\S+)/i.exec(isolated.headers.authorization ?? '')?.[1] ?? '';
    const bogus = `psc-secret-${Date.now().toString(36)}-do-not-echo`;
    const secrets: Array<[string, string]> = [
      ["the client's token", runToken],
      ['the presented token', bogus],
      ["the upstream's address", upstreamHost],
    ];
    const json: Array<[string, string]> = [
      ['content-type', 'application/json'],
      ['accept', 'application/json, text/event-stream'],
    ];
    const opening = openingRequest(t.revision, t.cid());
    const at = { url: isolated.url };
    const asClient = Object.entries(isolated.headers);
    // The era's own refusals: an unknown session in the session era; under 2026-07-28, which has none,
    // a request whose Mcp-Method header names another method than its body.
    const stateless = opening.headers.some(([name]) => name === 'mcp-method');
    const refusal: [string, Promise<Exchange>] = stateless
      ? ['headers that disagree with the body', t.raw('POST', [...asClient, ...json, ...opening.headers], opening.body.replace('"server/discover"', '"tools/list"'), 5000, { ...at, bare: true })]
      : ['an unknown session', t.raw('POST', [...asClient, ...json, ['mcp-session-id', 'psc-unknown-session'], ['mcp-protocol-version', t.revision]], '{"jsonrpc":"2.0","id":1,"method":"ping"}', 5000, { ...at, bare: true })];
    const cases: Array<[string, Promise<Exchange>]> = [
      ['a bogus token', t.raw('POST', [...json, ...opening.headers, ['authorization', `Bearer ${bogus}`]], opening.body, 5000, { ...at, bare: true })],
      refusal,
      ['malformed JSON', t.raw('POST', [...asClient, ...json], '{"jsonrpc": "2.0", "id": 1, "method": ', 5000, { ...at, bare: true, hostile: 'malformed JSON' })],
      ['a wrong content type', t.raw('POST', [...asClient, ['content-type', 'text/plain'], ['accept', 'application/json, text/event-stream']], 'hello', 5000, { ...at, bare: true, hostile: 'a body that is not JSON' })],
      ['PUT', t.raw('PUT', asClient, '', 5000, { ...at, bare: true })],
    ];
    const answered: Array<[string, Exchange]> = [];
    for (const [name, pending] of cases) answered.push([name, await pending]);

    // The upstream gone: the proxy's own 502/504 is where internal addresses usually slip out.
    const client = t.client({ url: isolated.url, headers: isolated.headers });
    await client.initialize({ cid: t.cid() });
    await isolated.stopUpstream();
    const down = await client.callTool('echo', {}, { cid: t.cid(), timeoutMs: 15_000 });
    answered.push(['the upstream down', down.exchange]);

    // Every answer is read, whatever its status: a stack trace in a 200 JSON-RPC error leaks as much as in a 502.
    const read = answered.filter(([, ex]) => ex.outcome === 'answered');
    const problems = read.flatMap(([name, ex]) => leaksIn(ex, secrets).map((what) => `${name} (HTTP ${ex.status}): ${what}`));
    t.judgeProblems(LEAKS, problems, {
      seen: { 'answers read': read.length },
      pass: `${read.length} answers (${answered.map(([n, ex]) => `${n}: ${ex.status || ex.error}`).join(', ')}) carried no stack trace, token or upstream address`,
      fail: 'error answers reveal internals',
      expected: 'short public error messages only',
    });
  },
  { timeoutMs: 60_000 },
);
