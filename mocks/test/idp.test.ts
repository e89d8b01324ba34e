/** The mock authorization server: discovery, JWT access tokens bound to a resource, key rotation. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startIdp, TOKEN_REQUESTS_PATH, type Idp, type TokenRequestRecord } from '../idp/index.ts';

const AUDIENCE = 'http://127.0.0.1:9/mcp';
const UPSTREAM = 'http://127.0.0.1:10/mcp';
let idp: Idp;

beforeAll(async () => {
  idp = await startIdp({ audience: AUDIENCE, otherResources: [UPSTREAM], accessTokenTtlSeconds: 120, proxyDefaultResource: UPSTREAM });
});
afterAll(async () => {
  await idp.close();
});

describe('mock authorization server', () => {
  test('discovery names the token endpoint and the JWKS', async () => {
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(idp.issuer);
    expect(meta.token_endpoint).toBe(idp.tokenEndpoint);
    expect(meta.jwks_uri).toBe(idp.jwksUri);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
  });

  test('client_credentials gives an RS256 JWT whose audience is the resource, verifiable with the JWKS', async () => {
    const token = await idp.token({ scope: 'mcp:read' });
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: AUDIENCE });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.scope).toBe('mcp:read');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
  });

  test('a token for another known resource carries that audience; an unknown resource is refused', async () => {
    const token = await idp.token({ client: 'proxy', resource: UPSTREAM });
    expect(decodeJwt(token).aud).toBe(UPSTREAM);
    expect(decodeJwt(token).client_id).toBe('proxyspec-proxy');
    await expect(idp.token({ resource: 'http://elsewhere.example/mcp' })).rejects.toThrow(/invalid_target/);
  });

  test('after a key rotation new tokens use the new key and the JWKS still publishes the old one', async () => {
    const before = decodeProtectedHeader(await idp.token()).kid;
    await idp.rotateKey();
    const after = decodeProtectedHeader(await idp.token()).kid;
    expect(after).not.toBe(before);
    const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Array<{ kid: string; d?: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([before, after]));
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });

  test("lists the target's token requests as sent: the resource it named, or none when the server defaulted it; the harness's own are left out", async () => {
    const ask = (body: Record<string, string>) =>
      fetch(idp.tokenEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${idp.clients.proxy.id}:${idp.clients.proxy.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...body }),
      });
    const before = idp.tokenRequests().length;
    await idp.token({ client: 'proxy', resource: UPSTREAM });
    expect(idp.tokenRequests()).toHaveLength(before);
    const named = await ask({ resource: UPSTREAM });
    expect(named.status).toBe(200);
    // Without a resource the proxy's client still gets a token for the upstream: only the record shows the omission.
    const unnamed = await ask({});
    expect(decodeJwt(((await unnamed.json()) as { access_token: string }).access_token).aud).toBe(UPSTREAM);
    const refused = await ask({ resource: 'http://elsewhere.example/mcp' });
    expect(refused.status).toBe(400);
    const listed = (await (await fetch(new URL(TOKEN_REQUESTS_PATH, idp.issuer))).json()) as TokenRequestRecord[];
    expect(listed.slice(before).map((r) => [r.clientId, r.grantType, r.resources, r.granted])).toEqual([
      ['proxyspec-proxy', 'client_credentials', [UPSTREAM], true],
      ['proxyspec-proxy', 'client_credentials', [], true],
      ['proxyspec-proxy', 'client_credentials', ['http://elsewhere.example/mcp'], false],
    ]);
  });
});
