/**
 * The JSON-RPC error codes, JSON-RPC's own and the MCP ones the harness relies on. A module of its
 * own, with no dependency, so that wire/revisions.ts (and the lean processes that need only the
 * revisions, such as the bench's upstream) load no schema library.
 */
/** Standard JSON-RPC error codes, and the MCP ones the harness relies on. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Session not found (the session era). */
  SessionNotFound: -32001,
  /** Resource not found, until 2025-11-25. */
  ResourceNotFound: -32002,
  /** URL elicitation required (2025-11-25). */
  UrlElicitationRequired: -32042,
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;
