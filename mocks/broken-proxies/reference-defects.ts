/**
 * The Level 2 and Level 3 broken proxies: the reference proxy with one deliberate defect each. Those
 * levels are about what a production proxy does beyond relaying (tokens, sessions, limits, failover,
 * breakers, metrics, replicas), so the base is the reference proxy, which passes every check, and each
 * defect takes away exactly one of those properties: by a weaker configuration where the product has
 * one, otherwise through its replaceable parts. The checks each defect proves name it (`provenBy`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PassThrough, Readable } from 'node:stream';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  buildProxy,
  ClientGone,
  createAuthGate,
  createPolicy,
  createTokenVerifier,
  createUpstreamCredential,
  tokenRequestBody,
  mirroredHeaderMismatch,
  ParamHeaders,
  parseConfig,
  ProxyWireError,
  type AuthGate,
  type ProxyApp,
  type ProxyConfig,
  type ProxyParts,
  type ProxySession,
  type TokenVerifier,
  type UpstreamConnector,
} from '../../proxy/src/index.ts';

export const REFERENCE_DEFECTS = [
  'accept-alg-none', // takes unsigned tokens at their word
  'ignore-audience', // verifies signature, issuer and expiry, but not whom the token is for
  'forward-client-token', // sends the client's token upstream instead of its own
  'no-upstream-credential', // calls the upstream with no credential of its own
  'ignore-scopes', // lets every valid token call everything
  'no-resource-metadata', // challenges with a bare "Bearer", no resource_metadata
  'sessions-not-bound', // serves a session to any authenticated user who presents its id
  'no-origin-check', // allows every Origin
  'refuse-all-origins', // refuses every Origin, its own and the loopback ones included (the reference proxy's default until 2026-12)
  'predictable-session-ids', // numbers sessions 1, 2, 3…
  'leak-upstream-address', // puts the upstream's URL and a stack trace in its 502s
  'no-idle-reaping', // keeps idle sessions for ever
  'keep-upstream-sessions', // never tells the upstream a client left: no DELETE for a session, and (2026-07-28) a subscription left open upstream when its client closes the stream
  'leak-memory', // keeps 256 KB for every upstream session it ever opened (in 2026-07-28, for every request)
  'connection-per-request', // opens a new upstream connection for every request
  'no-limits', // accepts any body and header size, waits for ever for a slow head
  'slow-5ms', // waits 5 ms before each upstream request
  'slow-2ms', // waits 2 ms before each upstream request: twice the overhead allowance, near enough to it that only a measurement that decides when it can tells it apart
  'no-era-bridge', // (2026-07-28) claims era bridging, but relays each client's requests as they are to an upstream of the other era
  'shared-list-cache', // (2026-07-28) keeps each tools/list answer for every client, keyed on its params, whatever its cacheScope
  'prototype-scope-lookup', // looks scopes up in plain objects: the method constructor finds a function, and the request a 500
  'stack-in-200-error', // answers an upstream failure with HTTP 200 and a JSON-RPC error whose message carries the stack
  // Level 3
  'no-failover', // knows no backup upstream
  'no-circuit-breaker', // keeps calling an upstream however often it fails
  'session-lost-as-502', // answers the upstream's "session not found" with a 502 and keeps the dead session
  'retry-failed-calls', // sends a request again when its upstream connection fails
  'one-call-per-tool', // sends one call of a tool upstream at a time, whoever it is for
  'rate-limit-per-address', // counts requests per client address, so every limited subject behind one gateway shares one budget
  'rate-limit-per-session', // counts a subject's requests per session (per connection where there is none), so more sessions or connections buy more requests
  'metrics-miss-upstream-failures', // counts requests, but not the upstream's failures
  'metrics-count-twice', // counts every request twice (a counter incremented both by a hook and by the handler)
  'metrics-refusals-as-ok', // counts a request it refused (a 4xx of its own) under the served outcome
  'stdio-no-priming', // (2025-11-25, stdio upstream) opens the SSE streams it makes without the priming event
  'stdio-not-found-as-200', // (2026-07-28, stdio upstream) answers the server's -32601 with HTTP 200, the status a session-era stdio bridge gives every answer
  'stdio-blank-lines', // (stdio upstream) writes an empty line after each message to the server's stdin
  'stdio-forget-finished-streams', // (2025-11-25, stdio upstream) forgets a stream's events as soon as its answer is written, so a client who lost the stream before the answer can never read it
  'stdio-no-cancel', // (2026-07-28, stdio upstream) never hears that a client closed its response stream: it neither tells the stdio server the call is cancelled nor ends it, but lets it run on for 30 s
  'upstream-gone-for-good', // after its upstream once refuses a connection, refuses every later request itself (502) as if the upstream could never come back
  'always-ready', // reports ready whether or not an upstream can take requests
  'token-without-resource', // asks the authorization server for its upstream token without a resource parameter (the server's default audience happens to be the upstream)
  'credential-sometimes-missing', // a token cache that hands out nothing while it fetches a fresh token, so every other upstream request goes without the proxy's credential
  'strip-last-event-id', // drops Last-Event-ID from a GET, so a cut stream cannot be resumed
  'policy-list-only', // hides denied tools from tools/list, but relays calls to them
  'skip-header-check', // (2026-07-28) relays a request whose Mcp-Name or Mcp-Method disagrees with its body
  'bridge-no-param-headers', // (2026-07-28, a legacy client bridged to a modern server) sends each call upstream without the Mcp-Param headers its marked arguments call for, as a bridge that knows only Mcp-Method and Mcp-Name does
  'skip-param-headers', // (2026-07-28) learns no tool's x-mcp-header marks, and so relays a call whose Mcp-Param headers disagree with its arguments (in front of a stdio server, nobody else can refuse it)
  'drop-result-type', // (2026-07-28, a bridge to a legacy server) rebuilds tools/list results from the members the session era knew (tools, nextCursor, _meta), losing the resultType and cache hints the bridge added
  'audit-misses-refusals', // writes the requests it served to the audit trail, not the ones it refused
  'shutdown-drops-in-flight', // on SIGTERM, closes every connection at once
  'stale-session-copies', // (replicas) keeps its own copy of each session it served, deaf to other replicas ending it
  'tasks-kept-per-replica', // (replicas, 2025-11-25) remembers in its own memory which sessions started a task, and answers tasks/get, tasks/result and tasks/cancel itself (unknown task) in a session that started none through it
  'stateless-needs-discover', // (replicas, 2026-07-28) refuses a client's requests until this replica has answered its server/discover
] as const;

export type ReferenceDefect = (typeof REFERENCE_DEFECTS)[number];

/** The configuration the defect weakens, where the product has a setting for it. */
function weakenConfig(defect: ReferenceDefect, config: Readonly<ProxyConfig>): Readonly<ProxyConfig> {
  const raw = structuredClone(config) as ProxyConfig;
  if (defect === 'no-origin-check') raw.security.allowedOrigins = ['*'];
  if (defect === 'refuse-all-origins') raw.security.loopbackOrigins = false;
  if (defect === 'no-idle-reaping') raw.sessions.idleTimeoutMs = 0;
  if (defect === 'no-limits') raw.limits = { maxBodyBytes: 256 * 1024 * 1024, maxHeaderBytes: 256 * 1024, headersTimeoutMs: 600_000, requestTimeoutMs: 600_000 };
  if ('url' in raw.upstream) {
    if (defect === 'no-failover') raw.upstream.backups = [];
    if (defect === 'shutdown-drops-in-flight') raw.shutdown.graceMs = 0;
    if (defect === 'no-circuit-breaker') raw.upstream.breaker = { failures: 1_000_000, openMs: 1 };
    if (defect === 'connection-per-request') raw.upstream.keepAlive = false;
    if (defect === 'no-upstream-credential' || defect === 'forward-client-token') delete raw.upstream.auth;
    if (defect === 'no-era-bridge') raw.upstream.era = 'dual';
  } else {
    if (defect === 'stdio-forget-finished-streams') raw.upstream.resumption.keepMs = 0;
    // Between the proxy and its server, a filter that follows each line the proxy writes with an empty one: what the server reads is what such a bridge writes.
    if (defect === 'stdio-blank-lines') raw.upstream.command = `sed -u G | ${raw.upstream.command}`;
  }
  return parseConfig(raw);
}

