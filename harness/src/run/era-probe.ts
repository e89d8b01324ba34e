/**
 * What to tell a user whose target never relayed under a stateless revision: most proxies today
 * speak only the session era, and refuse every 2026-07-28 request. One `initialize` after the run
 * says whether the target speaks that era instead, and the report then says how to judge it there.
 */
import { LATEST_SESSION_REVISION, isStateless, type Revision } from '../../../wire/index.ts';
import { McpClient } from '../client/mcp-client.ts';
import type { RelayFinding } from './relay.ts';

/** The sentence to add to a relay break that happened before any check ran, when the target turns out to speak the session era; undefined otherwise. */
export async function sessionEraHint(relay: RelayFinding, revision: Revision, target: { url: string; headers: Record<string, string> }): Promise<string | undefined> {
  if (relay.ok || relay.stoppedAfter.length > 0 || !isStateless(revision)) return undefined;
  const client = new McpClient({ url: target.url, revision: LATEST_SESSION_REVISION, headers: target.headers, timeoutMs: 5_000 });
  try {
    const { response } = await client.initialize();
    const version = (response?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (typeof version !== 'string') return undefined;
    return `It answers initialize (protocolVersion ${version}): it speaks the session era, not ${revision}. Run again with --spec ${version} to judge it there.`;
  } catch {
    return undefined;
  } finally {
    await client.close().catch(() => undefined);
  }
}
