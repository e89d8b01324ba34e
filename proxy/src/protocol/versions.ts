/**
 * MCP revisions the proxy knows. With an HTTP upstream the upstream judges the MCP-Protocol-Version
 * header (it may know newer ones); with a stdio upstream the proxy is the HTTP server and judges it.
 */
export const KNOWN_PROTOCOL_VERSIONS: readonly string[] = ['2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'];

/** The revision a bridge speaks to a modern upstream, and names to modern clients: the stateless era's. */
export const MODERN_VERSION = KNOWN_PROTOCOL_VERSIONS.at(-1)!;
/** The session era's revisions, oldest first. */
export const LEGACY_VERSIONS: readonly string[] = KNOWN_PROTOCOL_VERSIONS.filter((v) => v !== MODERN_VERSION);
/** The revision a bridge asks a legacy upstream for, and offers a legacy client that asks for one it does not know: the session era's newest. */
export const LEGACY_VERSION = LEGACY_VERSIONS.at(-1)!;

export function isKnownProtocolVersion(version: string): boolean {
  return KNOWN_PROTOCOL_VERSIONS.includes(version);
}
