/** Interop: a real SDK client carried through the proxy. */
import { defineChecks } from '../../harness/src/checks/define.ts';

export const INTEROP_CHECKS = defineChecks([
  {
    id: 'interop/sdk-client-session',
    title: 'A proxy MUST carry a whole session of the official MCP TypeScript SDK client: initialize, tools/list, a call with progress, a sampling round trip, DELETE',
    suite: 'interop',
    level: 1,
    strength: 'MUST',
    needs: ['initialize'],
    requirements: ['lifecycle-initialize-request', 'sse-post-interleave', 'session-delete'],
    why: 'Most clients are built on the official SDK; whatever the other checks say, a proxy that this client cannot use is broken for real users.',
  },
  {
    id: 'interop/sdk-v2-client',
    title: 'A proxy MUST carry the official MCP TypeScript SDK v2 client pinned to 2026-07-28: server/discover, tools/list, a call with progress, sampling as an input_required result, a subscription told of a change',
    suite: 'interop',
    level: 1,
    strength: 'MUST',
    needs: ['discover', 'input-required', 'subscriptions-listen'],
    requirements: ['version-discover-required', 'discover-required', 'mrtr-echo-requeststate', 'sub-ack-first'],
    why: 'The v2 SDK is what clients of 2026-07-28 are built on; a proxy it cannot use is broken for them, whatever the scripted checks say.',
  },
]);