/** Accepts `alg: none` tokens as they say; checks every other token properly. */
function unsignedTrusting(real: TokenVerifier): TokenVerifier {
  return async (token) => {
    const header = (() => {
      try {
        return decodeProtectedHeader(token);
      } catch {
        return undefined;
      }
    })();
    if (header?.alg !== 'none') return real(token);
    const claims = decodeJwt(token);
    return { subject: String(claims.sub ?? claims.client_id), scopes: new Set(String(claims.scope ?? '').split(' ')), expiresAt: Date.now() + 60_000 };
  };
}

/** Replaces the resource_metadata challenge with a bare one. */
function withoutMetadata(real: AuthGate): AuthGate {
  return {
    async authenticate(request) {
      try {
        return await real.authenticate(request);
      } catch (err) {
        if (err instanceof ProxyWireError && err.status === 401) throw new ProxyWireError(401, err.rpcCode, err.message, err.reason, { 'www-authenticate': 'Bearer' });
        throw err;
      }
    },
    authorize: real.authorize,
  };
}

const retained: Buffer[] = [];
const clientToken = new AsyncLocalStorage<string | undefined>();
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wraps every upstream session the connector opens, or takes over from another replica. */
function wrapSessions(connector: UpstreamConnector, wrap: (session: ReturnType<UpstreamConnector['open']>) => ReturnType<UpstreamConnector['open']>): UpstreamConnector {
  const { revive } = connector;
  return { open: () => wrap(connector.open()), ...(revive && { revive: (state) => wrap(revive(state)) }), close: () => connector.close() };
}

