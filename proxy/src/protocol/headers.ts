/**
 * Which headers cross the proxy. Hop-by-hop headers (RFC 9110 §7.6.1) and those named in
 * `Connection` stay on their hop; the client's credentials never reach the upstream; the session
 * header is rewritten by the caller. Everything else is end-to-end and forwarded.
 */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Request headers that are the client's business with the proxy, never the upstream's. */
const CLIENT_ONLY = new Set(['authorization', 'cookie', 'mcp-session-id']);
/** Response headers the proxy owns towards its client. */
const UPSTREAM_ONLY = new Set(['set-cookie', 'mcp-session-id', 'www-authenticate']);

type HeaderBag = Record<string, string | string[] | undefined>;

/** Header names a Connection header lists beyond the hop-by-hop ones; undefined when there are none (the usual case). */
function connectionNamed(headers: HeaderBag): Set<string> | undefined {
  const value = headers.connection;
  if (value === undefined) return undefined;
  let named: Set<string> | undefined;
  for (const v of Array.isArray(value) ? value : [value]) {
    for (const token of v.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && !HOP_BY_HOP.has(name)) (named ??= new Set()).add(name);
    }
  }
  return named;
}

function filter(headers: HeaderBag, drop: Set<string>): Record<string, string> {
  const named = connectionNamed(headers);
  const out: Record<string, string> = {};
  // Runs twice per request (its headers, the answer's): a plain loop, no entries array.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || drop.has(lower) || named?.has(lower)) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The client's request headers as they may be sent upstream. */
export function upstreamRequestHeaders(headers: HeaderBag): Record<string, string> {
  return filter(headers, CLIENT_ONLY);
}

/** The upstream's response headers as they may be sent to the client. */
export function clientResponseHeaders(headers: HeaderBag): Record<string, string> {
  const out = filter(headers, UPSTREAM_ONLY);
  // A stream the proxy opens to its client: a buffering intermediary in front of it (nginx) must pass
  // each event on as it comes (2026-07-28: servers SHOULD send it when they initiate an SSE stream).
  if (/^text\/event-stream/i.test(out['content-type'] ?? '')) out['x-accel-buffering'] = 'no';
  return out;
}

export function firstHeader(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
