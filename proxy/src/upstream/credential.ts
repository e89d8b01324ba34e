/**
 * The proxy's own credential towards its upstream (the client's token is never forwarded): a static
 * bearer token, or an OAuth 2.1 client-credentials token fetched from the authorization server,
 * cached, and refreshed shortly before it expires (one fetch at a time, whatever the load).
 */
import type { HttpUpstreamConfig } from '../config/schema.ts';
import { WireErrors } from '../errors.ts';

/** The `authorization` header value for the next upstream request, or undefined for none. */
export type UpstreamCredential = () => Promise<string | undefined>;

/** Refresh this long before `expires_in` runs out. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * The form of the token request: client_credentials, for the upstream as the resource (RFC 8707;
 * the MCP authorization spec has clients send it whether or not the server announces support).
 */
export function tokenRequestBody(upstream: HttpUpstreamConfig): URLSearchParams {
  const grant = upstream.auth && 'clientCredentials' in upstream.auth ? upstream.auth.clientCredentials : undefined;
  const body = new URLSearchParams({ grant_type: 'client_credentials', resource: grant?.resource ?? upstream.url });
  if (grant?.scope) body.set('scope', grant.scope);
  return body;
}

export function createUpstreamCredential(upstream: HttpUpstreamConfig, requestBody: (upstream: HttpUpstreamConfig) => URLSearchParams = tokenRequestBody): UpstreamCredential {
  const auth = upstream.auth;
  if (!auth) return async () => undefined;
  if ('bearer' in auth) {
    const header = `Bearer ${auth.bearer}`;
    return async () => header;
  }
  const grant = auth.clientCredentials;
  let cached: { header: string; refreshAt: number } | undefined;
  let fetching: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const body = requestBody(upstream);
    const basic = Buffer.from(`${encodeURIComponent(grant.clientId)}:${encodeURIComponent(grant.clientSecret)}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(grant.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw WireErrors.upstreamUnavailable(`token endpoint unreachable: ${(err as Error).message}`);
    }
    const json = (await res.json().catch(() => ({}))) as { access_token?: string; token_type?: string; expires_in?: number; error?: string };
    if (!res.ok || typeof json.access_token !== 'string') throw WireErrors.upstreamUnavailable(`token endpoint refused: ${json.error ?? `HTTP ${res.status}`}`);
    const lifetimeMs = (typeof json.expires_in === 'number' ? json.expires_in : 300) * 1000;
    const header = `Bearer ${json.access_token}`;
    cached = { header, refreshAt: Date.now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return header;
  };

  return async () => {
    if (cached && Date.now() < cached.refreshAt) return cached.header;
    fetching ??= fetchToken().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };
}
