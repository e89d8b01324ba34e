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
 * never forwarded, since a modern server asks only through `input_required` results.
 *
 * Multi round-trip requests keep nothing between requests either. The upstream's request of the
 * client ends the client's call with an `input_required` result that carries it (the upstream is told
 * the client is asked that way, so its call ends). The client's retry runs the call again in a new
 * session, where each request of the upstream's is answered from the retry's `inputResponses`, or
 * from the answers of earlier rounds, which the `requestState` carries; the first one not answered
 * yet ends that round the same way. A legacy server that acts before it asks acts once per round.
 */
import { WireErrors } from '../errors.ts';
import { inspectMessage, type MessageInfo } from '../protocol/message.ts';
import type { ClientGone, SendOptions, UpstreamConnector, UpstreamReply, UpstreamSession } from '../upstream/types.ts';
import { PassThrough } from 'node:stream';
import { emptyReply, isObject, jsonReply, mapAnswer, readMessages, responseTo, serialize, type Message } from './answers.ts';
import { LegacyPool, type LegacyPoolConfig } from './legacy-pool.ts';
import { LEGACY_VERSION, LOG_LEVELS, META_CAPABILITIES, META_LOG_LEVEL, META_CLIENT_INFO, META_SERVER_INFO, META_VERSION, MODERN_VERSION, META_SUBSCRIPTION_ID, PROXY_INFO, metaOf, withMeta, withoutMirroredHeaders } from './meta.ts';
import { RPC } from '../protocol/codes.ts';
import type { StateSeal } from './state-seal.ts';

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


const post = (session: UpstreamSession, message: Message, headers: Record<string, string>, gone: ClientGone, options?: SendOptions) => session.post(serialize(message), headers, inspectMessage(message), gone, options);
/** The bridge's own requests around a client's (its session's opening and end, a log level, answers to the upstream's requests): not what the circuit counts successes of. */
const OWN: SendOptions = { bookkeeping: true };

/**
 * The answers of earlier rounds of a multi round-trip request, as its requestState carries them:
 * none without one; a state the bridge did not seal, or one changed since, is refused (-32602).
 */
function earlierAnswers(state: unknown, seal: StateSeal): Record<string, unknown> {
  if (state === undefined) return {};
  const value = typeof state === 'string' ? seal.open(state) : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw WireErrors.invalidParams('requestState is not one this proxy issued, or it was changed');
  return value as Record<string, unknown>;
}

/** The request without what a legacy server knows nothing of: the answers of a multi round-trip request and its state. */
function withoutRounds(message: Message): Message {
  const { inputResponses: _answers, requestState: _state, ...params } = (message.params ?? {}) as Record<string, unknown>;
  return { ...message, params };
}

/**
 * What a modern client gets for one message of the legacy upstream's answer; `logLevel` is the index
 * of the level the request asked for (-1: none). A request of the upstream's is refused upstream, and
 * `refuse` says what the client gets instead (null: nothing, the call goes on). `requestUri` is the
 * resource the request named, which a resource-not-found error names in its `data` when the
 * upstream's did not.
 */
function toModern(message: Message, serverInfo: unknown, logLevel: number, refuse: (request: Message) => Message | null, listing: boolean, requestUri?: unknown): Message | null {
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
  const error = message.error as { code?: unknown; data?: unknown } | undefined;
  const code = typeof error?.code === 'number' ? RETIRED_CODES.get(error.code) : undefined;
  if (code === undefined) return message;
  const data = error?.code === RPC.resourceNotFound && typeof requestUri === 'string' && (error.data === undefined || isObject(error.data)) ? { uri: requestUri, ...(error.data as Message | undefined) } : error?.data;
  return { ...message, error: { ...error, code, ...(data !== undefined && { data }) } };
}

const isListChange = (message: Message) => typeof message.method === 'string' && !('id' in message) && LIST_CHANGES.some((c) => c.notification === message.method);

