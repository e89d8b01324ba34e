/**
 * The JSON-RPC error codes the proxy sends or translates, named once: JSON-RPC's own, and those MCP
 * defines in one revision or another. The proxy's own codes (-31040…-31059) are in errors.ts, beside
 * the errors that carry them.
 */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Session not found: the session era's SDKs look for it. */
  sessionNotFound: -32001,
  /** Resource not found, until 2025-11-25 (retired by 2026-07-28). */
  resourceNotFound: -32002,
  /** URL elicitation required, 2025-11-25 (retired by 2026-07-28). */
  urlElicitationRequired: -32042,
  /** 2026-07-28: an Mcp-* header that disagrees with the body. */
  headerMismatch: -32020,
  /** 2026-07-28: a request that needs a client capability the client did not declare. */
  missingClientCapability: -32021,
  /** 2026-07-28: a protocol version the server does not support. */
  unsupportedProtocolVersion: -32022,
} as const;
