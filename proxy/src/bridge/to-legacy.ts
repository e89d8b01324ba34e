/**
 * A modern client (2026-07-28) in front of a legacy upstream (2025-11-25 and earlier). Each modern
 * request stands alone, so the bridge gives each its own upstream session: `initialize` with the
 * client's capabilities and identity from the request's `_meta`, `notifications/initialized`, the
 * request, then DELETE once its answer has been read. Nothing is kept between requests, so any
 * replica can take the next one.
 *
 * On the way back, what 2026-07-28 forbids a server to send becomes what it prescribes: a result gets
 * `resultType: "complete"` and the server's identity in its `_meta`; the retired -32002 (resource not
 * found) becomes -32602; a request the upstream sends the client (sampling, elicitation, roots) is
 * never forwarded, since a modern server asks only through `input_required` results: the upstream
 * is told the client cannot answer, and the call ends as the upstream then decides.
 */
import { WireErrors } from '../errors.ts';
import { inspectMessage, type MessageInfo } from '../protocol/message.ts';
import type { ClientGone, UpstreamConnector, UpstreamReply, UpstreamSession } from '../upstream/types.ts';
import { emptyReply, jsonReply, mapAnswer, readMessages, responseTo, type Message } from './answers.ts';
import { LEGACY_VERSION, LOG_LEVELS, META_CAPABILITIES, META_LOG_LEVEL, META_CLIENT_INFO, META_SERVER_INFO, META_VERSION, MODERN_VERSION, PROXY_INFO, metaOf, withMeta, withoutMirroredHeaders } from './meta.ts';
import { RPC } from '../protocol/codes.ts';

/** Retired by 2026-07-28, with what a modern client gets instead. */
const RETIRED_CODES = new Map<number, number>([
  [RPC.resourceNotFound, RPC.invalidParams],
  [RPC.urlElicitationRequired, RPC.internalError], // a modern server asks through input_required
]);

/** Methods of the session era that 2026-07-28 removed: a modern client asking for one gets 404 with -32601, as from a modern server. */
const REMOVED_METHODS = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/** The client capability each server→client request of the session era needs. */
const NEEDED_CAPABILITY: Record<string, string> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

/** The HTTP status 2026-07-28 gives a whole answer that is this error: 404 for a method not found, 400 for a missing client capability. */
function modernStatus(message: Message): number | undefined {
  const code = (message.error as { code?: unknown } | undefined)?.code;
  if (code === RPC.methodNotFound) return 404;
  if (code === RPC.missingClientCapability) return 400;
  return undefined;
}

/** What the bridge answers itself, before any upstream session: a version it cannot serve, a method the client's revision removed. */
function refusedOutright(info: MessageInfo): UpstreamReply | undefined {
  if (info.protocolVersion !== MODERN_VERSION) {
    const requested = info.protocolVersion ?? null;
    return jsonReply(400, { jsonrpc: '2.0', id: info.id, error: { code: RPC.unsupportedProtocolVersion, message: `Unsupported protocol version ${String(requested)}`, data: { supported: [MODERN_VERSION], requested } } });
  }
  if (info.method !== undefined && REMOVED_METHODS.has(info.method)) {
    return jsonReply(404, { jsonrpc: '2.0', id: info.id, error: { code: RPC.methodNotFound, message: `Method not found: ${MODERN_VERSION} has no ${info.method}` } });
  }
  return undefined;
}

/** The modern `_meta` keys, which the legacy upstream learns from `initialize` instead. */
function legacyMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) if (key !== META_VERSION && key !== META_CAPABILITIES && key !== META_CLIENT_INFO) out[key] = value;
  return out;
}

/** Lists whose results 2026-07-28 requires to say how long, and for whom, they may be cached. */
const LISTS = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']);

/** JSON text of a message; one nested too deeply to write again is refused as the client's invalid request. */
function serialize(message: Message): Buffer {
  try {
    return Buffer.from(JSON.stringify(message));
  } catch (err) {
    if (err instanceof RangeError) throw WireErrors.invalidRequest('the message is nested too deeply to be bridged');
    throw err;
  }
}

const post = (session: UpstreamSession, message: Message, headers: Record<string, string>, gone: ClientGone) => session.post(serialize(message), headers, inspectMessage(message), gone);

/**
 * What a modern client gets for one message of the legacy upstream's answer; `logLevel` is the index
 * of the level the request asked for (-1: none). A request of the upstream's is refused upstream, and
 * `refuse` says what the client gets instead (null: nothing, the call goes on).
 */
function toModern(message: Message, serverInfo: unknown, logLevel: number, refuse: (request: Message) => Message | null, listing: boolean): Message | null {
  if (typeof message.method === 'string') {
    if ('id' in message) return refuse(message);
    // A log message is the request's only if it asked for that level or a lower one (2026-07-28 logging: "MUST NOT emit" otherwise).
    if (message.method === 'notifications/message') {
      const level = LOG_LEVELS.indexOf(String((message.params as { level?: unknown } | undefined)?.level));
      if (logLevel < 0 || level < logLevel) return null;
    }
    // A notification about this request (progress, a log message) is still one in 2026-07-28.
    return message;
  }
  if (message.result && typeof message.result === 'object') {
    const result = message.result as Record<string, unknown>;
    const meta = { [META_SERVER_INFO]: serverInfo, ...((result._meta as Record<string, unknown> | undefined) ?? {}) };
    // A legacy server says nothing of caching, and what it lists may be the session's own: nothing to cache, and for this client only.
    const hints = listing ? { ttlMs: result.ttlMs ?? 0, cacheScope: result.cacheScope ?? 'private' } : {};
    return { ...message, result: { ...result, ...hints, resultType: result.resultType ?? 'complete', _meta: meta } };
  }
  const error = message.error as { code?: unknown } | undefined;
  const code = typeof error?.code === 'number' ? RETIRED_CODES.get(error.code) : undefined;
  return code === undefined ? message : { ...message, error: { ...error, code } };
}

