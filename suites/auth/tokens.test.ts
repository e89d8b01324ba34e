/**
 * The proxy as an OAuth 2.1 resource server: how it challenges, which tokens it takes, and that the
 * client's token stays on the client's hop. Every refused request carries a correlation id, so that
 * "never reached the upstream" is read from the upstream's own records.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { hostileCases, issueToken, openingRequest, placesCarrying, scenario, tokenRequests, type Exchange, type ScenarioContext } from '../../harness/src/index.ts';

const CHALLENGE = 'auth/challenge-and-metadata';
const HOSTILE = 'auth/hostile-tokens-refused';
const AUDIENCE = 'auth/audience-bound';
const PASSTHROUGH = 'auth/no-token-passthrough';
const OWN_CREDENTIAL = 'auth/own-upstream-credential';
const SCOPES = 'auth/scope-enforced';
const TOKEN_RESOURCE = 'auth/upstream-token-resource';


const POST_HEADERS: Array<[string, string]> = [
  ['content-type', 'application/json'],
  ['accept', 'application/json, text/event-stream'],
];

/** RFC 6750 / RFC 9110 auth-param list of a Bearer challenge: `Bearer a="b", c="d"`. */
export function parseBearerChallenge(header: string | undefined): Record<string, string> | undefined {
  if (!header) return undefined;
  const match = /(?:^|,)\s*Bearer(?:\s+(.*))?$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const m of (match[1] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return params;
}

/** The same resource URI, ignoring a trailing slash and the case of scheme and host (RFC 8707 §2). */
function sameResource(a: string, b: string): boolean {
  try {
    const norm = (u: string) => {
      const url = new URL(u);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}${url.search}`;
    };
    return norm(a) === norm(b);
  } catch {
    return false;
  }
}

async function reachedUpstream(t: ScenarioContext, cid: string): Promise<boolean> {
  return (await t.upstream.received(cid)).length > 0;
}

scenario('A request without a token gets 401 and a challenge that leads to the protected resource metadata', [CHALLENGE], async (t) => {
  const cid = t.cid();
  const opening = openingRequest(t.revision, cid);
  const ex = await t.raw('POST', [...POST_HEADERS, ...opening.headers], opening.body, undefined, { bare: true });
  const problems: string[] = [];
  if (ex.status !== 401) problems.push(`answered HTTP ${ex.status || ex.error} without a token, not 401`);
  const challenge = parseBearerChallenge(ex.headers['www-authenticate']);
  if (!challenge) problems.push(`no Bearer challenge in WWW-Authenticate (got ${JSON.stringify(ex.headers['www-authenticate'] ?? null)})`);
  const metadataUrl = challenge?.resource_metadata;
  if (challenge && !metadataUrl) problems.push('the challenge has no resource_metadata parameter');
  if (metadataUrl) {
    const meta = await t.raw('GET', [['accept', 'application/json']], '', undefined, { bare: true, url: metadataUrl });
    const doc = meta.json as Record<string, unknown> | undefined;
    if (meta.status !== 200 || !doc || typeof doc !== 'object') problems.push(`the metadata at ${metadataUrl} answered HTTP ${meta.status || meta.error}, not a JSON document`);
    else {
      if (typeof doc.resource !== 'string' || !sameResource(doc.resource, t.auth.audience)) problems.push(`metadata resource is ${JSON.stringify(doc.resource)}, not this proxy's resource ${t.auth.audience}`);
      const servers = doc.authorization_servers;
      if (!Array.isArray(servers) || servers.length === 0) problems.push('metadata has no authorization_servers');
      else if (!servers.some((s) => typeof s === 'string' && sameResource(s, t.auth.issuer))) problems.push(`authorization_servers ${JSON.stringify(servers)} does not name the issuer ${t.auth.issuer}`);
      if (doc.scopes_supported !== undefined && !(Array.isArray(doc.scopes_supported) && doc.scopes_supported.every((s) => typeof s === 'string'))) problems.push('scopes_supported is not an array of strings');
    }
  }
  if (await reachedUpstream(t, cid)) problems.push('the request without a token reached the upstream');
  t.judgeProblems(CHALLENGE, problems, {
    seen: { 'answer without a token': ex.outcome === 'answered' ? 1 : 0 },
    pass: `401 with resource_metadata=${metadataUrl}; the metadata names this resource and the issuer`,
    fail: 'the proxy does not challenge as an OAuth 2.1 resource server should',
    expected: '401, WWW-Authenticate: Bearer resource_metadata="…", metadata with resource = this proxy and authorization_servers ∋ the issuer',
  });
});

