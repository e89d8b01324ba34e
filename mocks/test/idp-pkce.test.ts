/**
 * The mock authorization server's authorization-code flow, as a browser-less client walks it: PKCE
 * (S256) is required, the development login and consent pages are posted, and the code is exchanged
 * for a JWT whose audience is the resource asked for.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { startIdp, type Idp } from '../idp/index.ts';

const AUDIENCE = 'http://127.0.0.1:9/mcp';
const REDIRECT = 'http://127.0.0.1/callback';
let idp: Idp;

beforeAll(async () => {
  idp = await startIdp({ audience: AUDIENCE });
});
afterAll(async () => {
  await idp.close();
});

/** A fetch that keeps cookies and does not follow redirects. */
function browser() {
  const jar = new Map<string, string>();
  return async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
}

function authorizeUrl(params: Record<string, string>): string {
  const url = new URL(`${idp.issuer}/auth`);
  for (const [k, v] of Object.entries({ client_id: idp.clients.client.id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid mcp:read', state: 'st4te', resource: AUDIENCE, ...params })) url.searchParams.set(k, v);
  return url.href;
}

/** Follows redirects inside the server, posting the development login and consent forms on the way. */
async function walk(go: ReturnType<typeof browser>, start: string): Promise<URL> {
  let res = await go(start);
  for (let step = 0; step < 12; step++) {
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, idp.issuer);
      if (next.href.startsWith(REDIRECT)) return next;
      res = await go(next.href);
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`stuck at HTTP ${res.status}: ${html.slice(0, 200)}`);
    const fields = new URLSearchParams();
    for (const [tag] of html.matchAll(/<(?:input|button)\b[^>]*>/g)) {
      const name = /\bname="([^"]+)"/.exec(tag)?.[1];
      if (name) fields.set(name, /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '');
    }
    if (fields.has('login')) fields.set('login', 'alice');
    if (fields.has('password')) fields.set('password', 'secret');
    res = await go(new URL(action, idp.issuer).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });
  }
  throw new Error('too many steps');
}

test('authorization code with PKCE S256 gives a JWT for the resource, to the user who logged in', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const callback = await walk(browser(), authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }));
  expect(callback.searchParams.get('state')).toBe('st4te');
  const code = callback.searchParams.get('code');
  expect(code).toBeTruthy();

  const exchange = (codeVerifier: string) =>
    fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${idp.clients.client.id}:${idp.clients.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: codeVerifier, resource: AUDIENCE }),
    });
  const wrong = await exchange(randomBytes(32).toString('base64url'));
  expect(wrong.status).toBe(400);
  expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');
});

test('the code is exchanged only with the right verifier, for a JWT whose aud is the resource and sub the user', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const callback = await walk(browser(), authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }));
  const res = await fetch(idp.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${idp.clients.client.id}:${idp.clients.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier, resource: AUDIENCE }),
  });
  const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  expect(json.error, json.error_description).toBeUndefined();
  const claims = decodeJwt(json.access_token!);
  expect(claims.aud).toBe(AUDIENCE);
  expect(claims.sub).toBe('alice');
  expect(claims.scope).toContain('mcp:read');
});

test('an authorization request without a code challenge is refused (PKCE is required)', async () => {
  const callback = await walk(browser(), authorizeUrl({}));
  expect(callback.searchParams.get('error')).toBe('invalid_request');
  expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
});
