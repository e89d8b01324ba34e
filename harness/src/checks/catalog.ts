/**
 * Every check proxyspec knows, with its stable id and metadata. The suites produce verdicts for these
 * ids; `proxyspec list`, the README's check table and the reports all read this one list.
 */
import type { Revision } from '../wire/index.ts';
import type { CheckDef } from './types.ts';

const STREAMABLE: readonly Revision[] = ['2025-03-26', '2025-06-18', '2025-11-25'];

export const CHECKS: readonly CheckDef[] = [
  {
    id: 'transparency/request-body-unchanged',
    title: 'A proxy MUST deliver each client message to the upstream unchanged: same members, same values, unknown members and _meta included',
    suite: 'transparency',
    level: 1,
    strength: 'MUST',
    revisions: STREAMABLE,
    requirements: ['http-post-body', 'transport-utf8', 'meta-reserved-no-assumptions'],
    why: 'A proxy that drops, renames or re-types a member changes what the tool is asked to do; the upstream acts on a request nobody sent.',
  },
  {
    id: 'transparency/response-body-unchanged',
    title: 'A proxy MUST deliver each upstream answer to the client unchanged: the result exactly as the upstream sent it',
    suite: 'transparency',
    level: 1,
    strength: 'MUST',
    revisions: STREAMABLE,
    requirements: ['base-result-field', 'base-result-any-structure', 'transport-utf8'],
    why: 'Clients and models act on tool results; a proxy that rewrites them silently changes what the user is told.',
  },
  {
    id: 'transparency/id-preserved',
    title: 'A proxy MUST answer each request with the same JSON-RPC id, in value and type, that the client sent',
    suite: 'transparency',
    level: 1,
    strength: 'MUST',
    revisions: STREAMABLE,
    requirements: ['base-response-id-match', 'base-request-id-type', 'base-error-id-match'],
    why: 'Clients match answers to requests by id; "7" and 7 are different ids, and a coerced id leaves a request unanswered forever.',
  },
  {
    id: 'session/isolation',
    title: 'A proxy MUST keep client sessions apart: each client its own upstream session, and only its own messages',
    suite: 'session',
    level: 1,
    strength: 'MUST',
    revisions: STREAMABLE,
    requirements: ['session-assign', 'session-id-charset', 'sse-no-broadcast'],
    why: 'A proxy serves many clients; one that shares upstream sessions leaks one user\'s state and results to another.',
  },
  {
    id: 'errors/jsonrpc-error-preserved',
    title: 'A proxy MUST relay an upstream JSON-RPC error with its code, message and data unchanged',
    suite: 'errors',
    level: 1,
    strength: 'MUST',
    revisions: STREAMABLE,
    requirements: ['base-error-code-message', 'base-error-code-integer', 'base-error-id-match'],
    why: 'Clients branch on error codes (-32602 invalid params, -32002 not found, custom codes) and show the message; a generic error hides the cause.',
  },
  {
    id: 'boundary/authorization-not-forwarded',
    title: 'A proxy MUST NOT forward the client\'s Authorization header (its bearer token) to the upstream',
    suite: 'boundary',
    level: 1,
    strength: 'MUST',
    revisions: STREAMABLE,
    requirements: ['auth-no-token-passthrough'],
    why: 'Token passthrough lets the upstream, or anyone who controls it, replay the client\'s credential elsewhere (a confused deputy).',
    proxyOnly: true,
  },
];

const byId = new Map(CHECKS.map((c) => [c.id, c]));

export function getCheck(id: string): CheckDef {
  const check = byId.get(id);
  if (!check) throw new Error(`unknown check id ${id}`);
  return check;
}

export function hasCheck(id: string): boolean {
  return byId.has(id);
}
