/**
 * The per-request vocabulary of the stateless revisions (2026-07-28 on): the `_meta` keys every
 * request carries instead of an initialize handshake, and the body fields Streamable HTTP mirrors
 * into `Mcp-Method` / `Mcp-Name` headers, with the Base64 sentinel for values a header cannot carry.
 * See https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http#request-metadata.
 */

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** The log levels of MCP (RFC 5424's severities), least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;

export const METHOD_HEADER = 'mcp-method';
export const NAME_HEADER = 'mcp-name';
/** `Mcp-Param-{Name}` headers mirror tool arguments a tool's schema marks with `x-mcp-header`. */
export const PARAM_HEADER_PREFIX = 'mcp-param-';

/** Methods whose `Mcp-Name` header mirrors a body field, and which field. */
// A Map, not an object literal: a method named `constructor` must find nothing here.
const NAME_SOURCES = new Map<string, 'name' | 'uri'>([
  ['tools/call', 'name'],
  ['prompts/get', 'name'],
  ['resources/read', 'uri'],
]);

/** The protocol version a request's `_meta` names, if any: what makes a request one of the stateless era. */
export function requestProtocolVersion(params: unknown): string | undefined {
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  const version = meta?.[META.protocolVersion];
  return typeof version === 'string' ? version : undefined;
}

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/;

/** A header value for `value`: as is when it is plain visible ASCII, else the Base64 sentinel form. */
export function encodeHeaderValue(value: string): string {
  const plain = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !SENTINEL.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** The value a header carries, the Base64 sentinel decoded. */
export function decodeHeaderValue(header: string): string {
  const m = SENTINEL.exec(header);
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : header;
}

/** The `Mcp-Method` and (where it applies) `Mcp-Name` headers a request's body calls for. */
export function mirroredHeaders(method: string, params: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { [METHOD_HEADER]: method };
  const source = NAME_SOURCES.get(method);
  const value = source ? params?.[source] : undefined;
  if (typeof value === 'string') headers[NAME_HEADER] = encodeHeaderValue(value);
  return headers;
}

/**
 * Why the mirrored headers of a request disagree with its body, or undefined when they agree:
 * what a server that reads the body must refuse with HTTP 400 and HeaderMismatch.
 */
export function headerMismatch(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  params: Record<string, unknown> | undefined,
  versionHeader: string,
): string | undefined {
  const get = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const version = get(versionHeader);
  if (version === undefined) return 'the MCP-Protocol-Version header is missing';
  if (version !== requestProtocolVersion(params)) return `MCP-Protocol-Version ${version} does not match _meta ${requestProtocolVersion(params) ?? '(none)'}`;
  const said = get(METHOD_HEADER);
  if (said === undefined) return 'the Mcp-Method header is missing';
  if (said !== method) return `Mcp-Method ${said} does not match the body's method ${method}`;
  const source = NAME_SOURCES.get(method);
  if (source) {
    const name = get(NAME_HEADER);
    const body = params?.[source];
    if (name === undefined) return 'the Mcp-Name header is missing';
    if (decodeHeaderValue(name) !== body) return `Mcp-Name ${name} does not match the body's ${source} ${JSON.stringify(body)}`;
  }
  return undefined;
}
