/**
 * A proxy that runs its own authorization flow (it is the authorization server its MCP clients
 * register with, and sends its users on to a third party as one static client) is a confused deputy
 * waiting to happen: the security best practices name what it must do. The harness is the MCP
 * clients (registered dynamically), the user's browser, and the third party (its authorization
 * server, where the proxy is the `proxy` client). Each check starts from a browser of its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Browser, formsOf, scenario, textOf, throughAuthorizationServer, type Form, type ScenarioContext, type Visit } from '../../harness/src/index.ts';

const CONSENT = 'security/oauth-proxy-consent-per-client';
const REDIRECT = 'security/oauth-proxy-redirect-uri-exact';
const STATE = 'security/oauth-proxy-state-checked';

const FOREIGN_ORIGIN = 'https://attacker.proxyspec.invalid';
const APPROVE = /allow|approve|accept|authori[sz]e|consent|grant|yes|continue/i;

/** The consent form's button that approves: the one whose text or value says so, or its only one. */
const approveButton = (form: Form) => form.buttons.find((b) => APPROVE.test(b.text) || APPROVE.test(b.value)) ?? (form.buttons.length === 1 ? form.buttons[0] : undefined);

interface Registered {
  id: string;
  name: string;
  redirectUri: string;
}

/** What the proxy answered an authorization request (or a consent, or a callback) with. */
type Outcome =
  | { kind: 'consent'; visit: Visit; form: Form }
  | { kind: 'third-party'; visit: Visit; location: URL }
  | { kind: 'client'; visit: Visit; location: URL }
  | { kind: 'refused' | 'other'; visit: Visit };

const said = (o: Outcome) =>
  o.kind === 'consent' ? 'its consent page' : o.kind === 'third-party' ? `a redirect to the third party (${o.location.origin})` : o.kind === 'client' ? `a redirect to ${o.location.origin}${o.location.pathname}${o.location.searchParams.has('code') ? ' with a code' : ''}` : `HTTP ${o.visit.status}${o.visit.location ? ` to ${o.visit.location.href}` : ''}`;

async function json(res: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const doc = (await res.json()) as unknown;
    return doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The proxy as an authorization server: where it says it is (its protected resource metadata, else
 * its own origin), and its endpoints (RFC 8414 metadata, else OpenID discovery). Undefined, with
 * the checks blocked, when it publishes no authorization and registration endpoints.
 */
async function oauthProxy(t: ScenarioContext, id: string) {
  const get = t.recordingFetch();
  const mcp = new URL(t.ctx.target.url);
  const path = mcp.pathname === '/' ? '' : mcp.pathname;
  let issuer = new URL(mcp.origin);
  for (const url of [`${mcp.origin}/.well-known/oauth-protected-resource${path}`, `${mcp.origin}/.well-known/oauth-protected-resource`]) {
    const doc = await get(url).then(json, () => undefined);
    const servers = doc?.authorization_servers;
    if (Array.isArray(servers) && typeof servers[0] === 'string') {
      issuer = new URL(servers[0]);
      break;
    }
  }
  const issuerPath = issuer.pathname === '/' ? '' : issuer.pathname;
  let metadata: Record<string, unknown> | undefined;
  for (const url of [`${issuer.origin}/.well-known/oauth-authorization-server${issuerPath}`, `${issuer.origin}${issuerPath}/.well-known/openid-configuration`]) {
    metadata = await get(url).then((r) => (r.ok ? json(r) : undefined), () => undefined);
    if (metadata) break;
  }
  const authorize = typeof metadata?.authorization_endpoint === 'string' ? new URL(metadata.authorization_endpoint) : undefined;
  const registration = typeof metadata?.registration_endpoint === 'string' ? metadata.registration_endpoint : undefined;
  if (!authorize || !registration) {
    t.block(id, `the proxy claims oauth-proxy but published no authorization server metadata with an authorization_endpoint and a registration_endpoint (RFC 8414, at ${issuer.origin}/.well-known/oauth-authorization-server${issuerPath})`);
    return undefined;
  }
  const thirdParty = new URL(t.auth.issuer).origin;

  const register = async (label: string): Promise<Registered | undefined> => {
    const name = `proxyspec app ${label} ${t.cid()}`;
    // An HTTPS redirect URI, which MCP allows beside loopback ones: for a loopback one, OAuth 2.1 (after
    // RFC 8252) lets the port vary, so another port would prove nothing. The harness reads where the
    // proxy sends the browser and never goes there.
    const redirectUri = `https://client.proxyspec.invalid/${t.cids.at(-1)}/callback`;
    const res = await get(registration, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: name, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' }) }).catch(() => undefined);
    const doc = res?.ok ? await json(res) : undefined;
    return typeof doc?.client_id === 'string' ? { id: doc.client_id, name, redirectUri } : undefined;
  };

  const outcome = (visit: Visit, client: Registered, redirectUri = client.redirectUri): Outcome => {
    const location = visit.location;
    if (location?.origin === thirdParty) return { kind: 'third-party', visit, location };
    const back = new URL(redirectUri);
    if (location && location.origin === back.origin && location.pathname === back.pathname) return { kind: 'client', visit, location };
    const form = visit.status === 200 && !location ? formsOf(visit.body, visit.url).find((f) => f.method === 'post') : undefined;
    if (form) return { kind: 'consent', visit, form };
    return { kind: visit.status >= 400 ? 'refused' : 'other', visit };
  };

  /** An authorization request as an MCP client makes it (PKCE, the resource it wants, a state of its own). */
  const request = async (browser: Browser, client: Registered, redirectUri = client.redirectUri): Promise<Outcome> => {
    const url = new URL(authorize);
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.id, redirect_uri: redirectUri, state: `client-${t.cid()}`, code_challenge: challenge, code_challenge_method: 'S256', resource: t.ctx.target.url })) url.searchParams.set(k, v);
    return outcome(await browser.go(url), client, redirectUri);
  };

  /** The user approves the consent page: the form, with the button that says so. */
  const approve = async (browser: Browser, client: Registered, form: Form): Promise<Outcome> => {
    const fields = new URLSearchParams(form.fields);
    const button = approveButton(form);
    if (button?.name) fields.set(button.name, button.value);
    return outcome(await browser.go(form.action, { form: fields }), client);
  };

  return { register, request, approve, outcome, thirdParty, browser: () => new Browser(get), issuer: t.auth.issuer };
}

