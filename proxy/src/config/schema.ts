/**
 * The reference proxy's configuration: one strict zod schema with every default in it. Unknown keys
 * are errors. This file is the reference for every option; README's config section mirrors it.
 */
import { z } from 'zod';

const HttpUrl = z.url({ protocol: /^https?$/ });

const HttpUpstreamSchema = z.strictObject({
  /** Streamable HTTP endpoint of the upstream MCP server (the primary). */
  url: HttpUrl,
  /**
   * Other instances of the same MCP server, tried in order when a request cannot be delivered to the
   * one a session lives on; the session moves there with the client's own initialize. A list, or one
   * comma-separated string (for `${ENV_VAR}`).
   */
  backups: z.preprocess((value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value), z.array(HttpUrl).default([])),
  /** Circuit breaker, one per upstream: after `failures` failures in a row, refuse at once (503) for `openMs`, then let one probe through. */
  breaker: z
    .strictObject({
      /** Failures in a row (refused or reset connections, timeouts, 502/503/504) that open the circuit. */
      failures: z.number().int().positive().default(5),
      /** How long an open circuit refuses before one probe may go through. */
      openMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  /** Time allowed for the upstream to start answering (headers) before the client gets a 504. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Longest silence allowed inside a streamed answer before it is cut. 0 = none (GET streams never idle out). */
  idleTimeoutMs: z.number().int().min(0).default(300_000),
  /** Most TCP connections the proxy keeps open to this upstream. */
  connections: z.number().int().positive().default(128),
  /** Reuse upstream connections between requests. Turn off only for an upstream that mishandles keep-alive. */
  keepAlive: z.boolean().default(true),
  /**
   * The MCP era the upstream speaks, for bridging clients of the other one. `auto`: learn it from the
   * upstream's refusals, as a dual-era client does; `dual`: it serves both, never bridge; `legacy`:
   * sessions only (2025-11-25 and earlier), so 2026-07-28 clients are bridged; `modern`: 2026-07-28
   * only, so clients that initialize are bridged.
   */
  era: z.enum(['auto', 'dual', 'legacy', 'modern']).default('auto'),
  /** The proxy's own credential towards this upstream. The client's token is never forwarded. */
  auth: z
    .union([
      z.strictObject({
        /** A static bearer token; write `${ENV_VAR}` to keep it out of the file. */
        bearer: z.string().min(1),
      }),
      z.strictObject({
        /** OAuth 2.1 client credentials grant: a token fetched, cached and refreshed before it expires. */
        clientCredentials: z.strictObject({
          tokenUrl: HttpUrl,
          clientId: z.string().min(1),
          clientSecret: z.string().min(1),
          /** RFC 8707 resource indicator; default: the upstream's URL. */
          resource: z.string().optional(),
          scope: z.string().optional(),
        }),
      }),
    ])
    .optional(),
});

const StdioUpstreamSchema = z.strictObject({
  /** Shell command that starts the upstream MCP server: a process per client session of the session era, and for 2026-07-28 requests as `pool` says. */
  command: z.string().min(1),
  /** Working directory of the command; default: the proxy's. */
  cwd: z.string().optional(),
  /** Extra environment variables for the command. */
  env: z.record(z.string(), z.string()).default({}),
  /** Time allowed for the process to send the first message of an answer before the client gets a 504. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Time allowed for a new process to answer initialize (starting a process can take seconds). */
  startupTimeoutMs: z.number().int().positive().default(30_000),
  /**
   * The MCP era the server speaks, as for an HTTP upstream. `auto`: ask it once with server/discover
   * before the first 2026-07-28 request, and bridge when it does not list that revision (most stdio
   * servers today are legacy); `dual`, `legacy`, `modern`: told, not asked.
   */
  era: z.enum(['auto', 'dual', 'legacy', 'modern']).default('auto'),
  /**
   * The processes kept between 2026-07-28 requests, instead of one started per request: for a
   * 2026-07-28 server, one per principal, serving its requests at once; for a legacy one (bridged),
   * a pool, one request at a time each, kept for one principal and one set of declared capabilities
   * and identity.
   */
  pool: z
    .strictObject({
      /** Idle processes a bridge keeps, for all clients together; 0: none, for either era (one process per request). */
      maxIdle: z.number().int().min(0).max(1000).default(8),
      /** An idle process (a shared one: with no request in flight) is stopped after this long. */
      idleTimeoutMs: z.number().int().positive().default(60_000),
      /** Processes started ahead of need, so that a new client waits for initialize and not for a start. */
      spare: z.number().int().min(0).max(16).default(1),
    })
    .prefault({}),
  /**
   * What the bridge keeps of the SSE streams it makes for 2025-11-25 clients, so that a client who
   * lost one can come back with Last-Event-ID (the session era: a disconnection is not a
   * cancellation, so the call runs on). Beyond `maxEvents` a stream can no longer be resumed; a
   * finished one can be for `keepMs` after its answer.
   */
  resumption: z
    .strictObject({
      maxEvents: z.number().int().min(1).max(100_000).default(1000),
      keepMs: z.number().int().min(0).default(30_000),
    })
    .prefault({}),
});

const ScopeList = z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope is printable ASCII without space, quote or backslash'));

const AuthSchema = z.strictObject({
  /** The authorization server whose tokens are accepted (exact `iss`). */
  issuer: z.url(),
  /** This proxy's canonical resource URI (RFC 8707); tokens must name it in `aud`. */
  audience: z.url(),
  /** JWKS location; default: `jwks_uri` from the issuer's RFC 8414 or OpenID discovery document. */
  jwksUri: z.url().optional(),
  /** Signature algorithms accepted; `none` and HMAC never are. */
  algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
  /** Clock skew allowed on `exp` and `nbf`, in seconds. */
  clockToleranceSec: z.number().int().min(0).max(300).default(5),
  /** Longest bearer token accepted, in bytes. */
  maxTokenBytes: z.number().int().positive().default(8192),
  /** How long fetched keys are trusted before the JWKS is fetched again; an unknown `kid` refetches sooner. */
  jwksCacheMs: z.number().int().positive().default(600_000),
  /** Least time between two JWKS fetches (an unknown `kid` cannot make the proxy hammer the issuer). */
  jwksCooldownMs: z.number().int().min(0).default(30_000),
  scopes: z
    .strictObject({
      /** Scopes every request needs. */
      required: ScopeList.default([]),
      /** Extra scopes per JSON-RPC method, e.g. `tools/call: [mcp:write]`. */
      methods: z.record(z.string(), ScopeList).default({}),
      /** Extra scopes per tool name for `tools/call`. */
      tools: z.record(z.string(), ScopeList).default({}),
    })
    .prefault({}),
  /** Shown to clients in the protected resource metadata. */
  resourceName: z.string().optional(),
});

const RateSchema = z.strictObject({
  /** Requests allowed in one window. */
  requests: z.number().int().positive(),
  /** The window, in ms; the count starts again after it. */
  windowMs: z.number().int().positive(),
});

export const ProxyConfigSchema = z.strictObject({
  listen: z
    .strictObject({
      /** Address to bind. Keep 127.0.0.1 unless the proxy sits behind authentication. */
      host: z.string().default('127.0.0.1'),
      /** TCP port; 0 picks a free one. */
      port: z.number().int().min(0).max(65_535).default(8080),
      /** The single MCP endpoint path. */
      path: z.string().startsWith('/').default('/mcp'),
      /**
       * Connections the kernel may hold for the proxy before it accepts them (capped by
       * net.core.somaxconn). Node's 511 overflowed when 1,000 clients connected at once to a busy
       * proxy: the dropped SYNs were sent again 1 and 3 s later, and those clients' first answers took as long.
       */
      backlog: z.number().int().min(1).max(65_535).default(4096),
    })
    .prefault({}),
  /** The MCP server behind the proxy: `url` for Streamable HTTP, `command` for stdio. */
  upstream: z.union([HttpUpstreamSchema, StdioUpstreamSchema]),
  /** OAuth 2.1 resource server: omit to accept requests without a token (keep such a proxy on loopback). */
  auth: AuthSchema.optional(),
  security: z
    .strictObject({
      /** Origins allowed to call the proxy from a browser (`*` for any); a request with any other Origin gets 403. */
      allowedOrigins: z.array(z.string()).default([]),
      /**
       * While the proxy listens on loopback, also allow Origins on loopback (localhost, 127.0.0.0/8,
       * [::1], any port): pages on this machine, the proxy's own origin among them. A DNS-rebinding
       * page never has one.
       */
      loopbackOrigins: z.boolean().default(true),
      /**
       * Host header values (a name, or name:port) the proxy answers to, `*` for any. Default: while it
       * listens on loopback, loopback names only (a rebinding page's GET carries no Origin, only its
       * own name in Host); otherwise any. A request for another Host gets 403.
       */
      allowedHosts: z.array(z.string().min(1)).optional(),
    })
    .prefault({}),
  sessions: z
    .strictObject({
      /** A session with no request for this long is ended, upstream included. 0 = never. */
      idleTimeoutMs: z.number().int().min(0).default(1_800_000),
    })
    .prefault({}),
  /**
   * A store that several replicas of the proxy share, so that a balancer may send any request to any
   * of them: client sessions and their upstream sides, rate-limit counters, open circuits. Omit to
   * keep all of it in this process (one replica). HTTP upstreams only: a stdio upstream is a child
   * of one process.
   */
  state: z
    .strictObject({
      /** redis:// or rediss:// URL of the shared Redis. */
      redis: z.url({ protocol: /^rediss?$/ }).optional(),
      /** Prefix of every key (and the circuit channel), so that several proxies may share one Redis. */
      keyPrefix: z.string().min(1).default('mcp-proxy:'),
      /** Time a store command may take before the request fails with 503 (never a guess about the session). */
      timeoutMs: z.number().int().positive().default(1000),
      /**
       * Key that seals what the proxy hands a client to bring back (the requestState of a bridged
       * multi round-trip request), at least 32 characters; write `${ENV_VAR}`. Replicas must share it,
       * so that any of them can take the retry. Default: a random key per process.
       */
      secret: z.string().min(32).optional(),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Largest request body accepted, in bytes (larger gets 413). */
      maxBodyBytes: z.number().int().positive().default(8 * 1024 * 1024),
      /** Largest request head (request line and headers), in bytes (larger gets 431). */
      maxHeaderBytes: z.number().int().min(1024).default(16 * 1024),
      /** Time a client has to send its request head; a slower one is cut off (slowloris). */
      headersTimeoutMs: z.number().int().positive().default(10_000),
      /** Time a client has to send a whole request, body included. */
      requestTimeoutMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  /**
   * Rate limits per token subject (per client address without auth). Requests over the limit get 429
   * with Retry-After and a JSON-RPC error, and never reach the upstream.
   */
  rateLimit: z
    .strictObject({
      /** The limit of every subject without one of its own; omit for none. */
      default: RateSchema.optional(),
      /** Limits of particular subjects (`sub` of their tokens), in place of the default. */
      subjects: z.record(z.string(), RateSchema).default({}),
    })
    .prefault({}),
  policy: z
    .strictObject({
      /** Tools no client may call: a call gets 403 and a JSON-RPC error without reaching the upstream, and tools/list leaves them out. */
      deniedTools: z.array(z.string().min(1)).default([]),
      /** JSON-RPC methods no client may call (e.g. `resources/read`), refused the same way. */
      deniedMethods: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Serve Prometheus metrics (text format) on the proxy's own port. */
      enabled: z.boolean().default(true),
      path: z.string().startsWith('/').default('/metrics'),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** Where the audit trail goes, one JSON line per request ("-" for stdout); omit for none. */
      file: z.string().min(1).optional(),
      /**
       * Entries are written in batches, off the request's path: at most this long after they are
       * made (or as soon as 4 KB are waiting), and all of them when the proxy shuts down. 0: each
       * entry is written on its own as it comes, which costs a system call per request.
       */
      flushMs: z.number().int().min(0).max(60_000).default(200),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  shutdown: z
    .strictObject({
      /** How long SIGTERM waits for in-flight requests before closing what is left. */
      graceMs: z.number().int().min(0).default(10_000),
    })
    .prefault({}),
}).refine((c) => c.state.redis === undefined || 'url' in c.upstream, { message: 'a shared state store needs an HTTP upstream: a stdio upstream lives in one process', path: ['state', 'redis'] });

export type ProxyConfig = z.infer<typeof ProxyConfigSchema>;
export type ProxyConfigInput = z.input<typeof ProxyConfigSchema>;
export type HttpUpstreamConfig = z.infer<typeof HttpUpstreamSchema>;
export type StdioUpstreamConfig = z.infer<typeof StdioUpstreamSchema>;
export type AuthConfig = z.infer<typeof AuthSchema>;

export function isHttpUpstream(upstream: ProxyConfig['upstream']): upstream is HttpUpstreamConfig {
  return 'url' in upstream;
}
