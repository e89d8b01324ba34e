/**
 * The stateless era's mirrored headers (MCP 2026-07-28, Streamable HTTP "Request Metadata"): the
 * proxy reads the body to decide (auth, policy), so it must refuse a request whose headers say
 * something else, or a router in front could be told one thing while the upstream does another.
 */
import type { MessageInfo } from './message.ts';
import { firstHeader } from './headers.ts';

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/;
const NAMED = new Set(['tools/call', 'prompts/get', 'resources/read']);

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
  if (NAMED.has(info.method!)) {
    const name = firstHeader(headers, 'mcp-name');
    if (name === undefined || decoded(name) !== info.name) return `Mcp-Name ${name ?? '(missing)'} does not match the body's ${info.name ?? '(none)'}`;
  }
  return undefined;
}
