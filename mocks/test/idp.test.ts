/** The mock authorization server: discovery, JWT access tokens bound to a resource, key rotation. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startIdp, type Idp } from '../idp/index.ts';

const AUDIENCE = 'http://127.0.0.1:9/mcp';
const UPSTREAM = 'http://127.0.0.1:10/mcp';
let idp: Idp;

beforeAll(async () => {
  idp = await startIdp({ audience: AUDIENCE, otherResources: [UPSTREAM], accessTokenTtlSeconds: 120 });
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
});