export async function bridgeToLegacy(connector: UpstreamConnector, message: Message, info: MessageInfo, clientHeaders: Record<string, string>, gone: ClientGone): Promise<UpstreamReply> {
  // A notification has no session upstream to belong to; in this era it asks nothing of the server.
  if (info.kind === 'notification') return emptyReply(202);
  const refused = refusedOutright(info);
  if (refused) return refused;
  if (info.method === 'subscriptions/listen') {
    return jsonReply(404, { jsonrpc: '2.0', id: info.id, error: { code: RPC.methodNotFound, message: 'Method not found: subscriptions are not bridged to a legacy upstream' } });
  }
  const meta = metaOf(message);
  const carried = legacyMeta(meta);
  delete carried.progressToken;
  const headers = withoutMirroredHeaders(clientHeaders);
  const session = connector.open();
  let opened = false;
  let versionHeaders = headers;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    if (!opened) return void session.close();
    session
      .delete(versionHeaders)
      .then((reply) => reply.body?.resume())
      .catch(() => undefined)
      .finally(() => void session.close());
  };
  try {
    const initialize = {
      jsonrpc: '2.0',
      id: info.id,
      method: 'initialize',
      params: {
        protocolVersion: LEGACY_VERSION,
        capabilities: meta[META_CAPABILITIES] ?? {},
        clientInfo: meta[META_CLIENT_INFO] ?? PROXY_INFO,
        ...(Object.keys(carried).length > 0 && { _meta: carried }),
      },
    };
    const initReply = await post(session, initialize, headers, gone);
    const initialized = responseTo(await readMessages(initReply), info.id);
    const init = initialized?.result as { protocolVersion?: unknown; capabilities?: unknown; serverInfo?: unknown; instructions?: unknown } | undefined;
    if (initReply.status < 200 || initReply.status >= 300 || !init) throw WireErrors.upstreamUnavailable(`the legacy upstream refused initialize (HTTP ${initReply.status})`);
    opened = true;
    const version = typeof init.protocolVersion === 'string' ? init.protocolVersion : LEGACY_VERSION;
    versionHeaders = { ...headers, 'mcp-protocol-version': version };
    const ack = await post(session, { jsonrpc: '2.0', method: 'notifications/initialized', ...(Object.keys(carried).length > 0 && { params: { _meta: carried } }) }, versionHeaders, gone);
    ack.body?.resume();
    // The request's log level is its session's, in the legacy era.
    const logLevel = LOG_LEVELS.indexOf(String(meta[META_LOG_LEVEL]));
    const logging = (init.capabilities as { logging?: unknown } | undefined)?.logging !== undefined;
    if (logLevel >= 0 && logging && info.method !== 'server/discover') {
      const set = await post(session, { jsonrpc: '2.0', id: `${String(info.id)}-log-level`, method: 'logging/setLevel', params: { level: LOG_LEVELS[logLevel] } }, versionHeaders, gone);
      await readMessages(set);
    }

    if (info.method === 'server/discover') {
      end();
      const result = {
        supportedVersions: [MODERN_VERSION],
        capabilities: init.capabilities ?? {},
        ...(typeof init.instructions === 'string' && { instructions: init.instructions }),
        resultType: 'complete',
        // What a legacy server says in initialize holds for its session only: nothing to cache.
        ttlMs: 0,
        cacheScope: 'private',
        _meta: { [META_SERVER_INFO]: init.serverInfo, ...legacyMeta(meta) },
      };
      return jsonReply(200, { jsonrpc: '2.0', id: info.id, result });
    }

    const declared = (meta[META_CAPABILITIES] ?? {}) as Record<string, unknown>;
    // Once the client has its answer (a refusal of the bridge's making), nothing more of the upstream's reaches it.
    let settled = false;
    const refuse = (request: Message): Message | null => {
      const answer = { jsonrpc: '2.0', id: request.id, error: { code: RPC.methodNotFound, message: `The client cannot be asked ${String(request.method)}: in ${MODERN_VERSION} a server asks through input_required results, which this bridge does not make` } };
      post(session, answer, versionHeaders, gone)
        .then((reply) => reply.body?.resume())
        .catch(() => undefined);
      // A request needing a capability the client did not declare is refused as a modern server refuses it.
      const needed = NEEDED_CAPABILITY[String(request.method)];
      if (needed === undefined || needed in declared) return null;
      settled = true;
      return { jsonrpc: '2.0', id: info.id, error: { code: RPC.missingClientCapability, message: `Missing required client capability: ${needed}`, data: { requiredCapabilities: { [needed]: {} } } } };
    };
    const forwarded = withMeta(message, legacyMeta(meta));
    const reply = await post(session, forwarded, versionHeaders, gone);
    return await mapAnswer(reply, (m) => (settled ? null : toModern(m, init.serverInfo, logLevel, refuse, LISTS.has(String(info.method)))), end, modernStatus);
  } catch (err) {
    end();
    throw err;
  }
}
