/**
 * What a proxy that bridges eras must change, and nothing else (MCP 2026-07-28, "Versioning:
 * Backward Compatibility"). When the run's upstream serves the other era only (a legacy upstream
 * under 2026-07-28, a modern one under a session revision), the comparison checks hold each leg to
 * the other through these views, so that a bridge is not blamed for bridging and is still blamed for
 * anything else it changes.
 *
 * Towards a legacy upstream, a request's version, capabilities, identity and log level leave its
 * `_meta` for the session's `initialize`. Towards a 2026-07-28 client, a result gains `resultType`
 * and the server's identity in `_meta`, and a list its cache hints, which a legacy server never sends.
 */
import { HEADER, META, isRevision, isStateless, recordBodyJson, requestProtocolVersion, type Revision, type UpstreamRecord } from '../../../wire/index.ts';
import type { TargetInfo } from '../context.ts';

export type Bridge = 'to-legacy' | 'to-modern';

/** How the run's client and upstream differ in era, if they do: what a proxy between them must bridge. */
export function bridgeOf(target: Pick<TargetInfo, 'upstreamEra'>, revision: Revision): Bridge | undefined {
  if (target.upstreamEra === 'legacy' && isStateless(revision)) return 'to-legacy';
  if (target.upstreamEra === 'modern' && !isStateless(revision)) return 'to-modern';
  return undefined;
}

/** The revision a request declares for itself (its `MCP-Protocol-Version` header, its `_meta` version, its `initialize`), if it does. */
export function declaredRevision(headers: Record<string, string | string[]> | undefined, message: unknown): Revision | undefined {
  const header = headers?.[HEADER.protocolVersion];
  const m = (message ?? {}) as { method?: unknown; params?: { protocolVersion?: unknown } };
  const candidates = [Array.isArray(header) ? header[0] : header, requestProtocolVersion(m.params), m.method === 'initialize' ? m.params?.protocolVersion : undefined];
  return candidates.find((c): c is Revision => isRevision(c));
}

/**
 * The era a request reached the upstream in, by what it carries: a stateless revision it declares,
 * or else a session (an `Mcp-Session-Id`, or a stdio server's initialized session); unknown when it
 * shows neither.
 */
export function eraOnTheWire(record: Pick<UpstreamRecord, 'sessionId' | 'bodyBase64' | 'headers'>): 'stateless' | 'session' | undefined {
  const declared = declaredRevision(record.headers, recordBodyJson(record));
  if (declared !== undefined && isStateless(declared)) return 'stateless';
  return record.sessionId ? 'session' : undefined;
}

/**
 * The bridge a proxy made for one request, as the wire shows it: the run's (an upstream of one era
 * only), or the proxy's own choice in front of an upstream that serves both, when it spoke to it in
 * the other era (a 2026-07-28 client's request carried in a legacy session, say). A proxy may bridge
 * where it need not; the checks then hold it to what bridging must change, and nothing else.
 */
export function bridgeSeen(target: Pick<TargetInfo, 'upstreamEra'>, revision: Revision, upstreamRequest: Pick<UpstreamRecord, 'sessionId' | 'bodyBase64' | 'headers'> | undefined): Bridge | undefined {
  const declared = bridgeOf(target, revision);
  if (declared || !upstreamRequest) return declared;
  const era = eraOnTheWire(upstreamRequest);
  if (isStateless(revision) && era === 'session') return 'to-legacy';
  if (!isStateless(revision) && era === 'stateless') return 'to-modern';
  return undefined;
}

/** The `_meta` keys of a 2026-07-28 request that live in a legacy session's `initialize` instead (and the log level in logging/setLevel). */
const REQUEST_SCOPED = [META.protocolVersion, META.clientCapabilities, META.clientInfo, META.logLevel];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy of a message whose params' `_meta` lacks these keys (and `_meta` itself when nothing is left). */
function withoutMeta(message: Json, keys: readonly string[]): Json {
  if (!isObject(message.params) || !isObject(message.params._meta)) return message;
  const meta = Object.fromEntries(Object.entries(message.params._meta).filter(([key]) => !keys.includes(key)));
  const params = { ...message.params, _meta: meta };
  if (Object.keys(meta).length === 0) delete (params as Json)._meta;
  return { ...message, params };
}

/**
 * A request as the two legs may differ on it: between a 2026-07-28 client and a legacy upstream, the
 * client's request-scoped `_meta` is left out of both (its place upstream is the session's initialize).
 */
export function requestView(message: unknown, bridge: Bridge | undefined): unknown {
  if (!bridge || !isObject(message)) return message;
  return withoutMeta(message, REQUEST_SCOPED);
}

/**
 * An answer as the two legs may differ on it: between a legacy upstream and a 2026-07-28 client, the
 * members a bridge adds to a result where the upstream had none (`resultType: "complete"`, the
 * server's identity in `_meta`, `ttlMs` and `cacheScope`) are left out of the client's copy. What the
 * upstream did send must still arrive as it was sent; a `resultType` other than "complete" is kept,
 * so that it shows.
 */
export function answerView(clientCopy: unknown, upstreamCopy: unknown, bridge: Bridge | undefined): unknown {
  if (bridge !== 'to-legacy' || !isObject(clientCopy)) return clientCopy;
  if (isObject(clientCopy.error)) return { ...clientCopy, error: errorView(clientCopy.error, isObject(upstreamCopy) ? upstreamCopy.error : undefined) };
  if (!isObject(clientCopy.result)) return clientCopy;
  const sent = isObject(upstreamCopy) && isObject(upstreamCopy.result) ? upstreamCopy.result : {};
  const result: Json = { ...clientCopy.result };
  if (!('resultType' in sent) && result.resultType === 'complete') delete result.resultType;
  for (const hint of ['ttlMs', 'cacheScope']) if (!(hint in sent)) delete result[hint];
  if (isObject(result._meta) && !(isObject(sent._meta) && META.serverInfo in sent._meta)) {
    const meta = Object.fromEntries(Object.entries(result._meta).filter(([key]) => key !== META.serverInfo));
    if (Object.keys(meta).length === 0 && !('_meta' in sent)) delete result._meta;
    else result._meta = meta;
  }
  return { ...clientCopy, result };
}

/** Error codes 2026-07-28 retired, and the ones a bridge must send its clients instead (basic/index.mdx, "Error Codes"). */
const RETIRED_CODES = new Map<number, number>([
  [-32002, -32602], // resource not found is invalid params
  [-32042, -32603], // URL elicitation is asked through input_required
]);

/** A bridged error as the upstream sent it, where the only difference is the code 2026-07-28 puts in place of a retired one. */
function errorView(clientError: Json, upstreamError: unknown): Json {
  const sent = isObject(upstreamError) ? upstreamError.code : undefined;
  return typeof sent === 'number' && RETIRED_CODES.get(sent) === clientError.code ? { ...clientError, code: sent } : clientError;
}
