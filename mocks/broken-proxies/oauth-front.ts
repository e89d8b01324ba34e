/**
 * The authorization front of an OAuth proxy, for the self-tests of the security best practices: the
 * pass-through proxy with it is the authorization server its MCP clients register with (RFC 7591),
 * asks its user's consent for each client on a page of its own, and sends the user on to a
 * third-party authorization server (the harness's) as one static client. What comes back to its
 * callback is checked against the state it keeps, exchanged, and answered with a code of its own at
 * the client's registered redirect URI. It stops there: it issues no token, and its MCP endpoint
 * relays as the pass-through does.
 *
 * With defect `none` it does all of that as the security best practices say; each `consent-*`,
 * `redirect-uri-*` and `state-*` defect breaks one protection.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Defect } from './defects.ts';

export interface OAuthFrontOptions {
  /** The third-party authorization server's issuer (its /auth and /token endpoints are used). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** This proxy's callback, as registered with the third party. */
  redirectUri: string;
}

interface Client {
  name: string;
  redirectUris: string[];
}
/** An authorization request from a client, as the proxy took it in. */
interface Flow {
  clientId: string;
  redirectUri: string;
  clientState: string | undefined;
  scope: string;
  /** Its state, once made (after consent; before it, with the defect that makes it early). */
  started?: Pending;
}
/** What the proxy keeps of one redirect to the third party, until its callback. */
interface Pending {
  state: string;
  verifier: string;
  flow: Flow;
  expires: number;
}
interface Session {
  /** The clients this user approved. */
  approved: Set<string>;
  /** Consent pages shown and not yet answered, by their CSRF token. */
  asked: Map<string, Flow>;
}

const SESSION_COOKIE = '__Host-proxyspec-session';
const STATE_COOKIE = '__Host-proxyspec-state';
const COOKIE_ATTRIBUTES = 'Path=/; Secure; HttpOnly; SameSite=Lax';
const STATE_TTL_MS = 10 * 60_000;
const PATHS = { metadata: '/.well-known/oauth-authorization-server', register: '/register', authorize: '/authorize', consent: '/consent' };

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const random = () => randomBytes(32).toString('base64url');

