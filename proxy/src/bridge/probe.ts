/**
 * How a stdio bridge learns its server's era (MCP 2026-07-28, stdio, "Backward Compatibility"): one
 * `server/discover` with the modern version in `_meta`, before any modern client's request goes to
 * that server. A result that lists the modern version marks a server that speaks it (modern or
 * dual); anything else marks a legacy one, whatever the error and even if there is no answer at all,
 * since "the fallback MUST NOT be keyed to one specific error code". An HTTP upstream needs no probe:
 * its refusals say its era (see era.ts).
 */
import { inspectMessage } from '../protocol/message.ts';
import { ClientGone, type UpstreamConnector } from '../upstream/types.ts';
import { readMessages, responseTo } from './answers.ts';
import type { UpstreamEra } from './era.ts';
import { META_CAPABILITIES, META_CLIENT_INFO, META_VERSION, MODERN_VERSION, PROXY_INFO } from './meta.ts';

const PROBE_ID = 'proxyspec-era-probe';

/** The proxy's own server/discover, in its own name. */
export function discoverRequest(id: string | number) {
  return { jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: { [META_VERSION]: MODERN_VERSION, [META_CAPABILITIES]: {}, [META_CLIENT_INFO]: PROXY_INFO } } };
}

/** Probes the server behind `connector` once and tells `era` what it learnt; a server that could not be reached teaches nothing (the error is thrown). */
export async function probeEra(connector: UpstreamConnector, era: UpstreamEra, silenceMs: number): Promise<void> {
  const message = discoverRequest(PROBE_ID);
  const session = connector.open();
  const gone = new ClientGone();
  let timer: NodeJS.Timeout | undefined;
  try {
    const answered = session
      .post(Buffer.from(JSON.stringify(message)), {}, inspectMessage(message), gone)
      .then(readMessages)
      .then((messages) => responseTo(messages, PROBE_ID) ?? null);
    // Lost to silence, it may still fail later (its own timeout): nobody waits for it then.
    answered.catch(() => undefined);
    const silence = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), silenceMs)));
    const answer = await Promise.race([answered, silence]);
    const versions = (answer?.result as { supportedVersions?: unknown } | undefined)?.supportedVersions;
    if (Array.isArray(versions) && versions.includes(MODERN_VERSION)) era.served('modern');
    else era.learnLegacyOnly();
  } finally {
    clearTimeout(timer);
    gone.abort();
    await session.close();
  }
}
