/**
 * The mock authorization server: a real oidc-provider instance on a loopback port. It issues JWT
 * access tokens (RS256) whose audience is the resource asked for (RFC 8707), through
 * client_credentials and authorization code with PKCE, with short lifetimes and rotating keys.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type ProviderType from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface IdpOptions {
  port?: number;
  /** The protected resource (the proxy) tokens are normally for. */
  audience: string;
  /** Other resources tokens may be asked for (the upstream, a foreign resource for hostile tokens). */
  otherResources?: string[];
  scopes?: string[];
  accessTokenTtlSeconds?: number;
  /**
   * The resource the proxy's own client gets when its token request names none (the upstream): an
   * authorization server configured with a default audience, as many are, so that a proxy leaving out
   * `resource` still gets a working token and only the request shows the omission.
   */
  proxyDefaultResource?: string;
}

/** A token request as the authorization server parsed it off the wire. */
export interface TokenRequestRecord {
  clientId: string | undefined;
  grantType: string | undefined;
  /** The `resource` parameters, as sent (none: an empty list). */
  resources: string[];
  scope: string | undefined;
  /** Whether the server issued a token. */
  granted: boolean;
  at: number;
}

/** Where the authorization server lists the token requests it received from others than the harness. */
export const TOKEN_REQUESTS_PATH = '/.proxyspec/token-requests';
/** The harness's own token requests carry this header, so that only the target's are listed. */
export const HARNESS_TOKEN_HEADER = 'x-proxyspec-harness';

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
  /** The token requests the target made (the harness's own left out), oldest first; also at TOKEN_REQUESTS_PATH. */
  tokenRequests(): TokenRequestRecord[];
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
/** Where a proxy that runs its own authorization flow has this server send its users back (`{proxy_redirect_uri}`, on the proxy's port). */
export const PROXY_CALLBACK_PATH = '/oauth/callback';
const withSecret = (who: IdpClient) => ({ client_id: CLIENTS[who].id, client_secret: CLIENTS[who].secret, token_endpoint_auth_method: 'client_secret_basic' as const });
/** The clients as the server registers them. */
const CLIENT_METADATA: ClientMetadata[] = [
  { ...withSecret('client'), grant_types: ['client_credentials', 'authorization_code'], response_types: ['code'], redirect_uris: ['http://127.0.0.1/callback'] },
  { ...withSecret('other'), grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
  // The proxy's own identity: client_credentials for its upstream token, and the static client of a
  // proxy that runs its own authorization flow and sends its users here (a native client, so that its
  // loopback callback may be on any port, RFC 8252 section 7.3).
  { ...withSecret('proxy'), application_type: 'native', grant_types: ['client_credentials', 'authorization_code'], response_types: ['code'], redirect_uris: [`http://127.0.0.1${PROXY_CALLBACK_PATH}`] },
];
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

type TokenContext = { get(name: string): string; oidc?: { params?: Record<string, unknown>; client?: { clientId?: string } } };

/** The token requests of others than the harness, as the server parsed them; `defaulted` marks one that named no resource. */
function tokenRequestLog() {
  const requests: TokenRequestRecord[] = [];
  const unnamed = new WeakSet<object>();
  return {
    defaulted: (ctx: object) => void unnamed.add(ctx),
    list: () => [...requests],
    record(ctx: TokenContext, granted: boolean): void {
      if (ctx.get(HARNESS_TOKEN_HEADER)) return;
      const params = ctx.oidc?.params ?? {};
      const resource = params.resource;
      requests.push({
        clientId: ctx.oidc?.client?.clientId ?? (typeof params.client_id === 'string' ? params.client_id : undefined),
        grantType: typeof params.grant_type === 'string' ? params.grant_type : undefined,
        resources: unnamed.has(ctx) ? [] : Array.isArray(resource) ? resource.map(String) : typeof resource === 'string' ? [resource] : [],
        scope: typeof params.scope === 'string' ? params.scope : undefined,
        granted,
        at: Date.now(),
      });
    },
  };
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

  const log = tokenRequestLog();
  const makeProvider = () =>
    new Provider(issuer, {
      clients: CLIENT_METADATA,
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
          // Called only for a request that named no resource; oidc-provider then writes the default into the
          // request's parameters, so the record of the request learns of the omission here.
          defaultResource: (ctx: object, client?: { clientId?: string }) => {
            log.defaulted(ctx);
            return (client?.clientId === CLIENTS.proxy.id && options.proxyDefaultResource) || options.audience;
          },
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            if (!resources.has(resource)) throw new errors.InvalidTarget();
            return { scope: scopes.join(' '), audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: options.accessTokenTtlSeconds ?? DEFAULT_TTL_SECONDS, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
    });
  const recorded = () => {
    const p = makeProvider();
    p.on('grant.success', (ctx: TokenContext) => log.record(ctx, true));
    p.on('grant.error', (ctx: TokenContext) => log.record(ctx, false));
    return p;
  };
  // Keys live in the provider's configuration: a rotation builds a new provider with the new key set.
  let provider = recorded();
  server.on('request', (req, res) => {
    if (req.method === 'GET' && req.url === TOKEN_REQUESTS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(log.list()));
      return;
    }
    provider.callback()(req, res);
  });

  const token: Idp['token'] = async ({ resource, scope, client } = {}) => {
    const who = CLIENTS[client ?? 'client'];
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: resource ?? options.audience, scope: scope ?? scopes.join(' ') });
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${who.id}:${who.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', [HARNESS_TOKEN_HEADER]: '1' },
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
    tokenRequests: () => log.list(),
    async rotateKey() {
      keys.unshift(await signingKey(`k${keys.length + 1}`));
      provider = recorded();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