type OAuthProxy = NonNullable<Awaited<ReturnType<typeof oauthProxy>>>;

/** What each check starts from: the proxy found, its clients registered (one per label), a fresh browser; the check blocked when either fails. */
async function begin(t: ScenarioContext, id: string, labels: string[]) {
  const p = await oauthProxy(t, id);
  if (!p) return undefined;
  const clients: Registered[] = [];
  for (const label of labels) {
    const client = await p.register(label);
    if (!client) return void t.block(id, 'the proxy registered no client (RFC 7591: a JSON answer with a client_id)');
    clients.push(client);
  }
  return { p, clients, browser: p.browser() };
}

/** A browser's way to the third party for a client: consent asked and given, or remembered. */
async function toThirdParty(p: OAuthProxy, browser: Browser, client: Registered): Promise<{ before: Outcome[]; sent?: URL }> {
  const first = await p.request(browser, client);
  if (first.kind === 'third-party') return { before: [], sent: first.location };
  if (first.kind !== 'consent') return { before: [first] };
  const approved = await p.approve(browser, client, first.form);
  return { before: [first], sent: approved.kind === 'third-party' ? approved.location : undefined };
}

scenario('An OAuth proxy MUST ask its user for each client, on a consent page that names it and resists framing and forgery', [CONSENT], async (t) => {
  const begun = await begin(t, CONSENT, ['A', 'B']);
  if (!begun) return;
  const { p, browser, clients: [a, b] } = begun;
  const problems: string[] = [];
  const first = await p.request(browser, a);
  if (first.kind !== 'consent') {
    if (first.kind === 'third-party' || first.kind === 'client') return t.judgeProblems(CONSENT, [`a new client's first authorization request got ${said(first)}, with no consent asked`], { seen: { 'authorization requests': 1 }, fail: 'the proxy skipped its own consent', pass: '', expected: 'the proxy\'s consent page for a client this user never approved' });
    return t.block(CONSENT, `the authorization request of a registered client got ${said(first)}: neither a consent page nor a redirect`);
  }
  const page = first.visit;
  const shown = textOf(page.body);
  if (!shown.includes(a.name)) problems.push(`the consent page does not name the client (${a.name})`);
  if (!shown.includes(a.redirectUri)) problems.push(`the consent page does not show the redirect URI tokens go to (${a.redirectUri})`);
  const frameOptions = page.headers.get('x-frame-options')?.trim().toUpperCase();
  const ancestors = /frame-ancestors\s+([^;]*)/i.exec(page.headers.get('content-security-policy') ?? '')?.[1].trim();
  if (frameOptions !== 'DENY' && !(ancestors && /^('none'|'self')$/i.test(ancestors))) problems.push(`the consent page can be framed (X-Frame-Options: ${frameOptions ?? 'absent'}, frame-ancestors: ${ancestors ?? 'absent'})`);
  // A forged approval, as another site's page would send it from the user's browser: the approve
  // button, none of the page's other fields (its token), a foreign Origin, and only the cookies a
  // browser sends on a cross-site POST (SameSite=None).
  const crossSite = browser.copy((_, c) => c.attributes.get('samesite')?.toLowerCase() === 'none');
  const origin = new URL(page.url).origin;
  const button = approveButton(first.form);
  const forged = p.outcome(await crossSite.go(first.form.action, { form: new URLSearchParams(button?.name ? { [button.name]: button.value } : {}), headers: { origin: FOREIGN_ORIGIN, 'sec-fetch-site': 'cross-site' } }), a);
  if (forged.kind === 'third-party' || forged.kind === 'client') problems.push(`a forged cross-site approval (the approve button without the page's other fields, Origin ${FOREIGN_ORIGIN}) got ${said(forged)}`);
  const approved = await p.approve(browser, a, first.form);
  if (approved.kind !== 'third-party') {
    const why = `approving the consent page got ${said(approved)}, not a redirect to the third party`;
    if (problems.length) return t.judgeProblems(CONSENT, [...problems, why], { seen: { 'consent pages': 1 }, fail: 'the proxy does not ask its user for each client as it must', pass: '', expected: "the proxy's consent page for each client not yet approved, before any redirect to the third party" });
    return t.block(CONSENT, `${why}, so nothing after it could be judged`);
  }
  // The third party now knows the user and the proxy's static client: the confused deputy's setting.
  await throughAuthorizationServer(browser, approved.location, p.issuer);
  problems.push(...(await consentCookies(p, browser, a, origin)));
  const other = await p.request(browser, b);
  if (other.kind === 'third-party' || other.kind === 'client') problems.push(`client B, which this user never approved, got ${said(other)} in the browser that approved client A: consent is not per client`);
  else if (other.kind !== 'consent') problems.push(`client B's authorization request got ${said(other)}, not a consent page`);
  else if (!textOf(other.visit.body).includes(b.name)) problems.push(`client B's consent page does not name it (${b.name})`);
  t.judgeProblems(CONSENT, problems, {
    seen: { 'consent pages': other.kind === 'consent' ? 2 : 1 },
    fail: 'the proxy does not ask its user for each client as it must',
    pass: "each client got the proxy's own consent page, naming it and its redirect URI, not framable, not forgeable cross-site; approving one client did not approve another",
    expected: "the proxy's consent page for each client not yet approved, before any redirect to the third party",
  });
});

