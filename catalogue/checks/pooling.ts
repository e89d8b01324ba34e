/** Upstream connections pooled across clients. */
import { defineChecks } from '../define.ts';

export const POOLING_CHECKS = defineChecks([
  {
    id: 'pooling/upstream-connections-reused',
    title: 'A proxy SHOULD reuse upstream connections across clients: 20 clients use fewer upstream connections than there are clients',
    level: 2,
    scenario: 'pooling/pooling.quiet.test.ts',
    provenBy: [{ defect: 'connection-per-client', revisions: ['2025-11-25'] }, { defect: 'ref-connection-per-request', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    requirements: [],
    externalRefs: [
      {
        requirement: 'rfc9112-persistent',
        revision: 'RFC 9112',
        url: 'https://www.rfc-editor.org/rfc/rfc9112#section-9.3',
        quote: 'HTTP/1.1 defaults to the use of "persistent connections", allowing multiple requests and responses to be carried over a single connection.',
        strength: 'informative',
      },
    ],
    why: 'A connection per client or per request costs a handshake each time, and under load exhausts ports and the upstream\'s connection limit.',
    proxyOnly: true,
    upstreams: ['http'],
    upstreamReason: 'a stdio upstream has no connections to pool',
  },
]);