/** What a legacy session's initialize answered, as far as the bridge reads it. */
interface LegacyInit {
  protocolVersion?: unknown;
  capabilities?: Record<string, { listChanged?: unknown } | undefined>;
  serverInfo?: unknown;
  instructions?: unknown;
}

/** What a legacy session's initialize settled: the server's answer, and the headers of every request after it. */
interface OpenedLegacy {
  init: LegacyInit;
  versionHeaders: Record<string, string>;
}

/** Where the bridge opens its legacy sessions: the connector, and for a stdio upstream the pool that keeps them between requests. */
export interface LegacyUpstream {
  connector: UpstreamConnector;
  pool?: LegacyPool<OpenedLegacy>;
  /** Who is asking (the principal's subject), which a kept session is kept for. */
  principal?: string;
}

/** A pool for the bridge's legacy sessions; a session it does not keep is ended as any other (DELETE, then closed). */
export function createLegacyPool(connector: UpstreamConnector, config: LegacyPoolConfig): LegacyPool<OpenedLegacy> {
  return new LegacyPool<OpenedLegacy>(connector, config, ({ session, opened }) => endLegacySession(session, opened.versionHeaders));
}

function endLegacySession(session: UpstreamSession, versionHeaders: Record<string, string> | undefined): void {
  if (!versionHeaders) return void session.close();
  session
    .delete(versionHeaders, OWN)
    .then((reply) => reply.body?.resume())
    .catch(() => undefined)
    .finally(() => void session.close());
}

/** The session a request may share with others: same principal, same declared capabilities and identity (what initialize told the server). */
function sessionKey(principal: string | undefined, meta: Record<string, unknown>): string {
  return JSON.stringify([principal ?? null, meta[META_CAPABILITIES] ?? {}, meta[META_CLIENT_INFO] ?? PROXY_INFO]);
}

/**
 * A legacy session for one modern request: one the pool kept for the same key, or a new one,
 * opened with `initialize` carrying the client's capabilities and identity from the request's
 * `_meta` (and its other `_meta`, the progress token aside), then `notifications/initialized`.
 * `end` gives it back, once: to the pool when `reusable` and there is one, else it is closed
 * (DELETE once it was opened).
 */
function openLegacySession(upstream: LegacyUpstream, info: MessageInfo, meta: Record<string, unknown>, headers: Record<string, string>, gone: ClientGone) {
  const carried = legacyMeta(meta);
  delete carried.progressToken;
  const { pool } = upstream;
  const key = sessionKey(upstream.principal, meta);
  const kept = pool?.take(key);
  let ended = false;
  if (kept) {
    const end = (reusable = false) => {
      if (ended) return;
      ended = true;
      pool!.give(kept, reusable);
    };
    return { session: kept.session, end, opened: Promise.resolve({ ...kept.opened, carried }) };
  }
  const session = pool ? pool.open() : upstream.connector.open();
  let settled: OpenedLegacy | undefined;
  const end = (reusable = false) => {
    if (ended) return;
    ended = true;
    if (pool && settled) pool.give({ key, session, opened: settled }, reusable);
    else endLegacySession(session, settled?.versionHeaders);
  };
  const opened = (async () => {
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
    const initReply = await post(session, initialize, headers, gone, OWN);
    const init = responseTo(await readMessages(initReply), info.id)?.result as LegacyInit | undefined;
    if (initReply.status < 200 || initReply.status >= 300 || !init) throw WireErrors.upstreamUnavailable(`the legacy upstream refused initialize (HTTP ${initReply.status})`);
    const versionHeaders: Record<string, string> = { ...headers, 'mcp-protocol-version': typeof init.protocolVersion === 'string' ? init.protocolVersion : LEGACY_VERSION };
    settled = { init, versionHeaders };
    const ack = await post(session, { jsonrpc: '2.0', method: 'notifications/initialized', ...(Object.keys(carried).length > 0 && { params: { _meta: carried } }) }, versionHeaders, gone, OWN);
    ack.body?.resume();
    return { init, versionHeaders, carried };
  })();
  return { session, end, opened };
}

