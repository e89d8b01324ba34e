/**
 * A legacy client (2025-11-25 and earlier) in front of a modern upstream (2026-07-28). The client's
 * session lives in the proxy alone: its `initialize` is answered from the upstream's
 * `server/discover`, and each request after it goes upstream on its own, with the protocol version,
 * the capabilities and the identity the client declared in `initialize` in its `_meta`, and the
 * headers that mirror its body: for a tools/call, an Mcp-Param header per argument the tool marks
 * with x-mcp-header (learnt from the upstream's tools/list, which leaves out a tool whose marks
 * break the rules, as a 2026-07-28 client over HTTP must). `ping` is answered here (2026-07-28 has none), notifications stay
 * here, a GET stream is refused with 405 (the transport's answer for a server that offers none) and
 * DELETE ends the session here.
 *
 * On the way back: a legacy client takes HTTP 404 for "your session is gone", so a modern server's
 * 404 for an unknown method reaches it as a plain JSON-RPC error; and an `input_required` result,
 * which a legacy client cannot read, becomes an error that says what the upstream wanted.
 */
import type { MessageInfo } from '../protocol/message.ts';
import { NAME_FIELDS, inspectMessage } from '../protocol/message.ts';
import { encodedHeaderValue } from '../protocol/mirrored.ts';
import { invalidMarks, paramHeadersFor } from '../protocol/param-headers.ts';
import { WireErrors } from '../errors.ts';
import type { ClientGone, UpstreamConnector, UpstreamReply, UpstreamSession } from '../upstream/types.ts';
import { emptyReply, isObject, jsonReply, mapAnswer, readMessages, responseTo, type Message } from './answers.ts';
import { LEGACY_VERSION, LEGACY_VERSIONS, META_CAPABILITIES, META_CLIENT_INFO, META_SERVER_INFO, META_VERSION, MODERN_VERSION, metaOf, withMeta } from './meta.ts';
import { RPC } from '../protocol/codes.ts';


export interface BridgedSession {
  session: UpstreamSession;
  /** The answer to the client's initialize. */
  answer: UpstreamReply;
}

/** The legacy client's `initialize`, answered from the modern upstream's `server/discover`; the session that carries the rest. */
export async function openBridgedSession(connector: UpstreamConnector, initialize: Message, clientHeaders: Record<string, string>, gone: ClientGone): Promise<BridgedSession> {
  const params = (initialize.params ?? {}) as { protocolVersion?: unknown; capabilities?: unknown; clientInfo?: unknown };
  const requested = typeof params.protocolVersion === 'string' ? params.protocolVersion : LEGACY_VERSION;
  const version = LEGACY_VERSIONS.includes(requested) ? requested : LEGACY_VERSION;
  const declared: Record<string, unknown> = { [META_VERSION]: MODERN_VERSION, [META_CAPABILITIES]: params.capabilities ?? {} };
  if (params.clientInfo !== undefined) declared[META_CLIENT_INFO] = params.clientInfo;
  const session = bridgedSession(connector, version, declared);

  const discover = { jsonrpc: '2.0', id: initialize.id, method: 'server/discover', params: {} };
  const reply = await session.send(withMeta(discover, metaOf(initialize)), clientHeaders, gone);
  const found = responseTo(await readMessages(reply), initialize.id)?.result as { capabilities?: unknown; instructions?: unknown; _meta?: Record<string, unknown> } | undefined;
  if (reply.status < 200 || reply.status >= 300 || !found) throw WireErrors.upstreamUnavailable(`the modern upstream did not answer server/discover (HTTP ${reply.status})`);
  const result = {
    protocolVersion: version,
    capabilities: found.capabilities ?? {},
    serverInfo: found._meta?.[META_SERVER_INFO] ?? { name: 'upstream', version: 'unknown' },
    ...(typeof found.instructions === 'string' && { instructions: found.instructions }),
  };
  const answer = jsonReply(200, { jsonrpc: '2.0', id: initialize.id, result });

  return { session: session.upstream, answer };
}

/** A bridged session's state, as a shared store keeps it: what the client declared, nothing of the upstream's. */
interface BridgedState {
  bridged: { version: string; declared: Record<string, unknown> };
}

/** A bridged session saved by another replica (see `UpstreamSession.state`); undefined for any other state. */
export function reviveBridgedSession(connector: UpstreamConnector, state: Record<string, unknown>): UpstreamSession | undefined {
  const saved = (state as Partial<BridgedState>).bridged;
  if (!saved || typeof saved.version !== 'string' || typeof saved.declared !== 'object' || saved.declared === null) return undefined;
  return bridgedSession(connector, saved.version, saved.declared).upstream;
}

/** How many pages of tools/list the bridge reads, at most, to learn the tools' x-mcp-header marks. */
const MAX_TOOL_PAGES = 20;