function cookiesOf(req: IncomingMessage): Map<string, string> {
  const jar = new Map<string, string>();
  for (const pair of String(req.headers.cookie ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return jar;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function page(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><body><p>${escape(text)}</p></body></html>`);
}

/** Dynamic client registration (RFC 7591): a name and redirect URIs, kept as they are. */
async function register(clients: Map<string, Client>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let meta: { client_name?: unknown; redirect_uris?: unknown };
  try {
    meta = JSON.parse(await bodyOf(req)) as typeof meta;
  } catch {
    return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client_metadata' }));
  }
  const uris = Array.isArray(meta.redirect_uris) ? meta.redirect_uris.filter((u): u is string => typeof u === 'string') : [];
  if (uris.length === 0) return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_redirect_uri' }));
  const id = random();
  clients.set(id, { name: typeof meta.client_name === 'string' ? meta.client_name : id, redirectUris: uris });
  res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: id, client_name: meta.client_name, redirect_uris: uris, token_endpoint_auth_method: 'none' }));
}

/** The third party's answer: the state must be the one this browser's cookie holds, once, in time. */
async function callback(options: OAuthFrontOptions, defect: Defect, pending: Map<string, Pending>, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const key = cookiesOf(req).get(STATE_COOKIE) ?? '';
  const record = pending.get(key);
  if (!record) return page(res, 400, 'no authorization is under way in this browser');
  if (defect !== 'state-unchecked' && (query.get('state') !== record.state || record.expires < Date.now())) return page(res, 400, 'state does not match');
  pending.delete(key);
  res.appendHeader('set-cookie', `${STATE_COOKIE}=; ${COOKIE_ATTRIBUTES}; Max-Age=0`);
  const basic = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64');
  const exchanged = await fetch(new URL('/token', options.issuer), {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: query.get('code') ?? '', redirect_uri: options.redirectUri, code_verifier: record.verifier }),
  }).catch(() => undefined);
  if (!exchanged?.ok) return page(res, 502, `the third party refused the code (${exchanged?.status ?? 'unreachable'})`);
  const back = new URL(record.flow.redirectUri);
  back.searchParams.set('code', random());
  if (record.flow.clientState !== undefined) back.searchParams.set('state', record.flow.clientState);
  res.writeHead(302, { location: back.href }).end();
}

/** The front: `handle` answers the requests that are its own and returns false for the rest (MCP). */
export function oauthFront(options: OAuthFrontOptions, defect: Defect) {
  const clients = new Map<string, Client>();
  const sessions = new Map<string, Session>();
  const pending = new Map<string, Pending>();
  const callbackPath = new URL(options.redirectUri).pathname;

  // The session cookie, which remembers consent: as the security best practices say, but for the defects.
  const sessionCookieName = defect === 'consent-cookie-plain' ? 'proxyspec-session' : SESSION_COOKIE;
  const sessionCookie = (value: string) =>
    defect === 'consent-cookie-plain' ? `${sessionCookieName}=${value}; Path=/` : defect === 'consent-without-csrf' ? `${sessionCookieName}=${value}; Path=/; Secure; HttpOnly; SameSite=None` : `${sessionCookieName}=${value}; ${COOKIE_ATTRIBUTES}`;
  const sessionId = (req: IncomingMessage) => cookiesOf(req).get(sessionCookieName);

  const sessionOf = (req: IncomingMessage, res: ServerResponse): Session => {
    const id = sessionId(req);
    const known = id === undefined ? undefined : sessions.get(id);
    if (known) return known;
    const fresh = random();
    const session: Session = { approved: new Set(), asked: new Map() };
    sessions.set(fresh, session);
    res.appendHeader('set-cookie', sessionCookie(fresh));
    return session;
  };

  const registeredUri = (client: Client, uri: string) => (defect === 'redirect-uri-prefix' ? client.redirectUris.some((r) => uri.startsWith(r)) : client.redirectUris.includes(uri));

  /** A flow's state and PKCE verifier, kept under the key its state cookie holds (with the defect, the state itself). */
  const start = (res: ServerResponse, flow: Flow): Pending => {
    const record = { state: random(), verifier: random(), flow, expires: Date.now() + STATE_TTL_MS };
    const key = defect === 'state-before-consent' ? record.state : random();
    pending.set(key, record);
    res.appendHeader('set-cookie', `${STATE_COOKIE}=${key}; ${COOKIE_ATTRIBUTES}`);
    return record;
  };

  /** On to the third party: the state is made and its cookie set now, after consent. */
  const toThirdParty = (res: ServerResponse, flow: Flow) => {
    const record = flow.started ?? start(res, flow);
    const url = new URL('/auth', options.issuer);
    const challenge = createHash('sha256').update(record.verifier).digest('base64url');
    for (const [k, v] of Object.entries({ client_id: options.clientId, response_type: 'code', redirect_uri: options.redirectUri, scope: 'openid', state: record.state, code_challenge: challenge, code_challenge_method: 'S256' })) url.searchParams.set(k, v);
    res.writeHead(302, { location: url.href }).end();
  };

  const consentPage = (res: ServerResponse, session: Session, flow: Flow) => {
    const csrf = random();
    session.asked.set(csrf, flow);
    const client = clients.get(flow.clientId)!;
    const framing = defect === 'consent-page-frameable' ? {} : { 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" };
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...framing });
    res.end(
      `<!doctype html><html><body><h1>Allow ${escape(client.name)} to use the third-party API?</h1>` +
        `<p>Scopes: ${escape(flow.scope || 'openid')}</p><p>Tokens go to ${escape(flow.redirectUri)}</p>` +
        `<form method="post" action="${PATHS.consent}"><input type="hidden" name="csrf" value="${csrf}">` +
        `<button name="decision" value="approve">Allow</button><button name="decision" value="deny">Deny</button></form></body></html>`,
    );
  };

  const authorize = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const client = clients.get(query.get('client_id') ?? '');
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!client) return page(res, 400, 'unknown client_id');
    if (!registeredUri(client, redirectUri)) return page(res, 400, 'redirect_uri is not the one registered for this client');
    if (query.get('response_type') !== 'code') return page(res, 400, 'response_type must be code');
    const flow: Flow = { clientId: query.get('client_id')!, redirectUri, clientState: query.get('state') ?? undefined, scope: query.get('scope') ?? '' };
    const session = sessionOf(req, res);
    if (defect === 'state-before-consent') flow.started = start(res, flow);
    const approved = defect === 'consent-per-user' ? session.approved.size > 0 : session.approved.has(flow.clientId);
    if (approved) return toThirdParty(res, flow);
    consentPage(res, session, flow);
  };

  const consent = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await bodyOf(req));
    const session = sessions.get(sessionId(req) ?? '');
    // Without the defect, only the token of a page this browser was shown; with it, any POST of the browser answers its latest page.
    const csrf = defect === 'consent-without-csrf' && !form.has('csrf') ? [...(session?.asked.keys() ?? [])].at(-1) : form.get('csrf');
    const flow = session?.asked.get(csrf ?? '');
    if (!session || !flow) return page(res, 403, 'this consent was not asked for in this browser');
    session.asked.delete(csrf!);
    if (form.get('decision') !== 'approve') {
      const back = new URL(flow.redirectUri);
      back.searchParams.set('error', 'access_denied');
      if (flow.clientState !== undefined) back.searchParams.set('state', flow.clientState);
      return void res.writeHead(302, { location: back.href }).end();
    }
    session.approved.add(flow.clientId);
    toThirdParty(res, flow);
  };

  return {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
      if (req.method === 'GET' && url.pathname === PATHS.metadata) {
        const metadata = { issuer: origin, authorization_endpoint: `${origin}${PATHS.authorize}`, registration_endpoint: `${origin}${PATHS.register}`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
      } else if (req.method === 'POST' && url.pathname === PATHS.register) await register(clients, req, res);
      else if (req.method === 'GET' && url.pathname === PATHS.authorize) authorize(req, res, url.searchParams);
      else if (req.method === 'POST' && url.pathname === PATHS.consent) await consent(req, res);
      else if (req.method === 'GET' && url.pathname === callbackPath) await callback(options, defect, pending, req, res, url.searchParams);
      else return false;
      return true;
    },
  };
}