/**
 * Consent remembered in a cookie: the cookie without which the consent page comes back tracks
 * consent, and must be set as the security best practices say. Nothing is judged of a proxy that asks
 * every time, or keeps consent where no cookie shows it.
 */
async function consentCookies(p: OAuthProxy, browser: Browser, client: Registered, origin: string): Promise<string[]> {
  const again = await p.request(browser, client);
  if (again.kind !== 'third-party') return [];
  const problems: string[] = [];
  for (const cookie of [...(browser.held.get(origin)?.values() ?? [])]) {
    const without = await p.request(browser.copy((o, c) => o !== origin || c.name !== cookie.name), client);
    if (without.kind !== 'consent') continue;
    const missing = [
      !cookie.name.startsWith('__Host-') && 'the __Host- prefix',
      !cookie.attributes.has('secure') && 'Secure',
      !cookie.attributes.has('httponly') && 'HttpOnly',
      cookie.attributes.get('samesite')?.toLowerCase() !== 'lax' && 'SameSite=Lax',
    ].filter(Boolean);
    if (missing.length) problems.push(`the cookie that remembers consent (${cookie.name}) lacks ${missing.join(', ')}`);
  }
  return problems;
}

scenario('An OAuth proxy MUST take only the exact redirect URI a client registered', [REDIRECT], async (t) => {
  const begun = await begin(t, REDIRECT, ['C']);
  if (!begun) return;
  const { p, browser, clients: [client] } = begun;
  const exact = await p.request(browser, client);
  if (exact.kind !== 'consent' && exact.kind !== 'third-party') return t.block(REDIRECT, `the registered redirect URI itself got ${said(exact)}, so a refusal of the others would show nothing`);
  const registered = new URL(client.redirectUri);
  const variants = [`${client.redirectUri}/evil`, `${client.redirectUri}?next=evil`, `${client.redirectUri}/`, client.redirectUri.replace('/callback', '/CALLBACK'), `https://${registered.hostname}:8443${registered.pathname}`, `http://${registered.host}${registered.pathname}`];
  const problems: string[] = [];
  for (const variant of variants) {
    const o = await p.request(browser, client, variant);
    if (o.kind === 'consent' || o.kind === 'third-party' || o.kind === 'client') problems.push(`${variant} (registered: ${client.redirectUri}) got ${said(o)}`);
  }
  t.judgeProblems(REDIRECT, problems, {
    seen: { 'registered redirect URI served': 1, 'other redirect URIs refused': variants.length - problems.length },
    fail: 'the proxy took a redirect URI that is not exactly the registered one',
    pass: `the registered redirect URI was served and ${variants.length} near misses (a longer path, a query, a trailing slash, another case, another port, http for https) were refused`,
    expected: 'an error, with no consent page and no redirect, for every redirect_uri that is not the registered string',
  });
});