type UpstreamPost = ReturnType<UpstreamConnector['open']>['post'];

/** Every upstream request waits `ms` before it is sent. */
function slowedBy(connector: UpstreamConnector, ms: number): UpstreamConnector {
  return wrapSessions(connector, (s) => ({
    ...s,
    post: async (...args) => {
      await delay(ms);
      return s.post(...args);
    },
  }));
}

/** What the client gets, in place of the proxy's own error, when a POST to the upstream fails. */
function onUpstreamFailure(connector: UpstreamConnector, failed: (err: unknown, info: Parameters<UpstreamPost>[2]) => Awaited<ReturnType<UpstreamPost>>): UpstreamConnector {
  return wrapSessions(connector, (s) => ({
    ...s,
    post: async (...args) => {
      try {
        return await s.post(...args);
      } catch (err) {
        return failed(err, args[2]);
      }
    },
  }));
}

/** What the client gets in place of each answer of the upstream to a POST. */
function onUpstreamReply(connector: UpstreamConnector, change: (reply: Awaited<ReturnType<UpstreamPost>>, info: Parameters<UpstreamPost>[2]) => Promise<Awaited<ReturnType<UpstreamPost>>> | Awaited<ReturnType<UpstreamPost>>): UpstreamConnector {
  return wrapSessions(connector, (s) => ({ ...s, post: async (...args) => change(await s.post(...args), args[2]) }));
}

