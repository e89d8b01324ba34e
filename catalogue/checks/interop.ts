/** Interop: a real SDK client carried through the proxy. */
import { defineChecks } from '../define.ts';

const BRIDGE_UPSTREAM_REASON = 'the upstream of the other era is a Streamable HTTP server; which era a stdio server speaks is settled inside the process the proxy starts';

export const INTEROP_CHECKS = defineChecks([
  {
    id: 'interop/sdk-client-session',
    title: 'A proxy MUST carry a whole session of the official MCP TypeScript SDK client: initialize, tools/list, a call with progress, a sampling round trip, DELETE',
    level: 1,
    scenario: 'interop/sdk-client.test.ts',
    provenBy: [{ defect: 'buffer-sse', revisions: ['2025-11-25'] }, { defect: 'drop-server-requests', revisions: ['2025-11-25'] }],
    needs: ['initialize'],
    requirements: ['lifecycle-initialize-request', 'sse-post-interleave', 'session-delete'],
    why: 'Most clients are built on the official SDK; whatever the other checks say, a proxy that this client cannot use is broken for real users.',
  },
  {
    id: 'interop/sdk-v2-client',
    title: 'A proxy MUST carry the official MCP TypeScript SDK v2 client pinned to 2026-07-28: server/discover, tools/list, a call with progress, sampling as an input_required result, a subscription told of a change',
    level: 1,
    scenario: 'interop/sdk-v2-client.test.ts',
    provenBy: [{ defect: 'drop-request-state', revisions: ['2026-07-28'] }, { defect: 'buffer-sse', revisions: ['2026-07-28'] }],
    needs: ['discover', 'input-required', 'subscriptions-listen'],
    requirements: ['version-discover-required', 'discover-required', 'mrtr-echo-requeststate', 'sub-ack-first'],
    why: 'The v2 SDK is what clients of 2026-07-28 are built on; a proxy it cannot use is broken for them, whatever the scripted checks say.',
  },
  {
    id: 'interop/era-bridge-modern-client',
    title: 'A proxy that bridges eras MUST serve a 2026-07-28 client from a 2025-11-25 upstream as a 2026-07-28 server would: server/discover answered, resultType on every result, the retired -32002 sent as -32602, and no server-to-client request on a response stream',
    level: 2,
    scenario: 'interop/bridging.test.ts',
    provenBy: [{ defect: 'ref-no-era-bridge', revisions: ['2026-07-28'] }],
    needs: ['discover', 'result-type'],
    feature: 'era-bridging',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: BRIDGE_UPSTREAM_REASON,
    requirements: ['version-discover-required', 'base-result-type-required', 'resources-not-found-32602', 'error-retired-codes', 'patterns-no-server-requests', 'base-result-type-absent-complete'],
    why: 'Servers move to 2026-07-28 one at a time. A gateway that promises 2026-07-28 clients in front of older servers must hand them results their SDK can read, or they break at the first answer.',
  },
  {
    id: 'interop/era-bridge-legacy-client',
    title: 'A proxy that bridges eras MUST serve a 2025-11-25 client from a 2026-07-28 upstream: initialize answered, and each request sent upstream with the protocol version and the client\'s capabilities in its _meta and the headers that mirror its body (Mcp-Param headers for marked arguments, encoded as the revision says), and no tool whose x-mcp-header marks break the rules offered',
    level: 2,
    scenario: 'interop/bridging.test.ts',
    provenBy: [
      { defect: 'ref-no-era-bridge', revisions: ['2026-07-28'] },
      { defect: 'ref-bridge-no-param-headers', revisions: ['2026-07-28'] },
    ],
    needs: ['discover', 'request-meta', 'method-headers'],
    feature: 'era-bridging',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: BRIDGE_UPSTREAM_REASON,
    requirements: [
      'meta-request-required-fields',
      'http-protocol-version-match-body',
      'http-standard-headers-required',
      // The bridge is the client over HTTP: it builds the Mcp-Param headers and rejects tools whose marks break the rules.
      'http-x-mcp-header-client-support',
      'http-x-mcp-header-mirror',
      'http-tools-call-header-construction',
      'http-param-encode',
      'http-param-base64',
      'http-base64-markers-case',
      'http-base64-sentinel-escape',
      'http-mcp-name-base64',
      'x-mcp-header-client-reject',
      'x-mcp-header-exclude-tool',
    ],
    why: 'Clients built on the 2025 SDKs outlive the servers they were written for. A gateway that promises them a 2026-07-28 server must speak its language upstream, or every request is refused there.',
  },
]);
