/**
 * MCP revisions the proxy knows. With an HTTP upstream the upstream judges the MCP-Protocol-Version
 * header (it may know newer ones); with a stdio upstream the proxy is the HTTP server and judges it.
 */
export const KNOWN_PROTOCOL_VERSIONS: readonly string[] = ['2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'];

export function isKnownProtocolVersion(version: string): boolean {
  return KNOWN_PROTOCOL_VERSIONS.includes(version);
}