/** What each defect replaces of the reference proxy's parts (ProxyParts), where no setting of the product can weaken it. */
const PARTS: { [D in ReferenceDefect]?: (config: Readonly<ProxyConfig>) => ProxyParts } = {
  'accept-alg-none': () => ({ authGate: (a) => createAuthGate(a, unsignedTrusting(createTokenVerifier(a))) }),
  'ignore-audience': () => ({ authGate: (a) => createAuthGate(a, createTokenVerifier({ ...a, audience: undefined as never })) }),
  'ignore-scopes': () => ({ authGate: (a) => ({ ...createAuthGate(a), authorize: () => undefined }) }),
  // What the reference proxy did before its scopes per method and tool became Maps.
  'prototype-scope-lookup': () => ({
    authGate: (a) => {
      const real = createAuthGate(a);
      const methods = a.scopes.methods as Record<string, string[]>;
      const tools = a.scopes.tools as Record<string, string[]>;
      return {
        ...real,
        authorize(principal, calls) {
          // The old lookup, kept for its failure: spreading what `constructor` finds (a function) throws.
          for (const call of calls) void [...(methods[call.method] ?? []), ...(call.tool === undefined ? [] : (tools[call.tool] ?? []))];
          real.authorize(principal, calls);
        },
      };
    },
  }),
  'no-resource-metadata': () => ({ authGate: (a) => withoutMetadata(createAuthGate(a)) }),
  'sessions-not-bound': () => ({ sessionOwner: () => undefined }),
  'stale-session-copies': () => ({
    sessions: (built) => {
      const copies = new Map<string, ProxySession>();
      return {
        ...built,
        async get(id) {
          const copy = copies.get(id);
          if (copy) return copy;
          const found = await built.get(id);
          if (found) copies.set(id, found);
          return found;
        },
        async remove(id) {
          copies.delete(id);
          await built.remove(id);
        },
      };
    },
  }),
  'tasks-kept-per-replica': () => ({
    connector: (c) =>
      wrapSessions(c, (s) => {
        // Per session object: the one this replica opened or took over from the store.
        let startedHere = false;
        return {
          ...s,
          post: async (body, headers, info, gone, options) => {
            if (info.method === 'tools/call' && (JSON.parse(body.toString('utf8')) as { params?: { task?: unknown } }).params?.task !== undefined) startedHere = true;
            if (startedHere || !['tasks/get', 'tasks/result', 'tasks/cancel'].includes(info.method ?? '')) return s.post(body, headers, info, gone, options);
            const refusal = JSON.stringify({ jsonrpc: '2.0', id: info.id, error: { code: -32602, message: 'Unknown task' } });
            return { status: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(refusal)]) };
          },
        };
      }),
  }),
  'stateless-needs-discover': () => {
    // Whom this replica has answered server/discover for: the token that asked.
    const discovered = new Set<string>();
    return {
      headerCheck: (headers, info) => {
        const who = String(headers.authorization ?? '');
        if (info.calls[0]?.method === 'server/discover') discovered.add(who);
        else if (!discovered.has(who)) return 'this replica has not seen this client\'s server/discover';
        return mirroredHeaderMismatch(headers, info);
      },
    };
  },
  'predictable-session-ids': () => {
    let n = 0;
    return { newSessionId: () => `session-${++n}` };
  },
  'forward-client-token': () => ({
    connector: (c) =>
      wrapSessions(c, (s) => ({
        ...s,
        post: (body, headers, info, gone) => {
          const token = clientToken.getStore();
          return s.post(body, token ? { ...headers, authorization: token } : headers, info, gone);
        },
      })),
  }),
  'leak-upstream-address': (config) => {
    const where = 'url' in config.upstream ? config.upstream.url : config.upstream.command;
    return {
      connector: (c) =>
        onUpstreamFailure(c, (err) => {
          const e = err as ProxyWireError;
          throw new ProxyWireError(e.status ?? 502, e.rpcCode ?? -31050, `${e.message} (${where})`, `${e.reason ?? ''}\n${new Error(`upstream ${where} failed`).stack}`);
        }),
    };
  },
  'stack-in-200-error': () => ({
    connector: (c) =>
      onUpstreamFailure(c, (err, info) => {
        const body = JSON.stringify({ jsonrpc: '2.0', id: info.id, error: { code: -32603, message: `upstream call failed: ${(err as Error).stack}` } });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(body)]) };
      }),
  }),
  'keep-upstream-sessions': () => ({
    connector: (c) =>
      wrapSessions(c, (s) => ({
        ...s,
        delete: async () => ({ status: 200, headers: {}, body: null }),
        post: async (body, headers, info, gone) => {
          if (info.method !== 'subscriptions/listen') return s.post(body, headers, info, gone);
          // The client's leaving is heard by nobody: the upstream's stream stays open behind a copy the client side may close.
          const reply = await s.post(body, headers, info, new ClientGone());
          const copy = new PassThrough();
          reply.body?.pipe(copy);
          return { ...reply, body: copy };
        },
      })),
  }),
  'leak-memory': () => ({
    connector: (c) =>
      wrapSessions(c, (s) => {
        retained.push(Buffer.alloc(256 * 1024, 1));
        return s;
      }),
  }),
  'slow-5ms': () => ({ connector: (c) => slowedBy(c, 5) }),
  'slow-2ms': () => ({ connector: (c) => slowedBy(c, 2) }),
  'session-lost-as-502': () => ({
    connector: (c) =>
      onUpstreamReply(c, async (reply, info) => {
        if (reply.status !== 404 || !reply.body) return reply;
        const text = Buffer.concat(await reply.body.toArray()).toString('utf8');
        const body = /Session not found/i.test(text) ? JSON.stringify({ jsonrpc: '2.0', id: info.id, error: { code: -31050, message: 'Upstream unavailable', data: { reason: 'upstream session lost' } } }) : text;
        return { status: /Session not found/i.test(text) ? 502 : 404, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(body)]) };
      }),
  }),
  'rate-limit-per-address': () => ({ rateLimitKey: (request) => request.ip }),
  'rate-limit-per-session': () => ({ rateLimitKey: (request) => `${request.principal?.subject ?? request.ip} ${request.headers['mcp-session-id'] ?? request.socket.remotePort}` }),
  'metrics-miss-upstream-failures': () => ({ metrics: (m) => ({ ...m, upstreamFailure: () => undefined }) }),
  'metrics-refusals-as-ok': () => ({ metrics: (m) => ({ ...m, request: (method, status) => m.request(method, status >= 400 && status < 500 ? 200 : status) }) }),
  'stdio-no-cancel': () => ({
    connector: (c) =>
      wrapSessions(c, (s) => ({
        ...s,
        post: (body, headers, info) => s.post(body, headers, info, new ClientGone()),
        // The request's process is left to run the call on, and ended only later.
        close: async () => void setTimeout(() => void s.close(), 30_000).unref(),
      })),
  }),
  'stdio-not-found-as-200': () => ({ connector: (c) => onUpstreamReply(c, (reply) => (reply.status === 404 ? { ...reply, status: 200 } : reply)) }),
  'stdio-no-priming': () => ({
    connector: (c) =>
      onUpstreamReply(c, (reply) => {
        if (!reply.body || !/^text\/event-stream/.test(String(reply.headers['content-type'] ?? ''))) return reply;
        // Whole events only: an event without data (the priming one) is left out.
        let held = '';
        const out = new PassThrough();
        reply.body.on('data', (chunk: Buffer) => {
          held += chunk.toString('utf8');
          const events = held.split('\n\n');
          held = events.pop()!;
          for (const event of events) if (/^data: ./m.test(event)) out.write(`${event}\n\n`);
        });
        reply.body.once('end', () => out.end());
        reply.body.once('error', (err) => out.destroy(err));
        out.once('close', () => reply.body?.destroy());
        return { ...reply, body: out };
      }),
  }),
  'upstream-gone-for-good': () => {
    let gone = false;
    return {
      connector: (c) =>
        wrapSessions(c, (s) => ({
          ...s,
          post: async (...args) => {
            if (gone) throw new ProxyWireError(502, -31050, 'Upstream unavailable', 'the upstream refused a connection once');
            try {
              return await s.post(...args);
            } catch (err) {
              if ((err as ProxyWireError).reason === 'ECONNREFUSED') gone = true;
              throw err;
            }
          },
        })),
    };
  },
  'metrics-count-twice': () => ({
    metrics: (m) => ({
      ...m,
      request: (method, status) => {
        m.request(method, status);
        m.request(method, status);
      },
    }),
  }),
  'policy-list-only': (config) => {
    const real = createPolicy(config.policy);
    return { policy: real ? { ...real, refusal: () => undefined } : null };
  },
  'skip-header-check': () => ({ headerCheck: () => undefined }),
  'bridge-no-param-headers': () => ({
    connector: (c) => wrapSessions(c, (s) => ({ ...s, post: (body, headers, ...rest) => s.post(body, Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith('mcp-param-'))), ...rest) })),
  }),
  'skip-param-headers': () => ({ paramHeaders: new (class extends ParamHeaders {
    override mismatch(): undefined {
      return undefined;
    }
  })() }),
  'drop-result-type': (config) => {
    const real = createPolicy(config.policy);
    const sessionEra = (message: Record<string, any>) => (message?.result ? { ...message, result: Object.fromEntries(Object.entries(message.result).filter(([k]) => ['tools', 'nextCursor', '_meta'].includes(k))) } : message);
    return {
      policy: {
        refusal: (info) => real?.refusal(info),
        filters: (info) => info.method === 'tools/list' || (real?.filters(info) ?? false),
        async filterToolsList(reply) {
          const filtered = real ? await real.filterToolsList(reply) : reply;
          if (!filtered.body || !/^application\/json/i.test(String(filtered.headers['content-type'] ?? ''))) return filtered;
          const chunks: Buffer[] = [];
          for await (const chunk of filtered.body) chunks.push(chunk as Buffer);
          const body = Buffer.from(JSON.stringify(sessionEra(JSON.parse(Buffer.concat(chunks).toString('utf8')))));
          return { ...filtered, headers: { ...filtered.headers, 'content-length': String(body.length) }, body: Readable.from([body]) };
        },
      },
    };
  },
  'shared-list-cache': () => {
    // One cache for all clients, as a proxy sparing its upstream might keep: the request's params are
    // the key, the JSON-RPC id is put right, and cacheScope is never looked at.
    const cache = new Map<string, { status: number; headers: Awaited<ReturnType<UpstreamPost>>['headers']; body: Buffer }>();
    return {
      connector: (c) =>
        wrapSessions(c, (s) => ({
          ...s,
          post: async (body, headers, info, gone) => {
            if (info.method !== 'tools/list' || info.protocolVersion === undefined) return s.post(body, headers, info, gone);
            const { params } = JSON.parse(body.toString('utf8')) as { params?: unknown };
            const key = JSON.stringify(params ?? {});
            const withId = (bytes: Buffer) => Buffer.from(JSON.stringify({ ...(JSON.parse(bytes.toString('utf8')) as object), id: info.id }));
            const hit = cache.get(key);
            if (hit) return { status: hit.status, headers: hit.headers, body: Readable.from([withId(hit.body)]) };
            const reply = await s.post(body, headers, info, gone);
            if (!reply.body || !String(reply.headers['content-type']).includes('application/json')) return reply;
            const bytes = Buffer.concat(await reply.body.toArray());
            if (reply.status === 200) cache.set(key, { status: reply.status, headers: reply.headers, body: bytes });
            return { ...reply, body: Readable.from([bytes]) };
          },
        })),
    };
  },
  'audit-misses-refusals': () => ({ audit: (log) => ({ ...log, write: (entry) => (entry.status < 400 ? log.write(entry) : undefined) }) }),
  'strip-last-event-id': () => ({
    connector: (c) =>
      wrapSessions(c, (s) => ({
        ...s,
        get: (headers, gone) => {
          const { 'last-event-id': _dropped, ...rest } = headers;
          return s.get(rest, gone);
        },
      })),
  }),
  'always-ready': () => ({ readiness: () => async () => true }),
  'token-without-resource': (config) => ({
    upstreamCredential: () => {
      if (!('url' in config.upstream)) throw new Error('token-without-resource needs an HTTP upstream');
      return createUpstreamCredential(config.upstream, (upstream) => {
        const body = tokenRequestBody(upstream);
        body.delete('resource');
        return body;
      });
    },
  }),
  'credential-sometimes-missing': () => ({
    upstreamCredential: (credential) => {
      let calls = 0;
      return async () => (++calls % 2 === 0 ? undefined : credential());
    },
  }),
  'retry-failed-calls': () => ({
    connector: (c) =>
      wrapSessions(c, (s) => ({
        ...s,
        post: async (...args) => {
          try {
            return await s.post(...args);
          } catch {
            return s.post(...args);
          }
        },
      })),
  }),
  'one-call-per-tool': () => {
    const queues = new Map<string, Promise<unknown>>();
    return {
      connector: (c) =>
        wrapSessions(c, (s) => ({
          ...s,
          post: (...args) => {
            const tool = args[2].calls[0]?.tool;
            if (tool === undefined) return s.post(...args);
            // The next call of a tool goes out once the previous one's answer has ended (or failed).
            let done!: () => void;
            const ended = new Promise<void>((resolve) => (done = resolve));
            const turn = (queues.get(tool) ?? Promise.resolve()).then(async () => {
              try {
                const reply = await s.post(...args);
                if (!reply.body) done();
                else reply.body.once('close', done);
                return reply;
              } catch (err) {
                done();
                throw err;
              }
            });
            queues.set(tool, ended);
            return turn;
          },
        })),
    };
  },
};

function partsFor(defect: ReferenceDefect, config: Readonly<ProxyConfig>): ProxyParts {
  return PARTS[defect]?.(config) ?? {};
}

/** The reference proxy, built from `config`, with the defect. */
export async function buildDefectiveReference(defect: ReferenceDefect, config: Readonly<ProxyConfig>): Promise<ProxyApp> {
  const weakened = weakenConfig(defect, config);
  const app = await buildProxy(weakened, partsFor(defect, weakened));
  if (defect === 'forward-client-token') {
    // Remember each request's Authorization where the upstream call can find it.
    app.server.prependListener('request', (req) => clientToken.enterWith(req.headers.authorization));
  }
  return app;
}
