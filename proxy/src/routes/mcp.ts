/**
 * The MCP endpoint: POST, GET and DELETE on one path. Bodies are relayed as bytes; the proxy reads a
 * body only to learn its shape, id and whether it initializes. Answers stream through as they come.
 * Both eras on one endpoint: a client that initializes gets a session (2025 revisions); a request
 * whose _meta names a protocol version (2026-07-28) is relayed on its own, its mirrored headers
 * checked against its body, and nothing is kept for it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProxyWireError, WireErrors } from '../errors.ts';
import { firstHeader, upstreamRequestHeaders } from '../protocol/headers.ts';
import { relay } from './relay.ts';
import { inspectMessage, type MessageInfo, type RpcId } from '../protocol/message.ts';
import { LEGACY_VERSIONS, isKnownProtocolVersion } from '../protocol/versions.ts';
import { mirroredHeaderMismatch } from '../protocol/mirrored.ts';
import { ParamHeaders } from '../protocol/param-headers.ts';
import type { ProxySession, SessionMap } from '../sessions/session-map.ts';
import { ClientGone, type UpstreamConnector, type UpstreamReply } from '../upstream/types.ts';
import type { AuthGate, Principal } from '../auth/plugin.ts';
import type { ProxyConfig } from '../config/schema.ts';
import { registerRateLimit, type RateLimitStore } from '../limits/rate-limit.ts';
import { UpstreamEra, isModernRefusal } from '../bridge/era.ts';
import { messagesOf, readWhole } from '../bridge/answers.ts';
import { bridgeToLegacy, type LegacyUpstream } from '../bridge/to-legacy.ts';
import type { SharedStdio } from '../upstream/stdio-shared.ts';
import { createStateSeal, type StateSeal } from '../bridge/state-seal.ts';
import { probeEra } from '../bridge/probe.ts';
import { openBridgedSession } from '../bridge/to-modern.ts';
import { MODERN_VERSION, META_CAPABILITIES, META_VERSION, withoutMirroredHeaders } from '../bridge/meta.ts';
import type { Policy } from '../policy/policy.ts';
import type { OriginPolicy } from '../policy/origin.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Whom the request's token speaks for; null when the proxy runs without authentication. */
    principal: Principal | null;
    /** What the request asked for and where it ended, for metrics and the audit trail. */
    seen: RequestSeen | null;
  }
}

/** What the proxy learnt about one request by the time it was answered. */
export interface RequestSeen {
  startedAt: number;
  /** The JSON-RPC method (`batch` for several, `response` for a client's answer), or GET / DELETE. */
  method: string;
  tool?: string;
  session?: string;
  /** The reason of the proxy's own error answer, when it refused or failed the request. */
  reason?: string;
}

/** One answered request, as the metrics and the audit trail see it. */
export interface RequestRecord extends RequestSeen {
  status: number;
  subject: string | null;
}

export interface McpRouteOptions {
  path: string;
  connector: UpstreamConnector;
  sessions: SessionMap;
  /** Streams still open (GET and SSE answers), ended on shutdown. */
  openStreams: Set<FastifyReply>;
  /** Refuse unknown MCP-Protocol-Version values here (stdio upstreams, which have no HTTP of their own). */
  validateProtocolVersion: boolean;
  /** The upstream's era, for bridging clients of the other one; default: it serves both. */
  era?: UpstreamEra;
  /** Seals what a bridge hands clients to bring back (requestState); default: a key of this process's own. */
  stateSeal?: StateSeal;
  /**
   * Learn the era of an upstream that cannot say it by refusing (stdio) with a server/discover probe
   * before its first modern request, waiting this long for an answer; absent: never probe.
   */
  probeEraMs?: number;
  /** Where the bridge keeps legacy sessions between modern requests (a stdio upstream); absent: a session per request. */
  legacyPool?: LegacyUpstream['pool'];
  /** The processes a stdio server of the 2026-07-28 era keeps for the requests of each principal; absent: a process per request (and an HTTP upstream). */
  sharedStdio?: SharedStdio;
  /** Token checks; absent when the proxy runs without authentication. */
  auth?: AuthGate;
  /** Which Origins and Host names are served; any other gets 403. */
  origins: OriginPolicy;
  /** Who owns a session opened with this principal; default its subject. */
  sessionOwner?: (principal: Principal | null) => string | undefined;
  rateLimit: ProxyConfig['rateLimit'];
  /** Where rate-limit counters live when replicas share them; default this process. */
  rateLimitStore?: RateLimitStore;
  /** Whom a rate limit counts a request against; default its subject, or its address without auth. */
  rateLimitKey?: (request: FastifyRequest) => string;
  /** Tools and methods denied to every client. */
  policy?: Policy;
  /** Why a stateless request's mirrored headers disagree with its body; default `mirroredHeaderMismatch`. */
  headerCheck?: typeof mirroredHeaderMismatch;
  /** What learns the tools' x-mcp-header marks and judges Mcp-Param headers; default a fresh `ParamHeaders`. */
  paramHeaders?: ParamHeaders;
  /** Told of every request once its answer is complete (or the client went away). */
  onAnswered?: (record: RequestRecord) => void;
}

