/**
 * The proxy's auth plugin. The authorization server's discovery document, JWKS and token endpoint are
 * answered in-process by msw (the proxy reaches them with fetch); the proxy and its upstream are real
 * servers on loopback ports, reached over real sockets.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { request as httpRequest } from 'node:http';
import { base64url, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { createTokenVerifier, parseConfig, TokenRejected } from '../src/index.ts';
import { recordBodyJson } from '../../wire/index.ts';
import { initializeMessage, post, startRig, type Rig } from './helpers.ts';

const ISSUER = 'https://issuer.proxyspec.test';
const JWKS_URI = `${ISSUER}/keys`;
const TOKEN_URL = `${ISSUER}/token`;
const AUDIENCE = 'http://127.0.0.1:1/mcp';

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

let published: Key[] = [];
let counts = { discovery: 0, jwks: 0, token: 0 };
let metadataPath: 'oauth' | 'openid' = 'oauth';
let jwksDown = false;

const server = setupServer(
  http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => {
    counts.discovery++;
    return metadataPath === 'oauth' ? HttpResponse.json({ issuer: ISSUER, jwks_uri: JWKS_URI, token_endpoint: TOKEN_URL }) : new HttpResponse(null, { status: 404 });
  }),
  http.get(`${ISSUER}/.well-known/openid-configuration`, () => {
    counts.discovery++;
    return HttpResponse.json({ issuer: ISSUER, jwks_uri: JWKS_URI, token_endpoint: TOKEN_URL });
  }),
  http.get(JWKS_URI, () => {
    counts.jwks++;
    return jwksDown ? HttpResponse.error() : HttpResponse.json({ keys: published.map((k) => k.jwk) });
  }),
  http.post(TOKEN_URL, async ({ request }) => {
    counts.token++;
    const form = new URLSearchParams(await request.text());
    const basic = Buffer.from((request.headers.get('authorization') ?? '').replace(/^Basic /, ''), 'base64').toString();
    if (basic !== 'proxy-client:proxy-secret' || form.get('grant_type') !== 'client_credentials') return HttpResponse.json({ error: 'invalid_client' }, { status: 401 });
    return HttpResponse.json({ access_token: `upstream-token-for-${form.get('resource')}`, token_type: 'Bearer', expires_in: 3600 });
  }),
);

let key: Key;
beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'bypass' });
  key = await newKey('k1');
});
afterEach(() => {
  published = [key];
  counts = { discovery: 0, jwks: 0, token: 0 };
  metadataPath = 'oauth';
  jwksDown = false;
});
afterAll(() => server.close());

const now = () => Math.floor(Date.now() / 1000);
const claims = (over: JWTPayload = {}): JWTPayload => ({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', scope: 'mcp:read', iat: now(), exp: now() + 300, ...over });
const sign = (payload: JWTPayload, signer: Key = key, header: Record<string, unknown> = {}) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: signer.kid, ...header }).sign(signer.privateKey);

const authConfig = (over: Record<string, unknown> = {}) =>
  parseConfig({ upstream: { url: 'http://127.0.0.1:1/mcp' }, auth: { issuer: ISSUER, audience: AUDIENCE, jwksCooldownMs: 0, ...over } }).auth!;

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenRejected) return err.description;
    throw err;
  }
  throw new Error('the token was accepted');
}

describe('token verification', () => {
  test('finds the JWKS through RFC 8414 metadata and accepts a valid token as its subject and scopes', async () => {
    published = [key];
    const verify = createTokenVerifier(authConfig());
    const principal = await verify(await sign(claims({ scope: 'mcp:read mcp:write' })));
    expect(principal.subject).toBe('alice');
    expect([...principal.scopes]).toEqual(['mcp:read', 'mcp:write']);
    expect(counts.discovery).toBe(1);
  });

  test('falls back to OpenID discovery when there is no RFC 8414 metadata', async () => {
    metadataPath = 'openid';
    const principal = await createTokenVerifier(authConfig())(await sign(claims()));
    expect(principal.subject).toBe('alice');
    expect(counts.discovery).toBe(2);
  });

  test('a token seen before is not verified again (no JWKS fetch, same answer)', async () => {
    const verify = createTokenVerifier(authConfig({ jwksUri: JWKS_URI }));
    const token = await sign(claims());
    await verify(token);
    const fetched = counts.jwks;
    expect((await verify(token)).subject).toBe('alice');
    expect(counts.jwks).toBe(fetched);
  });

  test('expiry is checked with the configured clock tolerance', async () => {
    const verify = createTokenVerifier(authConfig({ jwksUri: JWKS_URI, clockToleranceSec: 5 }));
    expect((await verify(await sign(claims({ exp: now() - 2 })))).subject).toBe('alice');
    expect(await rejection(verify(await sign(claims({ exp: now() - 60 }))))).toBe('the token has expired');
    expect(await rejection(verify(await sign(claims({ nbf: now() + 60 }))))).toBe('the token is not valid yet');
  });

  test.each([
    ['another audience', () => sign(claims({ aud: 'https://elsewhere.test/mcp' })), 'the token is not for this resource'],
    ['no audience', () => sign({ ...claims(), aud: undefined }), 'the token is not for this resource'],
    ['another issuer', () => sign(claims({ iss: 'https://evil.test' })), 'the token is from another issuer'],
    ['no subject', () => sign({ ...claims(), sub: undefined }), 'the token names no subject'],
    ['no expiry', () => sign({ ...claims(), exp: undefined }), "the token's exp claim is not acceptable"],
    ['alg none', async () => `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${base64url.encode(JSON.stringify(claims()))}.`, 'the token is malformed'],
    ['a key nobody published', async () => sign(claims(), await newKey('k1')), 'the token signature does not verify'],
    ['an unknown kid', async () => sign(claims(), await newKey('k-unknown')), 'the token is signed with a key the issuer does not publish'],
    ['too large', () => sign(claims({ pad: 'x'.repeat(9000) })), 'the token is too large'],
    [
      'HS256 keyed with the public key',
      async () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode(JSON.stringify(key.jwk))),
      'the token is signed with an algorithm this resource does not accept',
    ],
  ])('refuses a token with %s', async (_name, make, reason) => {
    published = [key];
    const verify = createTokenVerifier(authConfig({ jwksUri: JWKS_URI }));
    expect(await rejection(verify(await make()))).toBe(reason);
  });

  test('follows a key rotation: a token with a new kid makes it fetch the JWKS again', async () => {
    const verify = createTokenVerifier(authConfig({ jwksUri: JWKS_URI }));
    await verify(await sign(claims()));
    const rotated = await newKey('k2');
    published = [rotated, key];
    expect((await verify(await sign(claims({ sub: 'bob' }), rotated))).subject).toBe('bob');
    expect(counts.jwks).toBe(2);
  });

  test('a JWKS that cannot be fetched is not the token\'s fault: no TokenRejected', async () => {
    jwksDown = true;
    const verify = createTokenVerifier(authConfig({ jwksUri: JWKS_URI }));
    const outcome = await verify(await sign(claims())).catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(Error);
    expect(outcome).not.toBeInstanceOf(TokenRejected);
  });
});

describe('the proxy as a resource server', () => {
  let rig: Rig;
  const proxyUrl = () => new URL(rig.url);
  beforeAll(async () => {
    published = [key];
    rig = await startRig((upstreamUrl) => ({
      // The audience must be the proxy's own URL, which is known once it listens: use a fixed one.
      auth: { issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI, scopes: { required: ['mcp:read'], tools: { echo: ['mcp:write'] } } },
      upstream: { url: upstreamUrl, auth: { clientCredentials: { tokenUrl: TOKEN_URL, clientId: 'proxy-client', clientSecret: 'proxy-secret' } } },
      security: { allowedOrigins: ['https://app.example'] },
    }));
  });
  afterAll(async () => {
    await rig.close();
  });

  const bearer = async (over: JWTPayload = {}) => ({ authorization: `Bearer ${await sign(claims({ scope: 'mcp:read mcp:write', ...over }))}` });

  test('no token: 401 with a Bearer challenge naming the metadata and the scope, and a JSON-RPC body', async () => {
    const res = await post(rig.url, initializeMessage(7));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer resource_metadata="http://127.0.0.1:1/.well-known/oauth-protected-resource/mcp", scope="mcp:read"');
    expect(res.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -31040 } });
  });

  test('an invalid token: 401 with error="invalid_token" and a description', async () => {
    const res = await post(rig.url, initializeMessage(), await bearer({ aud: 'https://elsewhere.test' }));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token", error_description="the token is not for this resource"');
  });

  test('the protected resource metadata is served at the root and at the path-based well-known URL', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(new URL(path, proxyUrl()));
      expect(await res.json()).toEqual({ resource: AUDIENCE, authorization_servers: [ISSUER], scopes_supported: ['mcp:read', 'mcp:write'], bearer_methods_supported: ['header'] });
    }
  });

  test('a valid token opens a session; the upstream gets the proxy\'s own client-credentials token, fetched once', async () => {
    const headers = await bearer();
    const init = await post(rig.url, initializeMessage(), headers);
    expect(init.status).toBe(200);
    const sid = init.headers['mcp-session-id'] as string;
    const cid = 'psc_4444444444444444';
    expect((await post(rig.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { cid } } }, { ...headers, 'mcp-session-id': sid })).status).toBe(200);
    const [record] = rig.recorder.query({ cid, direction: 'in' });
    expect(record.headers?.authorization).toBe(`Bearer upstream-token-for-${rig.upstream.url}`);
    expect(recordBodyJson(record)).toBeDefined();
    expect(counts.token).toBe(1);
  });

  test('a call needing a scope the token lacks: 403 insufficient_scope naming every scope needed, not forwarded', async () => {
    const init = await post(rig.url, initializeMessage(), await bearer({ scope: 'mcp:read' }));
    const sid = init.headers['mcp-session-id'] as string;
    const cid = 'psc_5555555555555555';
    const res = await post(rig.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { cid } } }, { ...(await bearer({ scope: 'mcp:read' })), 'mcp-session-id': sid });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope", scope="mcp:read mcp:write"');
    expect(res.json).toMatchObject({ id: 3, error: { code: -31041 } });
    expect(rig.recorder.query({ cid })).toEqual([]);
  });

  test('a method or tool named like an object\'s own members (constructor, toString) needs only the required scope', async () => {
    const headers = await bearer({ scope: 'mcp:read' });
    const init = await post(rig.url, initializeMessage(), headers);
    const sid = init.headers['mcp-session-id'] as string;
    for (const [id, message] of [
      [5, { method: 'constructor' }],
      [6, { method: 'tools/call', params: { name: 'toString', arguments: {} } }],
      [7, { method: 'tools/call', params: { name: '__proto__', arguments: {} } }],
    ] as const) {
      const res = await post(rig.url, { jsonrpc: '2.0', id, ...message }, { ...headers, 'mcp-session-id': sid });
      // Relayed to the upstream, which answers for itself; never a proxy error from a scope lookup gone wrong.
      expect(res.status, JSON.stringify(message)).toBe(200);
      expect(res.json, JSON.stringify(message)).toMatchObject({ jsonrpc: '2.0', id });
    }
  });

  test('a session is refused (404) to another subject and still served to its owner', async () => {
    const alice = await bearer();
    const init = await post(rig.url, initializeMessage(), alice);
    const sid = init.headers['mcp-session-id'] as string;
    const ping = { jsonrpc: '2.0', id: 4, method: 'ping' };
    expect((await post(rig.url, ping, { ...(await bearer({ sub: 'mallory' })), 'mcp-session-id': sid })).status).toBe(404);
    expect((await post(rig.url, ping, { ...alice, 'mcp-session-id': sid })).status).toBe(200);
  });

  test('two Authorization headers and a token in the query string are malformed requests (400 invalid_request)', async () => {
    const token = (await bearer()).authorization;
    const status = (path: string, headers: string[]) =>
      new Promise<{ status: number; challenge: string }>((resolve, reject) => {
        const body = JSON.stringify(initializeMessage());
        const req = httpRequest({ host: '127.0.0.1', port: proxyUrl().port, path, method: 'POST', headers: ['host', proxyUrl().host, 'content-type', 'application/json', 'accept', 'application/json, text/event-stream', ...headers] }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: String(res.headers['www-authenticate']) }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const twice = await status('/mcp', ['authorization', token, 'authorization', 'Bearer forged']);
    expect(twice.status).toBe(400);
    expect(twice.challenge).toContain('error="invalid_request"');
    expect((await status(`/mcp?access_token=${token.slice(7)}`, [])).status).toBe(400);
  });

  test('a foreign Origin gets 403; an allowed one and none pass', async () => {
    const headers = await bearer();
    expect((await post(rig.url, initializeMessage(), { ...headers, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(rig.url, initializeMessage(), { ...headers, origin: 'https://app.example' })).status).toBe(200);
    expect((await post(rig.url, initializeMessage(), headers)).status).toBe(200);
  });

  test('a head over the header limit gets 431 with a JSON-RPC error body', async () => {
    const res = await post(rig.url, initializeMessage(), { ...(await bearer()), 'x-pad': 'a'.repeat(20_000) });
    expect(res.status).toBe(431);
    expect(res.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600, message: 'Request Header Fields Too Large' } });
  });
});