/** The legacy client's session after its initialize: each request sent upstream with what the client declared. */
function bridgedSession(connector: UpstreamConnector, version: string, declared: Record<string, unknown>) {
  const upstream = connector.open();
  /**
   * Each tool's inputSchema, as the upstream's tools/list answers gave it: the bridge is the client
   * that builds the Mcp-Param headers of its calls. Undefined until a list was read.
   */
  let schemas: Map<string, unknown> | undefined;

  /** A tools/list answer with each tool learned, and the tools whose marks break the rules left out (a client must reject them). */
  const learnTools = (message: Message): Message => {
    const result = message.result as { tools?: unknown } | undefined;
    if (!result || !Array.isArray(result.tools)) return message;
    const known = (schemas ??= new Map());
    const kept = result.tools.filter((tool: unknown) => {
      if (!isObject(tool) || typeof tool.name !== 'string') return true;
      if (invalidMarks(tool.inputSchema) !== undefined) {
        known.delete(tool.name);
        return false;
      }
      known.set(tool.name, tool.inputSchema);
      return true;
    });
    return kept.length === result.tools.length ? message : { ...message, result: { ...result, tools: kept } };
  };

  /** One modern request upstream: the client's _meta with what it declared, and the headers that mirror the body. */
  const post = (message: Message, requestHeaders: Record<string, string>, gone: ClientGone) => {
    const modern = withMeta(message, { ...metaOf(message), ...declared });
    const method = String(modern.method);
    const params = (modern.params ?? {}) as Record<string, unknown>;
    // The mirrored headers are the bridge's to make, from this body: none of the client's (or of another request's) stay.
    const kept = Object.entries(requestHeaders).filter(([k]) => k !== 'mcp-name' && !k.startsWith('mcp-param-'));
    const headers: Record<string, string> = { ...Object.fromEntries(kept), 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method };
    const field = NAME_FIELDS.get(method);
    const name = field === undefined ? undefined : params[field];
    if (typeof name === 'string') headers['mcp-name'] = encodedHeaderValue(name);
    if (method === 'tools/call' && typeof name === 'string') Object.assign(headers, paramHeadersFor(schemas?.get(name), params.arguments));
    return upstream.post(Buffer.from(JSON.stringify(modern)), headers, inspectMessage(modern), gone);
  };

  /** Reads the upstream's tools/list, page by page, to learn the tools a call may need Mcp-Param headers for. */
  const listTools = async (requestHeaders: Record<string, string>, gone: ClientGone) => {
    let cursor: unknown;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const id = `proxy-tools-${page}`;
      const reply = await post({ jsonrpc: '2.0', id, method: 'tools/list', params: typeof cursor === 'string' ? { cursor } : {} }, requestHeaders, gone);
      const found = responseTo(await readMessages(reply), id);
      if (!found?.result) break;
      learnTools(found);
      cursor = (found.result as { nextCursor?: unknown }).nextCursor;
      if (typeof cursor !== 'string') break;
    }
    schemas ??= new Map();
  };

  /** One client request as a modern request upstream; a call before any tools/list first learns the tools. */
  const send = async (message: Message, requestHeaders: Record<string, string>, gone: ClientGone) => {
    if (message.method === 'tools/call' && schemas === undefined) await listTools(requestHeaders, gone);
    return post(message, requestHeaders, gone);
  };

  const toLegacy = (message: Message): Message => {
    const result = message.result as { resultType?: unknown } | undefined;
    if (result?.resultType !== 'input_required') return message;
    return { jsonrpc: '2.0', id: message.id, error: { code: RPC.internalError, message: `The upstream needs more input from the client (input_required), which this bridge does not carry to ${version} clients`, data: { upstream: result } } };
  };

  const session: UpstreamSession = {
    async post(body: Buffer, headers: Record<string, string>, info: MessageInfo, gone: ClientGone) {
      if (info.kind === 'batch') return jsonReply(400, { jsonrpc: '2.0', id: null, error: { code: RPC.invalidRequest, message: 'Invalid Request: batches are not bridged to a modern upstream' } });
      // The client's notifications and answers have no one to go to: a modern server keeps no session to hear them.
      if (info.kind !== 'request') return emptyReply(202);
      if (info.method === 'ping') return jsonReply(200, { jsonrpc: '2.0', id: info.id, result: {} });
      const reply = await send(JSON.parse(body.toString('utf8')) as Message, headers, gone);
      const mapped = await mapAnswer(reply, info.method === 'tools/list' ? (m) => toLegacy(learnTools(m)) : toLegacy, () => undefined);
      // 404 with a JSON-RPC error is "method not found" in 2026-07-28, "session gone" to this client.
      return mapped.status === 404 && /json/i.test(String(mapped.headers['content-type'] ?? '')) ? { ...mapped, status: 200 } : mapped;
    },
    async get() {
      return emptyReply(405, { allow: 'POST, DELETE' });
    },
    async delete() {
      return emptyReply(200);
    },
    close: () => upstream.close(),
    state: () => ({ bridged: { version, declared } }),
  };
  return { upstream: session, send };
}