export async function bridgeToLegacy(upstream: LegacyUpstream, message: Message, info: MessageInfo, clientHeaders: Record<string, string>, gone: ClientGone, seal: StateSeal): Promise<UpstreamReply> {
  // A notification has no session upstream to belong to; in this era it asks nothing of the server.
  if (info.kind === 'notification') return emptyReply(202);
  const refused = refusedOutright(info);
  if (refused) return refused;
  if (info.method === 'subscriptions/listen') return bridgeListen(upstream, message, info, clientHeaders, gone);
  const meta = metaOf(message);
  const params = (message.params ?? {}) as { inputResponses?: unknown; requestState?: unknown };
  // Checked before any upstream session: a state this proxy did not issue, or answers that are no object, are refused outright.
  if ('inputResponses' in params && !isObject(params.inputResponses)) throw WireErrors.invalidParams('inputResponses must be an object of answers by request key');
  const answers = { ...earlierAnswers(params.requestState, seal), ...(params.inputResponses as Record<string, unknown> | undefined) };
  const legacy = openLegacySession(upstream, info, meta, withoutMirroredHeaders(clientHeaders), gone);
  const { session, end } = legacy;
  try {
    const { init, versionHeaders } = await legacy.opened;
    // The request's log level is its session's, in the legacy era.
    const logLevel = LOG_LEVELS.indexOf(String(meta[META_LOG_LEVEL]));
    const logging = (init.capabilities as { logging?: unknown } | undefined)?.logging !== undefined;
    if (logLevel >= 0 && logging && info.method !== 'server/discover') {
      const set = await post(session, { jsonrpc: '2.0', id: `${String(info.id)}-log-level`, method: 'logging/setLevel', params: { level: LOG_LEVELS[logLevel] } }, versionHeaders, gone, OWN);
      await readMessages(set);
    }

    if (info.method === 'server/discover') {
      end(true);
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
    const asked = new Map<string, number>();
    // Once the client has its answer (one of the bridge's making), nothing more of the upstream's reaches it.
    let settled = false;
    const answerUpstream = (answer: Message) =>
      void post(session, { jsonrpc: '2.0', ...answer }, versionHeaders, gone, OWN)
        .then((reply) => reply.body?.resume())
        .catch(() => undefined);
    const decline = (request: Message, why: string) => answerUpstream({ id: request.id, error: { code: RPC.methodNotFound, message: why } });
    const serverRequest = (request: Message): Message | null => {
      const method = String(request.method);
      const needed = NEEDED_CAPABILITY[method];
      if (needed === undefined) {
        decline(request, `Method not found: a ${MODERN_VERSION} client is asked nothing but through input_required results`);
        return null;
      }
      // A request needing a capability the client did not declare is refused as a modern server refuses it.
      if (!(needed in declared)) {
        decline(request, `The client did not declare ${needed}`);
        settled = true;
        return { jsonrpc: '2.0', id: info.id, error: { code: RPC.missingClientCapability, message: `Missing required client capability: ${needed}`, data: { requiredCapabilities: { [needed]: {} } } } };
      }
      const round = (asked.get(method) ?? 0) + 1;
      asked.set(method, round);
      const key = `${method}#${round}`;
      if (key in answers) {
        answerUpstream({ id: request.id, result: answers[key] });
        return null;
      }
      decline(request, 'The client is asked through an input_required result; this round of the call ends here');
      settled = true;
      const requestState = seal.seal(answers);
      return { jsonrpc: '2.0', id: info.id, result: { inputRequests: { [key]: { method, params: request.params } }, requestState, resultType: 'input_required', _meta: { [META_SERVER_INFO]: init.serverInfo } } };
    };
    const forwarded = withMeta(withoutRounds(message), legacyMeta(meta));
    const reply = await post(session, forwarded, versionHeaders, gone);
    // The session may serve another request once the upstream has answered this one in full and the client did not leave first.
    let answered = false;
    const requestUri = (message.params as { uri?: unknown } | undefined)?.uri;
    const map = (m: Message): Message | null => {
      if (m.id === info.id && ('result' in m || 'error' in m)) answered = true;
      if (upstream.pool && isListChange(m)) upstream.pool.publish(upstream.principal ?? '', m);
      return settled ? null : toModern(m, init.serverInfo, logLevel, serverRequest, LISTS.has(String(info.method)), requestUri);
    };
    return await mapAnswer(reply, map, () => end(answered && !gone.aborted), modernStatus);
  } catch (err) {
    end();
    throw err;
  }
}

/** The list changes a subscription may ask for, and the legacy capability and notification of each. */
const LIST_CHANGES = [
  { filter: 'toolsListChanged', capability: 'tools', notification: 'notifications/tools/list_changed' },
  { filter: 'promptsListChanged', capability: 'prompts', notification: 'notifications/prompts/list_changed' },
  { filter: 'resourcesListChanged', capability: 'resources', notification: 'notifications/resources/list_changed' },
] as const;

/**
 * subscriptions/listen over a legacy upstream. The acknowledgement comes first and names the changes
 * asked for that the upstream declared it announces (`listChanged`); each such announcement then
 * reaches the client tagged with the subscription's id, until the client closes its stream.
 *
 * Over HTTP the subscription holds a legacy session of its own, and what the upstream announces in
 * it (on its GET stream) is relayed. Over stdio, where the bridge keeps its sessions in a pool, a
 * change happens in the server process that ran the request making it: the subscription hears every
 * list change announced in the principal's sessions, and holds none itself.
 */
async function bridgeListen(upstream: LegacyUpstream, message: Message, info: MessageInfo, clientHeaders: Record<string, string>, gone: ClientGone): Promise<UpstreamReply> {
  const legacy = openLegacySession(upstream, info, metaOf(message), withoutMirroredHeaders(clientHeaders), gone);
  const { session, end } = legacy;
  try {
    const { init, versionHeaders, carried } = await legacy.opened;
    const asked = ((message.params as { notifications?: Record<string, unknown> } | undefined)?.notifications ?? {}) as Record<string, unknown>;
    const honoured = LIST_CHANGES.filter((c) => asked[c.filter] === true && init.capabilities?.[c.capability]?.listChanged === true);
    const { pool } = upstream;
    if (pool) end(true);
    const stream = pool ? undefined : await session.get(versionHeaders, gone).catch(() => undefined);
    const out = new PassThrough();
    const send = (m: Message) => out.write(`event: message\ndata: ${JSON.stringify(m)}\n\n`);
    const tag = { [META_SUBSCRIPTION_ID]: info.id };
    send({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { ...carried, ...tag }, notifications: Object.fromEntries(honoured.map((c) => [c.filter, true])) } });
    const wanted = new Set<string>(honoured.map((c) => c.notification));
    const tagged = (m: Message) => (typeof m.method === 'string' && wanted.has(m.method) && !('id' in m) ? withMeta(m, { ...metaOf(m), ...tag }) : null);
    let unwatch = () => {};
    const finish = () => {
      unwatch();
      stream?.body?.destroy();
      if (!out.writableEnded) out.end();
      end();
    };
    if (pool) {
      unwatch = pool.watch(upstream.principal ?? '', (m) => {
        const relayed = m && tagged(m);
        if (m === null) finish();
        else if (relayed) send(relayed);
      });
    } else if (stream?.body && stream.status >= 200 && stream.status < 300) {
      const relayed = await mapAnswer(stream, tagged, () => undefined);
      relayed.body?.pipe(out, { end: false });
      relayed.body?.once('end', finish);
      relayed.body?.once('error', finish);
    }
    out.once('close', finish);
    gone.once('abort', finish);
    return { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, body: out };
  } catch (err) {
    end();
    throw err;
  }
}
