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
]);
