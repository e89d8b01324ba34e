/**
 * The stateless era's mirrored headers (MCP 2026-07-28, Streamable HTTP "Request Metadata"): the
 * proxy reads the body to decide (auth, policy), so it must refuse a request whose headers say
 * something else, or a router in front could be told one thing while the upstream does another.
 */
import { NAME_FIELDS, type MessageInfo } from './message.ts';
import { firstHeader } from './headers.ts';

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/;
/** What a client must Base64-encode even when it is plain ASCII: anything shaped like the sentinel. */
const SENTINEL_SHAPED = /^=\?base64\?.*\?=$/;

/** A header value for `value`: as is when it is plain visible ASCII (and not sentinel-shaped), else the Base64 sentinel form. */
export function encodedHeaderValue(value: string): string {
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !SENTINEL_SHAPED.test(value) ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** A header value with the Base64 sentinel decoded. */
function decoded(value: string): string {
  const m = SENTINEL.exec(value);
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : value;
}

/** Why the request's headers disagree with its body, or undefined when they agree. */
export function mirroredHeaderMismatch(headers: Record<string, string | string[] | undefined>, info: MessageInfo): string | undefined {
  const version = firstHeader(headers, 'mcp-protocol-version');
  if (version !== info.protocolVersion) return `MCP-Protocol-Version ${version ?? '(missing)'} does not match the body's ${info.protocolVersion}`;
  if (info.kind !== 'request') return undefined;
  const method = firstHeader(headers, 'mcp-method');
  if (method !== info.method) return `Mcp-Method ${method ?? '(missing)'} does not match the body's ${info.method}`;
  if (NAME_FIELDS.has(info.method!)) {
    const name = firstHeader(headers, 'mcp-name');
    if (name === undefined || decoded(name) !== info.name) return `Mcp-Name ${name ?? '(missing)'} does not match the body's ${info.name ?? '(none)'}`;
  }
  return undefined;
}
