/** What the two eras put where: the `_meta` keys of 2026-07-28 and the revisions a bridge speaks. */

export { LEGACY_VERSION, LEGACY_VERSIONS, MODERN_VERSION } from '../protocol/versions.ts';

export { VERSION_META as META_VERSION } from '../protocol/message.ts';
export const META_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';
/** Who the bridge says it is where a client of its own making must name itself. */
export const PROXY_INFO = { name: 'proxyspec-reference-proxy', version: '1' };
/** MCP's log levels, least severe first. */
export const LOG_LEVELS: readonly string[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** The headers that mirror a modern request's body, which mean nothing to a legacy server. */
export function withoutMirroredHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'mcp-method' || name === 'mcp-name' || name === 'mcp-protocol-version' || name.startsWith('mcp-param-')) continue;
    out[name] = value;
  }
  return out;
}

/** A request's `_meta`, as an object (empty when it has none). */
export function metaOf(message: Record<string, unknown>): Record<string, unknown> {
  const params = message.params as { _meta?: unknown } | undefined;
  const meta = params?._meta;
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
}

/** A copy of the message whose params carry `meta` as their `_meta` (none, when it is empty). */
export function withMeta(message: Record<string, unknown>, meta: Record<string, unknown>): Record<string, unknown> {
  const params = { ...((message.params as Record<string, unknown> | undefined) ?? {}) };
  if (Object.keys(meta).length > 0) params._meta = meta;
  else delete params._meta;
  return { ...message, params };
}
