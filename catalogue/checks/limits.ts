/** Hostile and slow input contained. */
import { defineChecks } from '../define.ts';

export const LIMITS_CHECKS = defineChecks([
  {
    id: 'limits/hostile-input-contained',
    title:
      'A proxy MUST answer an oversized body, invalid UTF-8, JSON nested 100,000 deep and a 64 KB header with a clear 4xx (or close the connection), handle the method constructor and the tool __proto__ like any other name, and keep serving others',
    level: 2,
    scenario: 'limits/limits.test.ts',
    provenBy: [{ defect: 'ref-no-limits', revisions: ['2025-11-25', '2026-07-28'] }, { defect: 'ref-prototype-scope-lookup', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    requirements: ['transport-utf8', 'base-jsonrpc'],
    externalRefs: [
      {
        requirement: 'rfc9110-413',
        revision: 'RFC 9110',
        url: 'https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14',
        quote: 'The 413 (Content Too Large) status code indicates that the server is refusing to process a request because the request content is larger than the server is willing or able to process.',
        strength: 'informative',
      },
      {
        requirement: 'rfc6585-431',
        revision: 'RFC 6585',
        url: 'https://www.rfc-editor.org/rfc/rfc6585#section-5',
        quote: 'The 431 status code indicates that the server is unwilling to process the request because its header fields are too large.',
        strength: 'informative',
      },
    ],
    why: 'Any client can send these; a proxy that crashes, hangs or answers 500 on them is a denial of service waiting for its first attacker.',
    proxyOnly: true,
  },
  {
    id: 'limits/slow-request-cut-off',
    title: 'A proxy SHOULD cut off a client that sends its request head byte by byte (slowloris) within 15 s, and serve others meanwhile',
    level: 2,
    scenario: 'limits/limits.test.ts',
    provenBy: [{ defect: 'ref-no-limits', revisions: ['2025-11-25', '2026-07-28'] }],
    needs: [],
    requirements: [],
    externalRefs: [
      {
        requirement: 'rfc9110-408',
        revision: 'RFC 9110',
        url: 'https://www.rfc-editor.org/rfc/rfc9110#section-15.5.9',
        quote: 'The 408 (Request Timeout) status code indicates that the server did not receive a complete request message within the time that it was prepared to wait.',
        strength: 'informative',
      },
    ],
    why: 'Slow clients each hold a connection; without a bound, a few hundred of them exhaust the proxy without sending a single request.',
    proxyOnly: true,
  },
]);