/** Carries the request's id with a wire error, so the error answers the right request. */
export class RoutedWireError extends Error {
  constructor(
    readonly wire: ProxyWireError,
    readonly id: RpcId,
  ) {
    super(wire.message);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Notes what a POST asked for on the request, for metrics and the audit trail. */
function noteMessage(request: FastifyRequest, info: MessageInfo): void {
  if (!request.seen) return;
  request.seen.method = info.calls.length > 1 ? 'batch' : (info.calls[0]?.method ?? (info.kind === 'invalid' ? 'invalid' : 'response'));
  const tool = info.calls.length === 1 ? info.calls[0].tool : undefined;
  if (tool !== undefined) request.seen.tool = tool;
}

export async function mcpRoutes(app: FastifyInstance, options: McpRouteOptions): Promise<void> {
  const { auth, origins } = options;
  app.decorateRequest('principal', null);
  app.decorateRequest('seen', null);
  // Before the body is read: a foreign page (DNS rebinding) and a missing or bad token get nothing.
  app.addHook('onRequest', async (request, reply) => {
    const seen: RequestSeen = { startedAt: performance.now(), method: request.method === 'POST' ? 'unknown' : request.method };
    request.seen = seen;
    const session = firstHeader(request.headers, 'mcp-session-id');
    if (session !== undefined) seen.session = session;
    if (options.onAnswered) {
      const onAnswered = options.onAnswered;
      reply.raw.once('close', () => onAnswered({ ...seen, status: reply.raw.statusCode, subject: request.principal?.subject ?? null }));
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.originAllowed(origin)) throw new RoutedWireError(WireErrors.forbiddenOrigin(), null);
    if (!origins.hostAllowed(request.headers.host)) throw new RoutedWireError(WireErrors.forbiddenHost(), null);
    if (auth) request.principal = await auth.authenticate(request);
  });

  await registerRateLimit(
    app,
    options.rateLimit,
    options.rateLimitKey ?? ((request) => request.principal?.subject ?? request.ip),
    options.rateLimitStore,
    (wire, id) => new RoutedWireError(wire, id),
    // A refused request never reaches the handler: what it asked for is read here, for the audit trail.
    (request) => {
      try {
        noteMessage(request, inspectMessage(JSON.parse(strictUtf8.decode((request.body as Buffer | undefined) ?? Buffer.alloc(0)))));
      } catch {
        // Not JSON: the method stays unknown.
      }
    },
  );

  const endpoint = new McpEndpoint(options);
  app.post(options.path, (request, reply) => endpoint.post(request, reply));
  app.get(options.path, (request, reply) => endpoint.get(request, reply));
  app.delete(options.path, (request, reply) => endpoint.delete(request, reply));
  app.route({
    method: ['PUT', 'PATCH', 'OPTIONS'],
    url: options.path,
    handler: async () => {
      throw new RoutedWireError(WireErrors.methodNotAllowed(), null);
    },
  });
}

/** A client's request, read and checked: its bytes, its message, what the proxy learnt of it, the headers for the upstream. */
interface CheckedPost {
  body: Buffer;
  parsed: Record<string, unknown>;
  info: MessageInfo;
  headers: Record<string, string>;
  gone: ClientGone;
}

/**
 * What the endpoint does with each method: a POST of the stateless era relayed on its own (bridged to a
 * legacy upstream where need be), an initialize that opens a session (bridged to a modern upstream where
 * need be), a POST, GET or DELETE inside a session.
 */
class McpEndpoint {
  private readonly connector: UpstreamConnector;
  private readonly stateSeal: StateSeal;
  private readonly sessions: SessionMap;
  private readonly ownerOf: (principal: Principal | null) => string | undefined;
  private readonly headerCheck: typeof mirroredHeaderMismatch;
  /** What each tool's x-mcp-header marks are, as the tools/list answers relayed here said. */
  private readonly paramHeaders: ParamHeaders;
  private readonly era: UpstreamEra;
  /** The probe of the upstream's era under way, or done (see `probeEraMs`). */
  private probing: Promise<void> | undefined;

  constructor(private readonly options: McpRouteOptions) {
    this.connector = options.connector;
    this.stateSeal = options.stateSeal ?? createStateSeal();
    this.sessions = options.sessions;
    this.ownerOf = options.sessionOwner ?? ((principal: Principal | null) => principal?.subject);
    this.headerCheck = options.headerCheck ?? mirroredHeaderMismatch;
    this.paramHeaders = options.paramHeaders ?? new ParamHeaders();
    this.era = options.era ?? new UpstreamEra('dual');
  }

  async post(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const post = this.check(request, reply);
    if (post.info.protocolVersion !== undefined) return this.statelessPost(request, reply, post);
    if (post.info.isInitialize && firstHeader(request.headers, 'mcp-session-id') === undefined) return this.initialize(request, reply, post);
    const { body, info, headers, gone } = post;
    const session = await this.sessionFor(request, reply, info);
    let answer = await upstreamCall(info.id, () => session.upstream.post(body, headers, info, gone));
    if (this.options.policy?.filters(info)) answer = await this.options.policy.filterToolsList(answer);
    // The upstream ended its session: so is ours, and the client must initialize again.
    if (answer.status === 404) await upstreamCall(info.id, () => this.sessions.remove(session.id));
    return this.relay(reply, answer, session.id);
  }

  async get(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = await this.sessionFor(request, reply, null);
    const answer = await upstreamCall(null, () => session.upstream.get(upstreamRequestHeaders(request.headers), abortOnClose(reply)));
    return this.relay(reply, answer, session.id);
  }

  async delete(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = await this.sessionFor(request, reply, null);
    const answer = await upstreamCall(null, () => session.upstream.delete(upstreamRequestHeaders(request.headers)));
    // 405 means the upstream keeps its sessions; anything else ends ours.
    if (answer.status !== 405) await upstreamCall(null, () => this.sessions.remove(session.id));
    return this.relay(reply, answer, answer.status === 405 ? session.id : undefined);
  }

  /** A POST's body read as JSON-RPC and checked: media type, UTF-8, shape, mirrored headers, scopes, policy, the stateless era's required _meta. */
  private check(request: FastifyRequest, reply: FastifyReply): CheckedPost {
    const { auth, policy } = this.options;
    const contentType = firstHeader(request.headers, 'content-type') ?? '';
    if (!/^application\/json\b/i.test(contentType)) throw new RoutedWireError(WireErrors.unsupportedMediaType(), null);
    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    let parsed: unknown;
    try {
      // JSON-RPC messages are UTF-8: bytes that are not get a parse error, not a guess.
      parsed = JSON.parse(strictUtf8.decode(body));
    } catch {
      throw new RoutedWireError(WireErrors.parseError(), null);
    }
    const info = inspectMessage(parsed);
    noteMessage(request, info);
    if (info.kind === 'invalid') throw new RoutedWireError(WireErrors.invalidRequest('not a JSON-RPC message'), info.id);
    // The stateless era: what the headers mirror must be what the body says, since the body decides here.
    const mismatch = info.protocolVersion === undefined ? undefined : (this.headerCheck(request.headers, info) ?? this.paramMismatch(request.headers, info, parsed));
    if (mismatch) throw new RoutedWireError(WireErrors.headerMismatch(mismatch), info.id);
    if (auth && request.principal) {
      try {
        auth.authorize(request.principal, info.calls);
      } catch (err) {
        throw new RoutedWireError(err as ProxyWireError, info.id);
      }
    }
    const denied = policy?.refusal(info);
    if (denied) throw new RoutedWireError(denied, info.id);
    const incomplete = incompleteStatelessRequest(request, info, parsed as Record<string, unknown>);
    if (incomplete) throw new RoutedWireError(WireErrors.invalidParams(incomplete), info.id);
    return { body, parsed: parsed as Record<string, unknown>, info, headers: upstreamRequestHeaders(request.headers), gone: abortOnClose(reply) };
  }

  /** Why a tools/call's Mcp-Param headers disagree with its arguments, for a tool whose marks a relayed tools/list taught us. */
  private paramMismatch(headers: FastifyRequest['headers'], info: MessageInfo, parsed: unknown): string | undefined {
    if (info.method !== 'tools/call') return undefined;
    return this.paramHeaders.mismatch(headers, info.name, (parsed as { params?: { arguments?: unknown } }).params?.arguments);
  }

  /** The answer to a stateless request, with the policy applied and the tools of a tools/list learned, on its way to the client. */
  private async finish(info: MessageInfo, answer: UpstreamReply): Promise<UpstreamReply> {
    let out = answer;
    if (this.options.policy?.filters(info)) out = await this.options.policy.filterToolsList(out);
    if (info.method === 'tools/list' && out.status >= 200 && out.status < 300) {
      const whole = await readWhole(out);
      this.paramHeaders.learn(messagesOf(whole.reply, whole.bytes));
      out = whole.reply;
    }
    return out;
  }

  /** A request of the stateless era: no session is looked up or kept, so any replica can take the next one. */
  private async statelessPost(request: FastifyRequest, reply: FastifyReply, { body, parsed, info, headers, gone }: CheckedPost): Promise<void> {
    const { connector, era, options } = this;
    if (options.probeEraMs !== undefined && era.mayBeLegacyOnly()) await upstreamCall(info.id, () => this.probeEra(options.probeEraMs!));
    const legacy: LegacyUpstream = { connector, pool: options.legacyPool, principal: this.ownerOf(request.principal) };
    const bridged = () => upstreamCall(info.id, () => bridgeToLegacy(legacy, parsed, info, headers, gone, this.stateSeal));
    if (era.bridgesModern) return this.relay(reply, await this.finish(info, await bridged()), undefined);
    // A stdio server shares its process between requests; an HTTP upstream gets each on a session object of its own.
    const shared = options.sharedStdio;
    const upstream = shared ? undefined : connector.open();
    try {
      let answer = await upstreamCall(info.id, () => (upstream ? upstream.post(body, headers, info, gone) : shared!.post(legacy.principal, parsed, headers, gone)));
      if (answer.status >= 200 && answer.status < 300) era.served('modern');
      else if (answer.status === 400 && era.mayBeLegacyOnly()) {
        const refused = await readWhole(answer);
        answer = refused.reply;
        if (!isModernRefusal(refused.bytes) && (await this.refusesModern(headers))) answer = await bridged();
      }
      await this.relay(reply, await this.finish(info, answer), undefined);
    } finally {
      await upstream?.close();
    }
  }

  /** One probe at a time for every request waiting on it; one that could not reach the server is tried again by the next request. */
  private probeEra(silenceMs: number): Promise<void> {
    this.probing ??= probeEra(this.connector, this.era, silenceMs).catch((err) => {
      this.probing = undefined;
      throw err;
    });
    return this.probing;
  }

  /** An initialize without a session: a new upstream session, kept as the client's (or one bridged to a modern upstream). */
  private async initialize(request: FastifyRequest, reply: FastifyReply, { body, parsed, info, headers, gone }: CheckedPost): Promise<void> {
    const { connector, era, sessions } = this;
    const owner = this.ownerOf(request.principal);
    const version = firstHeader(request.headers, 'mcp-protocol-version');
    const bridged = async () => {
      const opened = await upstreamCall(info.id, () => openBridgedSession(connector, parsed, headers, gone));
      const session = await upstreamCall(info.id, () => sessions.create(opened.session, owner, version));
      if (request.seen) request.seen.session = session.id;
      return this.relay(reply, opened.answer, session.id);
    };
    if (era.bridgesLegacy) return bridged();
    const upstream = connector.open();
    let answer: UpstreamReply;
    try {
      answer = await upstreamCall(info.id, () => upstream.post(body, headers, info, gone));
    } catch (err) {
      await upstream.close();
      throw err;
    }
    if (answer.status === 400 && era.mayBeModernOnly()) {
      const refused = await readWhole(answer);
      answer = refused.reply;
      if (isModernRefusal(refused.bytes)) {
        era.learnModernOnly();
        await upstream.close();
        return bridged();
      }
    }
    if (answer.status < 200 || answer.status >= 300) {
      await this.relay(reply, answer, undefined);
      await upstream.close();
      return;
    }
    era.served('legacy');
    let session: ProxySession;
    try {
      session = await upstreamCall(info.id, () => sessions.create(upstream, owner, version));
    } catch (err) {
      // Not kept, so not the client's: the upstream's session ends here.
      answer.body?.resume();
      await upstream.delete(headers).then((r) => r.body?.resume()).catch(() => undefined);
      await upstream.close();
      throw err;
    }
    if (request.seen) request.seen.session = session.id;
    return this.relay(reply, answer, session.id);
  }

  /** The session a request names, held until it is answered and saved then: 400 without one, 404 for one that is unknown or someone else's. */
  private async sessionFor(request: FastifyRequest, reply: FastifyReply, info: MessageInfo | null): Promise<ProxySession> {
    const { sessions } = this;
    const version = firstHeader(request.headers, 'mcp-protocol-version');
    if (this.options.validateProtocolVersion && version !== undefined && !isKnownProtocolVersion(version)) {
      throw new RoutedWireError(WireErrors.unsupportedProtocolVersion(version), info?.id ?? null);
    }
    const id = firstHeader(request.headers, 'mcp-session-id');
    if (id === undefined) throw new RoutedWireError(WireErrors.sessionRequired(), info?.id ?? null);
    const session = await upstreamCall(info?.id ?? null, () => sessions.get(id));
    // Another subject's session is no session of theirs: the same 404 as an unknown id, so nothing is revealed.
    if (!session || session.owner !== this.ownerOf(request.principal)) throw new RoutedWireError(WireErrors.sessionNotFound(), info?.id ?? null);
    if (version !== undefined) session.protocolVersion = version;
    const release = sessions.hold(session);
    // What the request changed (the upstream session moved to a backup) is kept once it is answered.
    reply.raw.once('close', () => {
      release();
      void sessions.save(session).catch((err) => request.log.warn({ err, session: session.id }, 'the session could not be saved'));
    });
    return session;
  }

  /**
   * A modern request was refused with a 400 that no modern server sends: whether a well-formed
   * `server/discover` is refused too, which makes the upstream legacy (and teaches the era).
   */
  private async refusesModern(clientHeaders: Record<string, string>): Promise<boolean> {
    const { era } = this;
    const probe = { jsonrpc: '2.0', id: 'proxyspec-era-probe', method: 'server/discover', params: { _meta: { [META_VERSION]: MODERN_VERSION, [META_CAPABILITIES]: {} } } };
    const bytes = Buffer.from(JSON.stringify(probe));
    const upstream = this.connector.open();
    try {
      const answer = await upstream.post(bytes, { ...withoutMirroredHeaders(clientHeaders), 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': 'server/discover' }, inspectMessage(probe), new ClientGone());
      const refused = await readWhole(answer);
      if (answer.status >= 200 && answer.status < 300) era.served('modern');
      else if (answer.status === 400 && !isModernRefusal(refused.bytes)) era.learnLegacyOnly();
      return era.bridgesModern;
    } catch {
      return false;
    } finally {
      await upstream.close();
    }
  }

  private relay(reply: FastifyReply, answer: UpstreamReply, sessionId: string | undefined): Promise<void> {
    return relay(reply, answer, sessionId, this.options.openStreams);
  }
}

/**
 * Why a request of the stateless era is malformed, or undefined: its `_meta` lacks a field that every
 * request of 2026-07-28 carries, the protocol version (its header names a stateless revision, and it
 * opens or names no session) or the client's capabilities. Such a request "MUST" be rejected with
 * -32602 and, on HTTP, 400 (basic/index.mdx, "_meta"): the proxy does it, whatever its upstream.
 */
function incompleteStatelessRequest(request: FastifyRequest, info: MessageInfo, parsed: Record<string, unknown>): string | undefined {
  if (info.kind !== 'request') return undefined;
  const meta = (parsed.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  if (info.protocolVersion === undefined) {
    const header = firstHeader(request.headers, 'mcp-protocol-version');
    const stateless = header !== undefined && isKnownProtocolVersion(header) && !LEGACY_VERSIONS.includes(header);
    if (!stateless || info.isInitialize || firstHeader(request.headers, 'mcp-session-id') !== undefined) return undefined;
    return `_meta lacks ${META_VERSION}, which every request of ${header} carries`;
  }
  if (typeof meta?.[META_CAPABILITIES] !== 'object' || meta[META_CAPABILITIES] === null) return `_meta lacks ${META_CAPABILITIES}, which every request of ${info.protocolVersion} carries`;
  return undefined;
}

/** A signal that the client went away before its answer was complete. */
function abortOnClose(reply: FastifyReply): ClientGone {
  const gone = new ClientGone();
  reply.raw.once('close', () => {
    // Ended by us (answer complete) is not the client going away.
    if (!reply.raw.writableEnded) gone.abort();
  });
  return gone;
}

/** An upstream call whose wire error answers the request `id`. */
async function upstreamCall<T>(id: RpcId, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProxyWireError) throw new RoutedWireError(err, id);
    throw err;
  }
}
