/**
 * The little the proxy needs to know about a POSTed body to route it: its shape, its id (for errors
 * the proxy answers itself) and whether it initializes a session. The body itself is relayed as bytes.
 */

export type RpcId = string | number | null;

export interface MessageInfo {
  kind: 'request' | 'notification' | 'response' | 'batch' | 'invalid';
  id: RpcId;
  method?: string;
  /** Ids of every request in the body (one, or several in a batch). */
  requestIds: RpcId[];
  progressTokens: unknown[];
  isInitialize: boolean;
  /** Each request and notification in the body: its method, and the tool for tools/call (for scopes). */
  calls: Array<{ method: string; tool?: string }>;
  /** The protocol version the body's _meta names: set only for a request of the stateless era (2026-07-28 on). */
  protocolVersion?: string;
  /** What the `Mcp-Name` header mirrors: params.name (tools/call, prompts/get) or params.uri (resources/read). */
  name?: string;
}

type Single = Omit<MessageInfo, 'requestIds' | 'progressTokens' | 'calls'> & { progressToken?: unknown; tool?: string };

/** The `_meta` key that carries a stateless request's protocol version. */
export const VERSION_META = 'io.modelcontextprotocol/protocolVersion';
/** Methods whose `Mcp-Name` header mirrors a body field, and which one (a Map: a method named `constructor` finds nothing). */
export const NAME_FIELDS: ReadonlyMap<string, 'name' | 'uri'> = new Map([
  ['tools/call', 'name'],
  ['prompts/get', 'name'],
  ['resources/read', 'uri'],
]);

function single(value: unknown): Single {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'invalid', id: null, isInitialize: false };
  const m = value as Record<string, unknown>;
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  if (m.jsonrpc !== '2.0') return { kind: 'invalid', id, isInitialize: false };
  if (typeof m.method === 'string') {
    const params = m.params as Record<string, unknown> | undefined;
    const meta = params?._meta as Record<string, unknown> | undefined;
    const kind = 'id' in m ? (id === null ? 'invalid' : 'request') : 'notification';
    const tool = m.method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    const out: Single = { kind, id, method: m.method, isInitialize: kind === 'request' && m.method === 'initialize', progressToken: meta?.progressToken, tool };
    const version = meta?.[VERSION_META];
    if (typeof version === 'string') {
      out.protocolVersion = version;
      const field = NAME_FIELDS.get(m.method);
      const name = field === undefined ? undefined : params?.[field];
      if (typeof name === 'string') out.name = name;
    }
    return out;
  }
  if ('result' in m || 'error' in m) return { kind: 'response', id, isInitialize: false };
  return { kind: 'invalid', id, isInitialize: false };
}

function callOf(item: Single): MessageInfo['calls'] {
  return item.method === undefined ? [] : [item.tool === undefined ? { method: item.method } : { method: item.method, tool: item.tool }];
}

export function inspectMessage(value: unknown): MessageInfo {
  if (Array.isArray(value)) {
    const items = value.map(single);
    return {
      kind: items.length === 0 ? 'invalid' : 'batch',
      id: null,
      requestIds: items.filter((i) => i.kind === 'request').map((i) => i.id),
      progressTokens: items.map((i) => i.progressToken).filter((t) => t !== undefined),
      isInitialize: false,
      calls: items.flatMap(callOf),
    };
  }
  // One message, on every request's path: one object of one shape, no rest or spread.
  const item = single(value);
  const info: MessageInfo = {
    kind: item.kind,
    id: item.id,
    requestIds: item.kind === 'request' ? [item.id] : [],
    progressTokens: item.progressToken === undefined ? [] : [item.progressToken],
    isInitialize: item.isInitialize,
    calls: callOf(item),
  };
  if (item.method !== undefined) info.method = item.method;
  if (item.protocolVersion !== undefined) info.protocolVersion = item.protocolVersion;
  if (item.name !== undefined) info.name = item.name;
  return info;
}

/** A key that keeps `1` and `"1"` apart, as JSON-RPC ids of different types are different ids. */
export function idKey(id: unknown): string {
  return typeof id === 'number' ? `n:${id}` : `s:${String(id)}`;
}
