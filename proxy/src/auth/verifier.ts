/**
 * Access-token validation as an OAuth 2.1 resource server (OAuth 2.1 §5.2, RFC 9068, RFC 8707): a JWT
 * signed by one of the issuer's published keys, with this proxy in `aud`, the exact `iss`, a live
 * `exp`/`nbf` (small clock tolerance) and a subject. Keys come from the issuer's JWKS (found through
 * its discovery document when not configured), cached and refetched when an unknown `kid` shows up,
 * which is how a key rotation is followed.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthConfig } from '../config/schema.ts';

/** Who a valid token speaks for. */
export interface Principal {
  /** `sub`, or `client_id` for a token with no user. Sessions are bound to it. */
  subject: string;
  scopes: ReadonlySet<string>;
  expiresAt: number;
}

/** Why a token was refused: the RFC 6750 error code and a short public description. */
export class TokenRejected extends Error {
  constructor(
    readonly error: 'invalid_token' | 'invalid_request',
    readonly description: string,
  ) {
    super(description);
  }
}

export type TokenVerifier = (token: string) => Promise<Principal>;

/** Most verified tokens remembered (oldest dropped first). */
const VERIFIED_CACHE_SIZE = 10_000;

const DISCOVERY_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/** The issuer's `jwks_uri` from its RFC 8414 metadata, or else its OpenID discovery document. */
export async function discoverJwksUri(issuer: string): Promise<string> {
  const base = new URL(issuer);
  const suffix = base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '');
  const problems: string[] = [];
  for (const path of DISCOVERY_PATHS) {
    // RFC 8414 inserts the well-known segment before an issuer's path; OpenID appends it. Try both.
    for (const url of new Set([`${base.origin}${path}${suffix}`, `${base.origin}${suffix}${path}`])) {
      try {
        const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
        if (!res.ok) {
          problems.push(`${url}: HTTP ${res.status}`);
          continue;
        }
        const doc = (await res.json()) as { issuer?: string; jwks_uri?: string };
        if (doc.issuer !== undefined && doc.issuer !== issuer) {
          problems.push(`${url}: issuer ${doc.issuer} is not ${issuer}`);
          continue;
        }
        if (typeof doc.jwks_uri === 'string') return doc.jwks_uri;
        problems.push(`${url}: no jwks_uri`);
      } catch (err) {
        problems.push(`${url}: ${(err as Error).message}`);
      }
    }
  }
  throw new Error(`cannot find the JWKS of ${issuer}: ${problems.join('; ')}`);
}

function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the token is not for this resource';
    if (err.claim === 'iss') return 'the token is from another issuer';
    if (err.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${err.claim} claim is not acceptable`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) return 'the token is signed with an algorithm this resource does not accept';
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) return 'the token is signed with a key the issuer does not publish';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  return 'the token is malformed';
}

export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  let finding: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    if (keys) return Promise.resolve(keys);
    finding ??= (async () => {
      const uri = config.jwksUri ?? (await discoverJwksUri(config.issuer));
      keys = createRemoteJWKSet(new URL(uri), { cacheMaxAge: config.jwksCacheMs, cooldownDuration: config.jwksCooldownMs, timeoutDuration: 5000 });
      return keys;
    })().finally(() => {
      finding = undefined;
    });
    return finding;
  };

  // A client sends the same token on every request: its verdict is kept until the token expires.
  const verified = new Map<string, Principal>();
  const remember = (token: string, principal: Principal) => {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, principal);
  };

  return async (token) => {
    const known = verified.get(token);
    if (known) {
      if (known.expiresAt - config.clockToleranceSec * 1000 > Date.now()) return known;
      verified.delete(token);
    }
    if (Buffer.byteLength(token) > config.maxTokenBytes) throw new TokenRejected('invalid_token', 'the token is too large');
    // A JWS in compact form: three base64url parts. Anything else is not worth a key lookup.
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) throw new TokenRejected('invalid_token', 'the token is malformed');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        clockTolerance: config.clockToleranceSec,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      // The issuer's keys could not be fetched: not the token's fault, so not a 401.
      if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) throw err;
      if (err instanceof joseErrors.JOSEError) throw new TokenRejected('invalid_token', describe(err));
      throw err;
    }
    const subject = typeof payload.sub === 'string' && payload.sub ? payload.sub : typeof payload.client_id === 'string' ? payload.client_id : undefined;
    if (!subject) throw new TokenRejected('invalid_token', 'the token names no subject');
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    const principal = { subject, scopes: new Set(scope.split(' ').filter(Boolean)), expiresAt: (payload.exp as number) * 1000 };
    remember(token, principal);
    return principal;
  };
}
