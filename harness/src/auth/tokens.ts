/**
 * Tokens for the auth checks: real ones from the mock authorization server's token endpoint, and
 * forged ones that differ from a real token in exactly one way (signed with the server's own key
 * unless the point is the signature), so that a refusal can only be for that one reason.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { base64url, importJWK, SignJWT, type JWTPayload } from 'jose';
import { HARNESS_TOKEN_HEADER, TOKEN_REQUESTS_PATH, type TokenRequestRecord } from '../../../mocks/idp/index.ts';
import type { TargetAuth } from '../context.ts';

export interface TokenRequest {
  client?: 'client' | 'other' | 'proxy';
  scope?: string;
  resource?: string;
}

/** A real access token, through client_credentials. */
export async function issueToken(auth: TargetAuth, { client = 'client', scope, resource }: TokenRequest = {}): Promise<string> {
  const who = auth.clients[client];
  const body = new URLSearchParams({ grant_type: 'client_credentials', resource: resource ?? auth.audience, scope: scope ?? auth.scopes.join(' ') });
  const res = await fetch(auth.tokenEndpoint, {
    method: 'POST',
    // Marked as the harness's, so that the authorization server lists only the target's own requests.
    headers: { authorization: `Basic ${Buffer.from(`${who.id}:${who.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', [HARNESS_TOKEN_HEADER]: '1' },
    body,
  });
  const json = (await res.json()) as { access_token?: string; error?: string };
  if (!res.ok || !json.access_token) throw new Error(`the mock authorization server refused a token: ${json.error ?? res.status}`);
  return json.access_token;
}

/** The token requests the target made of the mock authorization server so far (the harness's own left out), oldest first. */
export async function tokenRequests(auth: TargetAuth): Promise<TokenRequestRecord[]> {
  const res = await fetch(new URL(TOKEN_REQUESTS_PATH, auth.issuer));
  if (!res.ok) throw new Error(`the mock authorization server did not list its token requests: HTTP ${res.status}`);
  return (await res.json()) as TokenRequestRecord[];
}

/** The claims of a token the proxy would accept, valid from now for five minutes. */
export function validClaims(auth: TargetAuth, now = Math.floor(Date.now() / 1000)): JWTPayload {
  return {
    iss: auth.issuer,
    aud: auth.audience,
    sub: auth.clients.client.id,
    client_id: auth.clients.client.id,
    scope: auth.scopes.join(' '),
    iat: now,
    exp: now + 300,
    jti: randomBytes(12).toString('hex'),
  };
}

/** Signs claims with the authorization server's own current key (RS256, its kid), or the header given. */
export async function forge(auth: TargetAuth, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importJWK(auth.signingKey as never, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: String(auth.signingKey.kid), ...header }).sign(key);
}

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

export interface HostileCase {
  name: string;
  /** Headers that carry the hostile credential (replacing the run's token). */
  headers: Array<[string, string]>;
  /** Appended to the target URL (the token in the query string). */
  query?: string;
  /** Statuses that count as refusing it. */
  refused: number[];
}

const ATTACKER = 'https://attacker.proxyspec.invalid';

/** The hostile-token matrix: each case must be refused and never reach the upstream. */
export async function hostileCases(auth: TargetAuth): Promise<HostileCase[]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = validClaims(auth, now);
  const { aud: _aud, ...noAudience } = claims;
  const bearer = (token: string): Array<[string, string]> => [['authorization', `Bearer ${token}`]];
  const unauthorized = [401];

  const real = await issueToken(auth);
  const [h, p, s] = real.split('.');
  const tamperedPayload = { ...(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as JWTPayload), scope: `${auth.scopes.join(' ')} admin:everything`, sub: 'someone-else' };

  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const strangerKey = stranger.privateKey;
  const signWithStranger = (payload: JWTPayload, extra: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: String(auth.signingKey.kid), ...extra }).sign(strangerKey);

  // The classic key confusion: HS256 keyed with the bytes of the issuer's public RSA key.
  const publicPem = createPublicKey({ key: auth.signingKey as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const hmacConfused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: String(auth.signingKey.kid) }).sign(new Uint8Array(Buffer.from(publicPem)));

  const padding = 'x'.repeat(10_000);
  return [
    { name: 'expired', headers: bearer(await forge(auth, { ...claims, iat: now - 3600, exp: now - 600 })), refused: unauthorized },
    { name: 'not yet valid (nbf in 10 minutes)', headers: bearer(await forge(auth, { ...claims, nbf: now + 600 })), refused: unauthorized },
    { name: 'wrong issuer', headers: bearer(await forge(auth, { ...claims, iss: ATTACKER })), refused: unauthorized },
    { name: 'wrong audience', headers: bearer(await forge(auth, { ...claims, aud: `${ATTACKER}/mcp` })), refused: unauthorized },
    { name: 'no audience', headers: bearer(await forge(auth, noAudience)), refused: unauthorized },
    { name: 'alg none', headers: bearer(`${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims)}.`), refused: unauthorized },
    { name: 'HS256 keyed with the RSA public key', headers: bearer(hmacConfused), refused: unauthorized },
    { name: 'unknown kid', headers: bearer(await forge(auth, claims, { kid: `unknown-${randomBytes(6).toString('hex')}` })), refused: unauthorized },
    { name: 'signed by a key the issuer never published', headers: bearer(await signWithStranger(claims)), refused: unauthorized },
    { name: 'tampered payload', headers: bearer(`${h}.${encode(tamperedPayload)}.${s}`), refused: unauthorized },
    { name: 'malformed base64', headers: bearer(`${h}.${p.slice(0, 10)}!*%${p.slice(10)}.${s}`), refused: unauthorized },
    // A head this large may also be refused by the HTTP layer itself (431).
    { name: 'oversized (10 KB)', headers: bearer(await signWithStranger({ ...claims, padding })), refused: [400, 401, 431] },
    // RFC 6750 answers a malformed request 400 (invalid_request); a 401 refuses it as well.
    { name: 'valid token in the query string', headers: [], query: `access_token=${encodeURIComponent(real)}`, refused: [400, 401] },
    { name: 'two Authorization headers (valid first)', headers: [...bearer(real), ...bearer(await forge(auth, { ...claims, sub: 'someone-else' }))], refused: [400, 401] },
  ];
}
