/**
 * The mock authorization server: a real oidc-provider instance on a loopback port. It issues JWT
 * access tokens (RS256) whose audience is the resource asked for (RFC 8707), through
 * client_credentials and authorization code with PKCE, with short lifetimes and rotating keys.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type ProviderType from 'oidc-provider';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface IdpOptions {
  port?: number;
  /** The protected resource (the proxy) tokens are normally for. */
  audience: string;
  /** Other resources tokens may be asked for (the upstream, a foreign resource for hostile tokens). */
  otherResources?: string[];
  scopes?: string[];
  accessTokenTtlSeconds?: number;
}

export interface Idp {
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  audience: string;
  scopes: string[];
  clients: Record<IdpClient, { id: string; secret: string }>;
  /** A client_credentials token for `resource` (default: the audience) with these scopes. */
  token(options?: { resource?: string; scope?: string; client?: IdpClient }): Promise<string>;
  /** The current signing key, private part included: the harness forges tokens that differ from real ones in one way. */
  signingKey(): JWK;
  /** Publishes a new signing key (the old one stays published until `retireOldKeys`). */
  rotateKey(): Promise<void>;
  close(): Promise<void>;
}

/** `client` and `other` are two users of the proxy (subjects); `proxy` is the proxy's own identity upstream. */
export type IdpClient = 'client' | 'other' | 'proxy';
const CLIENTS: Record<IdpClient, { id: string; secret: string }> = {
  client: { id: 'proxyspec-client', secret: 'proxyspec-client-secret-0123456789abcdef' },
  other: { id: 'proxyspec-other-client', secret: 'proxyspec-other-secret-0123456789abcdef' },
  proxy: { id: 'proxyspec-proxy', secret: 'proxyspec-proxy-secret-0123456789abcdef' },
};
const DEFAULT_TTL_SECONDS = 3600;
/** A resource that is neither the proxy nor its upstream: a token for it is valid, but for someone else. */
export const FOREIGN_RESOURCE = 'https://elsewhere.proxyspec.invalid/mcp';

let noticesMuted = false;

/**
 * oidc-provider prints notices about what a mock does on purpose (in-memory storage, development
 * interactions, Node 20); they would drown the harness's own output, so they are dropped. Other
 * console output passes.
 */
function muteProviderNotices(): void {
  if (noticesMuted) return;
  noticesMuted = true;
  for (const level of ['warn', 'info'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider ')) return;
      original(...args);
    };
  }
}

async function signingKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, use: 'sig', alg: 'RS256' };
}

export async function startIdp(options: IdpOptions): Promise<Idp> {
  muteProviderNotices();
  const { default: Provider, errors } = (await import('oidc-provider')) as unknown as { default: typeof ProviderType; errors: typeof import('oidc-provider').errors };
  const scopes = options.scopes ?? ['mcp:read', 'mcp:write', 'mcp:admin'];
  const resources = new Set([options.audience, ...(options.otherResources ?? [])]);
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys: JWK[] = [await signingKey('k1')];

  const makeProvider = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: CLIENTS.client.id,
          client_secret: CLIENTS.client.secret,
          grant_types: ['client_credentials', 'authorization_code'],
          response_types: ['code'],
          redirect_uris: ['http://127.0.0.1/callback'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        ...(['other', 'proxy'] as const).map((who) => ({
          client_id: CLIENTS[who].id,
          client_secret: CLIENTS[who].secret,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic' as const,
        })),
      ],
      jwks: { keys: keys as never },
      scopes: ['openid', ...scopes],
      // Authorization code always with PKCE (oidc-provider allows S256 only).
      pkce: { required: () => true },
      ttl: { ClientCredentials: options.accessTokenTtlSeconds ?? DEFAULT_TTL_SECONDS },
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => options.audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            if (!resources.has(resource)) throw new errors.InvalidTarget();
            return { scope: scopes.join(' '), audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: options.accessTokenTtlSeconds ?? DEFAULT_TTL_SECONDS, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
    });
  // Keys live in the provider's configuration: a rotation builds a new provider with the new key set.
  let provider = makeProvider();
  server.on('request', (req, res) => provider.callback()(req, res));

  const token: Idp['token'] = async ({ resource, scope, client } = {}) => {
    const who = CLIENTS[client ?? 'client'];
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: resource ?? options.audience, scope: scope ?? scopes.join(' ') });
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${who.id}:${who.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!res.ok || !json.access_token) throw new Error(`the mock authorization server refused a token: ${json.error ?? res.status} ${json.error_description ?? ''}`);
    return json.access_token;
  };

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint: `${issuer}/token`,
    audience: options.audience,
    scopes,
    clients: CLIENTS,
    token,
    signingKey: () => keys[0],
    async rotateKey() {
      keys.unshift(await signingKey(`k${keys.length + 1}`));
      provider = makeProvider();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