/** Whether a callback's answer sent the client a code: the proxy took the callback. */
const accepted = (o: Outcome) => o.kind === 'client' && o.location.searchParams.has('code');

scenario('An OAuth proxy MUST make its state after consent, and take a callback only with that state, in that browser, once', [STATE], async (t) => {
  const begun = await begin(t, STATE, ['S']);
  if (!begun) return;
  const { p, browser, clients: [client] } = begun;
  const problems: string[] = [];
  const first = await toThirdParty(p, browser, client);
  if (!first.sent) return t.block(STATE, `the authorization request never reached the third party (${first.before.map(said).join(', then ')})`);
  const state = first.sent.searchParams.get('state');
  if (!state) return t.judgeProblems(STATE, ['the proxy sent its user to the third party with no state'], { seen: { 'redirects to the third party': 1 }, fail: 'no state', pass: '', expected: 'a state of the proxy\'s own on the redirect to the third party' });
  for (const before of first.before) {
    const where = [...before.visit.cookies.filter((c) => c.raw.includes(state)).map((c) => `Set-Cookie ${c.name}`), ...(before.visit.body.includes(state) ? ['the page'] : [])];
    if (where.length) problems.push(`the state was already in the answer to the authorization request, before consent (${where.join(', ')})`);
  }
  const callback = await throughAuthorizationServer(browser, first.sent, p.issuer);
  const right = p.outcome(await browser.go(callback), client);
  if (!accepted(right)) return t.block(STATE, `the callback with the third party's code, its state and this browser's cookies got ${said(right)}, not the client's redirect with a code, so no refusal would show anything`);
  const replay = p.outcome(await browser.go(callback), client);
  if (accepted(replay)) problems.push('the same callback a second time was taken again: the state is not single-use');
  // A second flow for the tries that must fail: a state of its own, and a fresh code for it.
  const second = await toThirdParty(p, browser, client);
  const other = second.sent?.searchParams.get('state');
  if (!second.sent || !other) return t.block(STATE, 'a second authorization request did not reach the third party with a state');
  if (other === state) problems.push(`two authorization requests got the same state (${state})`);
  for (const s of [state, other]) if (s.startsWith('client-')) problems.push(`the state sent to the third party is the client's own (${s})`);
  const callback2 = await throughAuthorizationServer(browser, second.sent, p.issuer);
  const tamper = (set: (u: URL) => void) => {
    const u = new URL(callback2);
    set(u);
    return u;
  };
  const tries: Array<[string, () => Promise<Visit>]> = [
    ['without state', () => browser.go(tamper((u) => u.searchParams.delete('state')))],
    ['with another state', () => browser.go(tamper((u) => u.searchParams.set('state', randomBytes(24).toString('base64url'))))],
    ['from a browser without the cookies of the flow', () => p.browser().go(callback2)],
  ];
  for (const [what, visit] of tries) {
    const o = p.outcome(await visit(), client);
    if (accepted(o)) problems.push(`the callback ${what} was taken: ${said(o)}`);
  }
  t.judgeProblems(STATE, problems, {
    seen: { 'callbacks taken': 1, 'states seen': 2 },
    fail: 'the proxy does not keep and check its state as it must',
    pass: `the state first appeared on the redirect after consent, differed between flows, and the callback was taken once, with it and this browser's cookies, and refused ${tries.length + 1} other ways`,
    expected: 'a fresh state made after consent; a callback taken only with that state, in the browser that holds it, once',
  });
});
