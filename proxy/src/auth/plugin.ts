/**
 * The proxy as an OAuth 2.1 resource server: RFC 9728 protected resource metadata, bearer tokens
 * checked on every MCP request before anything is read or forwarded, RFC 6750 challenges (401 with
 * `resource_metadata`, 403 `insufficient_scope` naming the scopes needed), scopes per method and tool.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthConfig } from '../config/schema.ts';
import { ProxyWireError, WireErrors } from '../errors.ts';
import { createTokenVerifier, TokenRejected, type Principal, type TokenVerifier } from './verifier.ts';

export type { Principal, TokenVerifier } from './verifier.ts';

/** One JSON-RPC call in a request body, as far as scopes care. */
export interface ScopedCall {
  method: string;
  tool?: string;
}

export interface AuthGate {
  /** Throws a wire error unless the request carries one valid bearer token; returns whom it speaks for. */
  authenticate(request: FastifyRequest): Promise<Principal>;
  /** Throws 403 insufficient_scope unless the principal holds every scope these calls need. */
  authorize(principal: Principal, calls: readonly ScopedCall[]): void;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** RFC 9728 §3.1: the metadata URL of a resource inserts the well-known segment before its path. */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${WELL_KNOWN}${path}`;
}

function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function allScopes(config: AuthConfig): string[] {
  const { required, methods, tools } = config.scopes;
  return [...new Set([...required, ...Object.values(methods).flat(), ...Object.values(tools).flat()])];
}

export function createAuthGate(config: AuthConfig, verify: TokenVerifier = createTokenVerifier(config)): AuthGate {
  const metadataUrl = resourceMetadataUrl(config.audience);
  // Maps, not the config's objects: a method or tool named `constructor` or `toString` must find nothing, not Object.prototype.
  const methodScopes = new Map(Object.entries(config.scopes.methods));
  const toolScopes = new Map(Object.entries(config.scopes.tools));
  const challenge = (params: Record<string, string | undefined>) =>
    `Bearer ${Object.entries({ resource_metadata: metadataUrl, ...params })
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${quoted(v!)}`)
      .join(', ')}`;
  const baseScope = config.scopes.required.join(' ');

  return {
    async authenticate(request) {
      const raw = request.raw.rawHeaders;
      let count = 0;
      for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') count++;
      if (count > 1) throw WireErrors.badAuthorization(challenge({ error: 'invalid_request', error_description: 'more than one Authorization header' }), 'more than one Authorization header');
      const query = request.url.indexOf('?');
      if (query >= 0 && new URLSearchParams(request.url.slice(query + 1)).has('access_token')) {
        throw WireErrors.badAuthorization(challenge({ error: 'invalid_request', error_description: 'access tokens are not accepted in the query string' }), 'token in the query string');
      }
      const header = request.headers.authorization;
      const match = header === undefined ? null : /^Bearer +([^\s]+) *$/i.exec(header);
      if (!match) throw WireErrors.unauthorized(challenge({ scope: baseScope }), header === undefined ? 'no access token' : 'not a bearer token');
      try {
        return await verify(match[1]);
      } catch (err) {
        if (err instanceof TokenRejected) {
          throw WireErrors.unauthorized(challenge({ error: err.error, error_description: err.description, scope: baseScope }), err.description);
        }
        if (err instanceof ProxyWireError) throw err;
        request.log.warn({ err }, 'token validation could not complete');
        throw WireErrors.authorizationUnavailable();
      }
    },
    authorize(principal, calls) {
      const needed = new Set(config.scopes.required);
      for (const call of calls) {
        for (const s of methodScopes.get(call.method) ?? []) needed.add(s);
        if (call.method === 'tools/call' && call.tool !== undefined) for (const s of toolScopes.get(call.tool) ?? []) needed.add(s);
      }
      for (const scope of needed) {
        if (!principal.scopes.has(scope)) {
          throw WireErrors.insufficientScope(challenge({ error: 'insufficient_scope', scope: [...needed].join(' '), error_description: `this request needs the scope ${scope}` }));
        }
      }
    },
  };
}

/** Serves the protected resource metadata at the root well-known URL and at the path-based one. */
export async function resourceMetadataRoutes(app: FastifyInstance, options: { auth: AuthConfig; logLevel?: string }): Promise<void> {
  const { auth } = options;
  const document = {
    resource: auth.audience,
    authorization_servers: [auth.issuer],
    scopes_supported: allScopes(auth),
    bearer_methods_supported: ['header'],
    ...(auth.resourceName && { resource_name: auth.resourceName }),
  };
  const body = JSON.stringify(document);
  const paths = new Set([WELL_KNOWN, new URL(resourceMetadataUrl(auth.audience)).pathname]);
  for (const path of paths) {
    app.get(path, { logLevel: options.logLevel as never }, async (_request, reply) =>
      reply.header('content-type', 'application/json').header('cache-control', 'max-age=300').send(body),
    );
  }
}
