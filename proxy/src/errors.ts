/**
 * The proxy's two error families. Wire errors are what a client sees (a status and a JSON-RPC error
 * body, short public message, no internals). Local errors carry a PROXY_ERR_* code for callers and logs.
 */

import type { RpcId } from './protocol/message.ts';
import { RPC } from './protocol/codes.ts';

/** Identifies the proxy as the source of an error it generated, as opposed to one it relayed. */
export const ERROR_SOURCE = 'proxyspec-reference-proxy';

export class ProxyWireError extends Error {
  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
    readonly reason?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The JSON-RPC error body for the request with this id. */
  body(id: RpcId): string {
    const data: Record<string, unknown> = { source: ERROR_SOURCE };
    if (this.reason) data.reason = this.reason;
    return JSON.stringify({ jsonrpc: '2.0', id, error: { code: this.rpcCode, message: this.message, data } });
  }
}

/**
 * JSON-RPC codes the proxy generates. -31040…-31049 refuse access; -31050…-31059 are the proxy's own
 * upstream failures. They lie outside JSON-RPC's reserved -32768…-32000: MCP 2026-07-28 keeps
 * -32020…-32099 for codes the specification defines (a proxy may emit only those, with their
 * meanings), and allocates nothing new in the legacy -32000…-32019. Session not found (-32001,
 * the session era only) is the code that era's SDKs look for.
 */
export const WireErrors = {
  parseError: () => new ProxyWireError(400, RPC.parseError, 'Parse error'),
  invalidRequest: (reason: string) => new ProxyWireError(400, RPC.invalidRequest, 'Invalid Request', reason),
  invalidParams: (reason: string) => new ProxyWireError(400, RPC.invalidParams, 'Invalid params', reason),
  sessionRequired: () => new ProxyWireError(400, RPC.invalidRequest, 'Bad Request: Mcp-Session-Id header is required'),
  unsupportedProtocolVersion: (version: string) => new ProxyWireError(400, RPC.invalidRequest, 'Bad Request: unsupported MCP-Protocol-Version', `unsupported version ${version.slice(0, 40)}`),
  sessionNotFound: () => new ProxyWireError(404, RPC.sessionNotFound, 'Session not found'),
  unsupportedMediaType: () => new ProxyWireError(415, RPC.invalidRequest, 'Unsupported Media Type: expected application/json'),
  payloadTooLarge: () => new ProxyWireError(413, RPC.invalidRequest, 'Payload Too Large'),
  methodNotAllowed: () => new ProxyWireError(405, RPC.invalidRequest, 'Method Not Allowed', undefined, { allow: 'GET, POST, DELETE' }),
  upstreamUnavailable: (reason: string) => new ProxyWireError(502, -31050, 'Upstream unavailable', reason),
  circuitOpen: (retryAfterSec: number) =>
    new ProxyWireError(503, -31053, 'Upstream circuit open', 'the upstream failed repeatedly; requests are refused until it recovers', { 'retry-after': String(retryAfterSec) }),
  stateUnavailable: () => new ProxyWireError(503, -31054, 'Session store unavailable', 'the store that replicas share sessions in did not answer', { 'retry-after': '1' }),
  upstreamTimeout: () => new ProxyWireError(504, -31051, 'Upstream timed out', 'no answer within the configured timeout'),
  streamConflict: () => new ProxyWireError(409, RPC.invalidRequest, 'Conflict: a GET stream is already open for this session'),
  internal: () => new ProxyWireError(500, RPC.internalError, 'Internal error'),
  unauthorized: (challenge: string, reason?: string) => new ProxyWireError(401, -31040, 'Unauthorized', reason, { 'www-authenticate': challenge }),
  badAuthorization: (challenge: string, reason: string) => new ProxyWireError(400, -31040, 'Bad Request: malformed authorization', reason, { 'www-authenticate': challenge }),
  insufficientScope: (challenge: string) => new ProxyWireError(403, -31041, 'Forbidden: insufficient scope', undefined, { 'www-authenticate': challenge }),
  policyDenied: (what: string) => new ProxyWireError(403, -31044, 'Forbidden by policy', `${what.slice(0, 80)} is denied by this proxy's policy`),
  rateLimited: () => new ProxyWireError(429, -31043, 'Too Many Requests', 'rate limit exceeded for this subject'),
  forbiddenOrigin: () => new ProxyWireError(403, -31042, 'Forbidden: Origin not allowed'),
  forbiddenHost: () => new ProxyWireError(403, -31045, 'Forbidden: Host not allowed', 'the proxy does not answer to this host name (DNS rebinding protection)'),
  authorizationUnavailable: () => new ProxyWireError(503, -31052, 'Authorization server unavailable', 'the signing keys could not be fetched', { 'retry-after': '5' }),
  headersTooLarge: () => new ProxyWireError(431, RPC.invalidRequest, 'Request Header Fields Too Large'),
  headerMismatch: (reason: string) => new ProxyWireError(400, RPC.headerMismatch, 'Header mismatch', reason.slice(0, 200)),
} as const;

export type ProxyErrorCode =
  | 'PROXY_ERR_CONFIG_INVALID'
  | 'PROXY_ERR_CONFIG_READ'
  | 'PROXY_ERR_CONFIG_SYNTAX'
  | 'PROXY_ERR_CONFIG_ENV'
  | 'PROXY_ERR_UPSTREAM_SPAWN';

export class ProxyError extends Error {
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProxyError';
  }
}