scenario('Forged, expired, misdirected and malformed tokens are refused and never reach the upstream', [HOSTILE], async (t) => {
  const cases = await hostileCases(t.auth);
  const problems: string[] = [];
  const refused: string[] = [];
  for (const c of cases) {
    const cid = t.cid();
    const opening = openingRequest(t.revision, cid);
    const ex = await t.raw('POST', [...POST_HEADERS, ...opening.headers, ...c.headers], opening.body, undefined, { bare: true, query: c.query });
    // A connection the proxy closes on a huge head is a refusal too.
    const status = ex.status || (ex.error ? 0 : -1);
    const ok = c.refused.includes(status) || (status === 0 && c.refused.includes(431));
    if (!ok) problems.push(`${c.name}: HTTP ${ex.status || ex.error}`);
    if (await reachedUpstream(t, cid)) problems.push(`${c.name}: reached the upstream`);
    if (ok) refused.push(c.name);
  }
  t.judgeProblems(HOSTILE, problems, {
    seen: { 'hostile tokens tried': cases.length },
    pass: `all ${cases.length} hostile tokens refused, none forwarded: ${refused.join(', ')}`,
    fail: 'the proxy accepted or mishandled hostile tokens',
    expected: '401 (400 or 431 where noted) for every case, and no upstream traffic',
  });
});

scenario('Genuine tokens for another resource are refused', [AUDIENCE], async (t) => {
  const problems: string[] = [];
  const { FOREIGN_RESOURCE } = await import('../../mocks/idp/index.ts');
  const cases = [
    { name: 'a token for another MCP server', token: await issueToken(t.auth, { resource: FOREIGN_RESOURCE }) },
    { name: "a token for the proxy's own upstream", token: await issueToken(t.auth, { resource: t.auth.upstreamAudience, client: 'proxy' }) },
  ];
  for (const c of cases) {
    const cid = t.cid();
    const opening = openingRequest(t.revision, cid);
    const ex = await t.raw('POST', [...POST_HEADERS, ...opening.headers, ['authorization', `Bearer ${c.token}`]], opening.body, undefined, { bare: true });
    if (ex.status !== 401) problems.push(`${c.name}: HTTP ${ex.status || ex.error}, not 401`);
    if (await reachedUpstream(t, cid)) problems.push(`${c.name}: reached the upstream`);
  }
  t.judgeProblems(AUDIENCE, problems, {
    seen: { 'foreign tokens tried': cases.length },
    pass: 'tokens signed by the trusted issuer but for other resources were refused with 401',
    fail: 'the proxy accepts tokens that are not for it',
    expected: '401 for a token whose aud is not this proxy',
  });
});

scenario("A valid token is accepted, never forwarded, and the upstream sees the proxy's own credential", [PASSTHROUGH, OWN_CREDENTIAL], async (t) => {
  const cid = t.cid();
  const token = t.auth.token;
  const client = await t.session({ cid });
  const call = await client.callTool('echo', { cid }, { cid });
  const records = await t.upstream.received(cid);
  if (records.length === 0) {
    // Nothing to look for the token in: blocked, and the relay canary says whether the target relays at all.
    const observed = `the call with a valid token got HTTP ${call.exchange.status || call.exchange.outcome}; nothing carrying its correlation id reached the upstream`;
    t.block(PASSTHROUGH, 'nothing reached the upstream, so passthrough cannot be judged', observed);
    if (t.ctx.target.upstream === 'http') t.block(OWN_CREDENTIAL, 'nothing reached the upstream, so its credential cannot be judged', observed);
    return;
  }
  // Headers and body alike: the token pasted into an argument is passed through too.
  const leaks = placesCarrying(records, token);
  t.judge(PASSTHROUGH, leaks.length === 0, {
    seen: { 'upstream requests': records.length },
    message: leaks.length ? "the client's token reached the upstream" : `${records.length} upstream requests carried no trace of the client's token`,
    expected: "the client's token nowhere on the upstream leg",
    observed: leaks.join('; ') || undefined,
  });

  if (t.ctx.target.upstream !== 'http') return;
  const authorizations = [...new Set(records.map((r) => r.headers?.authorization).filter((v): v is string => typeof v === 'string'))];
  if (authorizations.length === 0) {
    return t.judge(OWN_CREDENTIAL, false, {
      seen: { 'upstream requests': records.length },
      message: 'the upstream received no credential at all (fine only for an upstream that needs none)',
      expected: 'Authorization: Bearer <token issued for the upstream>',
      observed: `no Authorization header on ${records.length} upstream requests`,
    });
  }
  const keys = createRemoteJWKSet(new URL(t.auth.jwksUri));
  const problems: string[] = [];
  for (const header of authorizations) {
    const own = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!own) {
      problems.push(`not a bearer token: ${header.slice(0, 20)}…`);
      continue;
    }
    if (own === token) {
      problems.push("it is the client's token");
      continue;
    }
    try {
      await jwtVerify(own, keys, { issuer: t.auth.issuer, audience: t.auth.upstreamAudience });
    } catch (err) {
      problems.push(`not a token for the upstream from the trusted issuer: ${(err as Error).message}`);
    }
  }
  t.judgeProblems(OWN_CREDENTIAL, problems, {
    seen: { 'upstream credentials': authorizations.length },
    pass: 'the upstream received a token issued to the proxy for the upstream',
    fail: "the upstream did not receive a credential of the proxy's own",
    expected: 'Authorization: Bearer <token with aud = the upstream>',
  });
});

