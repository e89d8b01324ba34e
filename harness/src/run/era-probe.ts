/**
 * What to tell a user whose target relayed nothing at all. Most proxies today speak only the session
 * era and refuse every 2026-07-28 request; some still serve only the deprecated HTTP+SSE transport
 * (2024-11-05: a GET stream that names an endpoint to POST to), which proxyspec does not judge. After
 * the run, the target is asked once in each way, and the report says what it speaks and what to do.
 */
import { request } from 'undici';
import { createParser } from 'eventsource-parser';
import { LATEST_SESSION_REVISION, isStateless, type Revision } from '../../../wire/index.ts';
import { McpClient } from '../client/mcp-client.ts';
import type { RelayFinding } from './relay.ts';

const PROBE_MS = 3_000;

/** What the target turned out to speak: the sentence for the report, and the session-era revision it agreed to in initialize, when it did. */
export interface EraFinding {
  sentence: string;
  speaks?: string;
}

/** What to add to a relay break that happened before any check ran, when the target turns out to speak something else; undefined otherwise. */
export async function eraHint(relay: RelayFinding, revision: Revision, target: { url: string; headers: Record<string, string> }): Promise<EraFinding | undefined> {
  if (relay.ok || relay.stoppedAfter.length > 0) return undefined;
  if (isStateless(revision)) {
    const version = await sessionEraVersion(target);
    if (version) return { sentence: `It answers initialize (protocolVersion ${version}): it speaks the session era, not ${revision}. Run again with --spec ${version} to judge it there.`, speaks: version };
  }
  const endpoint = await legacySseEndpoint(target);
  if (endpoint) return { sentence: `It serves the deprecated HTTP+SSE transport (${endpoint.at} announced the endpoint ${endpoint.announced}), which proxyspec does not judge: point the profile's url at the proxy's Streamable HTTP endpoint, if it has one.` };
  return undefined;
}

/** The protocol version the target agrees to when asked with a session era's initialize, if it does. */
async function sessionEraVersion(target: { url: string; headers: Record<string, string> }): Promise<string | undefined> {
  const client = new McpClient({ url: target.url, revision: LATEST_SESSION_REVISION, headers: target.headers, timeoutMs: PROBE_MS });
  try {
    const { response } = await client.initialize();
    const version = (response?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Where a GET stream of the old transport (at the target's url, or at /sse beside it) names its endpoint, if one does. */
async function legacySseEndpoint(target: { url: string; headers: Record<string, string> }): Promise<{ at: string; announced: string } | undefined> {
  const candidates = [target.url, new URL('/sse', target.url).href];
  for (const url of [...new Set(candidates)]) {
    const announced = await announcedEndpoint(url, target.headers);
    if (announced) return { at: `GET ${new URL(url).pathname}`, announced };
  }
  return undefined;
}

async function announcedEndpoint(url: string, headers: Record<string, string>): Promise<string | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_MS);
  try {
    const res = await request(url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' }, signal: controller.signal });
    if (res.statusCode !== 200 || !String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      await res.body.dump();
      return undefined;
    }
    let found: string | undefined;
    const parser = createParser({ onEvent: (e) => void (e.event === 'endpoint' && found === undefined && (found = e.data)) });
    for await (const chunk of res.body) {
      parser.feed(Buffer.from(chunk as Buffer).toString('utf8'));
      if (found !== undefined) break;
    }
    return found;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
