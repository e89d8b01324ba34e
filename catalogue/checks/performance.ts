/** The latency a proxy adds, against direct and a minimal pass-through in the same run. */
import { defineChecks } from '../define.ts';

export const PERFORMANCE_CHECKS = defineChecks([
  {
    id: 'performance/overhead',
    title: 'A proxy MUST add no more than 1 ms (or 5 %, whichever is more) beyond what a minimal pass-through adds to the median of a 20 ms upstream call at 10 concurrent clients, measured against direct in the same run',
    level: 2,
    scenario: 'performance/overhead.quiet.test.ts',
    provenBy: [
      { defect: 'ref-slow-5ms', revisions: ['2025-11-25', '2026-07-28'] },
      { defect: 'ref-slow-2ms', revisions: ['2026-07-28'] },
    ],
    needs: [],
    requirements: [],
    externalRefs: [
      {
        requirement: 'proxyspec-l2-overhead',
        revision: 'proxyspec',
        url: 'README.md#level-2-production',
        quote: 'Level 2: latency overhead within 5 % (1 ms) of a realistic 20 ms upstream call, against direct in the same run.',
        strength: 'MUST',
      },
    ],
    why: 'Every tool call pays the proxy\'s overhead; against a realistic 20 ms call, more than a millisecond is a proxy that does too much per request.',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: 'direct reaches the HTTP mock; a stdio upstream has no direct counterpart to compare with',
  },
]);