/** Why a resource indicator is not a canonical MCP server URI (RFC 8707 §2, and the MCP authorization spec's lowercase scheme and host), or undefined. */
function notCanonical(resource: string): string | undefined {
  const head = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(resource);
  if (!head) return 'not an absolute URI';
  if (resource.includes('#')) return 'it has a fragment';
  if (head[1] !== head[1].toLowerCase() || head[2] !== head[2].toLowerCase()) return 'its scheme or host is not lowercase';
  return undefined;
}

scenario("A proxy's own token request names its upstream as the resource", [TOKEN_RESOURCE], async (t) => {
  // A call through the proxy: a proxy that fetches its upstream token when first needed has asked for it by now.
  const cid = t.cid();
  const client = await t.session({ cid });
  await client.callTool('echo', { cid }, { cid });
  if ((await t.upstream.received(cid)).length === 0) {
    return t.block(TOKEN_RESOURCE, 'nothing reached the upstream, so the proxy may not yet have needed its token', `no upstream record carries ${cid}`);
  }
  // The authorization server lists every token request but the harness's own: each is the target's.
  const requests = await tokenRequests(t.auth);
  if (requests.length === 0) {
    // Nothing seen to judge: whether the proxy should have a credential of its own is auth/own-upstream-credential's.
    return t.block(TOKEN_RESOURCE, 'the proxy asked the authorization server for no token (it calls its upstream with a credential it was given, or with none), so no token request could be judged', 'no token request from the target');
  }
  const upstream = t.auth.upstreamAudience;
  const problems = requests.flatMap((r, n) => {
    const which = `token request ${n + 1} (${r.grantType ?? 'no grant_type'})`;
    if (r.resources.length === 0) return [`${which} carried no resource parameter`];
    const wrong = r.resources.flatMap((resource) => {
      const why = notCanonical(resource);
      return why ? [`${which} named ${JSON.stringify(resource)}: ${why}`] : [];
    });
    if (!r.resources.some((resource) => sameResource(resource, upstream))) wrong.push(`${which} named ${r.resources.map((x) => JSON.stringify(x)).join(', ')}, not the upstream ${upstream}`);
    return wrong;
  });
  t.judgeProblems(TOKEN_RESOURCE, problems, {
    seen: { 'token requests': requests.length },
    pass: `all ${requests.length} of the proxy's token requests named resource=${upstream}`,
    fail: "the proxy asked for its upstream token without naming the upstream's canonical URI as the resource",
    expected: `resource=${upstream} (RFC 8707) in every token request, whether or not the server would default to it`,
  });
});

function describeCall(ex: Exchange): string {
  return `HTTP ${ex.status || ex.error} ${ex.headers['www-authenticate'] ?? ''}`.trim();
}

scenario('A call the token lacks a scope for gets 403 insufficient_scope and is not forwarded', [SCOPES], async (t) => {
  const hint = { ...t.hint(SCOPES, 'toolScope'), required: t.ctx.target.config.requiredScopes ?? [] };
  const problems: string[] = [];
  const narrow = await issueToken(t.auth, { scope: t.auth.scopes.filter((s) => s !== hint.scope).join(' ') });
  const client = await t.session();
  const cid = t.cid();
  const denied = await client.callTool(hint.tool, { cid }, { cid, headers: { authorization: `Bearer ${narrow}` } });
  const challenge = parseBearerChallenge(denied.exchange.headers['www-authenticate']);
  if (denied.exchange.status !== 403) problems.push(`without ${hint.scope}: ${describeCall(denied.exchange)}, not 403`);
  else if (challenge?.error !== 'insufficient_scope') problems.push(`403 without error="insufficient_scope" (${describeCall(denied.exchange)})`);
  else if (!(challenge.scope ?? '').split(' ').includes(hint.scope)) problems.push(`the challenge's scope "${challenge.scope ?? ''}" does not name ${hint.scope}`);
  if (await reachedUpstream(t, cid)) problems.push('the call without the scope reached the upstream');

  const cid2 = t.cid();
  const allowed = await client.callTool(hint.tool, { cid: cid2 }, { cid: cid2 });
  if (!allowed.response || !('result' in allowed.response)) problems.push(`with ${hint.scope}: ${describeCall(allowed.exchange)}, the call failed`);

  if (hint.required.length) {
    const opening = openingRequest(t.revision, t.cid());
    const bare = await t.raw('POST', [...POST_HEADERS, ...opening.headers], opening.body, undefined, { bare: true });
    const scope = parseBearerChallenge(bare.headers['www-authenticate'])?.scope ?? '';
    const missing = hint.required.filter((s) => !scope.split(' ').includes(s));
    if (missing.length) problems.push(`the 401 challenge's scope "${scope}" does not name ${missing.join(', ')}`);
  }
  t.judgeProblems(SCOPES, problems, {
    seen: { 'answer without the scope': denied.exchange.outcome === 'answered' ? 1 : 0, 'answer with it': allowed.exchange.outcome === 'answered' ? 1 : 0 },
    pass: `without ${hint.scope}: 403 insufficient_scope naming it, not forwarded; with it: served`,
    fail: 'the proxy does not enforce scopes as announced',
    expected: `403, WWW-Authenticate: Bearer error="insufficient_scope", scope="… ${hint.scope} …"`,
  });
});
