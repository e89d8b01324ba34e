/**
 * What each MCP revision has, in one place: the harness, its checks, the mock upstreams and the
 * broken proxies ask here instead of listing revisions. A revision is the one before it plus what it
 * adds, minus what it removes, so adding a revision is one entry. Checks declare the mechanisms they
 * need (`needs: ['sessions']`) and apply to every revision that has them all.
 *
 * Sources: the "Key Changes" page of each revision (https://modelcontextprotocol.io/specification/<revision>/changelog)
 * and the transport pages it points to.
 */

import { ErrorCode } from './error-codes.ts';

/** The range of JSON-RPC error codes that 2026-07-28 keeps for the codes the specification defines. */
export const RESERVED_CODES = { from: -32020, to: -32099 } as const;

export const REVISIONS = ['2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;
export type Revision = (typeof REVISIONS)[number];
/** The revision a run judges unless told otherwise: the newest. */
export const LATEST_REVISION: Revision = '2026-07-28';

/** The mechanisms a revision may have, each with what it is, for `proxyspec list` and n/a verdicts. */
export const MECHANISMS = {
  initialize: 'the initialize handshake',
  sessions: 'protocol-level sessions (Mcp-Session-Id, DELETE)',
  'get-stream': 'the standalone GET stream',
  'server-requests': 'server-to-client requests on a response stream',
  ping: 'ping',
  batches: 'JSON-RPC batches',
  'version-header': 'the MCP-Protocol-Version header',
  'resource-metadata': 'OAuth protected resource metadata (RFC 9728) named in the 401 challenge',
  'priming-events': 'SSE priming events',
  resumability: 'resumable SSE streams (Last-Event-ID)',
  'disconnect-not-cancel': 'a dropped connection that does not cancel the request',
  'disconnect-is-cancel': 'a closed response stream that cancels the request',
  'request-meta': 'protocol version and client capabilities in every request\'s _meta',
  'method-headers': 'the Mcp-Method and Mcp-Name headers',
  discover: 'server/discover',
  'subscriptions-listen': 'subscriptions/listen',
  'result-type': 'resultType on every result',
  'cacheable-results': 'ttlMs and cacheScope on list and read results',
  'input-required': 'multi round-trip requests (input_required results)',
  'request-log-level': 'a log level per request (io.modelcontextprotocol/logLevel in _meta)',
  'reserved-error-codes': 'error codes -32020 to -32099 reserved for those the specification defines',
  tasks: 'tasks: task-augmented requests, tasks/get, tasks/result, tasks/list and tasks/cancel',
  'resource-indicators': 'the resource parameter (RFC 8707) in a client\'s token requests',
  'meta-key-names': 'the naming rules of _meta keys: an optional prefix of dot-separated labels and a slash, then a name',
  'client-consent': 'user consent for each dynamically registered client before a proxy with a static client id sends its user to a third-party authorization server',
  'oauth-proxy-protections': 'the protections the security best practices require of an OAuth proxy: its own consent page, consent cookies, exact redirect URIs, a state checked at its callback',
} as const;
export type Mechanism = keyof typeof MECHANISMS;

/** The error codes a revision defines beyond JSON-RPC's own. */
export interface RevisionErrors {
  resourceNotFound: number;
  headerMismatch?: number;
  missingClientCapability?: number;
  unsupportedProtocolVersion?: number;
}

interface RevisionStep {
  adds: readonly Mechanism[];
  removes?: readonly Mechanism[];
  /** For each mechanism it removes, the item of the revision's changelog ("Key Changes") that removes it. */
  removedBy?: Partial<Record<Mechanism, string>>;
  errors?: Partial<RevisionErrors>;
  /** Codes of earlier revisions that an implementation of this one must not emit. */
  retired?: readonly number[];
}

/** Each revision as a change to the one before it (the first one from nothing). */
const STEPS: Record<Revision, RevisionStep> = {
  '2025-03-26': {
    adds: ['initialize', 'sessions', 'get-stream', 'server-requests', 'ping', 'batches', 'resumability', 'disconnect-not-cancel'],
    errors: { resourceNotFound: ErrorCode.ResourceNotFound },
  },
  // Batches removed; MCP-Protocol-Version on every request after initialization; the server is an
  // OAuth resource server that names its metadata (RFC 9728) in its challenge, and clients name the
  // resource in their token requests (RFC 8707); a proxy with a static client id asks its user's
  // consent for each client it registers.
  '2025-06-18': { adds: ['version-header', 'resource-metadata', 'resource-indicators', 'meta-key-names', 'client-consent'], removes: ['batches'], removedBy: { batches: 'major change 1: "Remove support for JSON-RPC batching"' } },
  // SSE streams start with a priming event (an id and empty data); tasks, experimental; the security
  // best practices spell out what an OAuth proxy must do against confused deputies.
  '2025-11-25': { adds: ['priming-events', 'tasks', 'oauth-proxy-protections'] },
  // Stateless: no handshake, no sessions, no GET stream, no resumability, no ping; per-request _meta,
  // mirrored headers, discovery, subscriptions and multi round-trip requests instead.
  '2026-07-28': {
    adds: ['request-meta', 'method-headers', 'discover', 'subscriptions-listen', 'result-type', 'cacheable-results', 'input-required', 'request-log-level', 'disconnect-is-cancel', 'reserved-error-codes'],
    removes: ['initialize', 'sessions', 'get-stream', 'server-requests', 'ping', 'resumability', 'priming-events', 'disconnect-not-cancel', 'tasks'],
    removedBy: {
      sessions: 'major change 1: "Remove protocol-level sessions and the `Mcp-Session-Id` header from the Streamable HTTP transport"',
      initialize: 'major change 2: "Make MCP stateless: remove the `initialize`/`notifications/initialized` handshake"',
      'get-stream': 'major change 4: "Replace the HTTP GET endpoint and `resources/subscribe`/`resources/unsubscribe` with `subscriptions/listen`"',
      ping: 'major change 5: "Remove `ping`, `logging/setLevel`, and `notifications/roots/list_changed`"',
      'server-requests': 'major change 7: Multi Round-Trip Requests replace "sending server-initiated requests, such as `roots/list`, `sampling/createMessage`, or `elicitation/create`"',
      resumability: 'major change 9: "Remove SSE stream resumability and message redelivery (the `Last-Event-ID` header and SSE event IDs)"',
      'priming-events': 'major change 9: "Remove SSE stream resumability and message redelivery (the `Last-Event-ID` header and SSE event IDs)"',
      'disconnect-not-cancel': 'major change 9: "A broken response stream loses the in-flight request"',
      tasks: 'major change 6: "Move experimental tasks out of the core protocol and into an official extension (`io.modelcontextprotocol/tasks`)"',
    },
    errors: { resourceNotFound: ErrorCode.InvalidParams, headerMismatch: ErrorCode.HeaderMismatch, missingClientCapability: ErrorCode.MissingRequiredClientCapability, unsupportedProtocolVersion: ErrorCode.UnsupportedProtocolVersion },
    retired: [ErrorCode.ResourceNotFound, ErrorCode.UrlElicitationRequired],
  },
};

interface RevisionInfo {
  mechanisms: ReadonlySet<Mechanism>;
  errors: RevisionErrors;
  retired: ReadonlySet<number>;
}

const INFO = new Map<Revision, RevisionInfo>();
for (const [revision, step] of Object.entries(STEPS)) {
  for (const m of step.removes ?? []) if (!step.removedBy?.[m]) throw new Error(`${revision} removes ${m} without naming the changelog item that does`);
}
{
  let mechanisms = new Set<Mechanism>();
  let errors = { resourceNotFound: 0 } as RevisionErrors;
  let retired = new Set<number>();
  for (const revision of REVISIONS) {
    const step = STEPS[revision];
    mechanisms = new Set([...mechanisms].filter((m) => !step.removes?.includes(m)));
    for (const m of step.adds) mechanisms.add(m);
    errors = { ...errors, ...step.errors };
    retired = new Set([...retired, ...(step.retired ?? [])]);
    INFO.set(revision, { mechanisms, errors, retired });
  }
}

export function isRevision(value: unknown): value is Revision {
  return typeof value === 'string' && (REVISIONS as readonly string[]).includes(value);
}

/** Whether `revision` has the mechanism. */
export function has(revision: Revision, mechanism: Mechanism): boolean {
  return INFO.get(revision)!.mechanisms.has(mechanism);
}

/** The revisions that have every mechanism named, oldest first. */
export function revisionsWith(needs: readonly Mechanism[]): Revision[] {
  return REVISIONS.filter((r) => needs.every((m) => has(r, m)));
}

/**
 * Why `revision` lacks `mechanism`, in words for an n/a verdict: the revision (this one or an earlier
 * one) whose changelog removed it, with the item; or the revision that adds it later.
 */
export function whyLacking(revision: Revision, mechanism: Mechanism): string {
  const at = REVISIONS.indexOf(revision);
  for (let i = at; i >= 0; i--) {
    const step = STEPS[REVISIONS[i]];
    if (step.removes?.includes(mechanism)) return `${REVISIONS[i]} removed it (its changelog, ${step.removedBy![mechanism]})`;
  }
  const later = REVISIONS.slice(at + 1).find((r) => has(r, mechanism));
  return later ? `it comes only with ${later}` : `no revision has it`;
}

/** The mechanisms of `needs` that `revision` lacks (why a check is n/a there). */
export function missingIn(revision: Revision, needs: readonly Mechanism[]): Mechanism[] {
  return needs.filter((m) => !has(revision, m));
}

export function errorCodes(revision: Revision): RevisionErrors {
  return INFO.get(revision)!.errors;
}

/**
 * Whether `revision` retired the error code an earlier revision defined and gave its meaning no other
 * code (2026-07-28's -32042), so that there is nothing to keep of it: a retired code whose meaning
 * moved (-32002, resource not found, now -32602) is another code there, not nothing.
 */
export function retiredWithoutReplacement(revision: Revision, code: number): boolean {
  const { retired, errors } = INFO.get(revision)!;
  if (!retired.has(code)) return false;
  const meanings = REVISIONS.flatMap((earlier) => Object.entries(INFO.get(earlier)!.errors).filter(([, c]) => c === code).map(([meaning]) => meaning as keyof RevisionErrors));
  return meanings.every((meaning) => errors[meaning] === undefined);
}

/**
 * Why an implementation of `revision` may not emit the JSON-RPC error `code`, or undefined when it may:
 * a code an earlier revision defined and this one retired, or one from the range the specification
 * reserves for itself that it does not define.
 */
export function forbiddenErrorCode(revision: Revision, code: number): string | undefined {
  if (!has(revision, 'reserved-error-codes')) return undefined;
  if (INFO.get(revision)!.retired.has(code)) return `${code} is retired in ${revision}`;
  const defined = Object.values(errorCodes(revision)).filter((c): c is number => c !== undefined);
  if (code <= RESERVED_CODES.from && code >= RESERVED_CODES.to && !defined.includes(code)) return `${code} lies in -32020…-32099, which ${revision} reserves for the codes it defines, and it defines no ${code}`;
  return undefined;
}

/** The revisions of the stateless era (no initialize), and of the era before it. */
export function isStateless(revision: Revision): boolean {
  return !has(revision, 'initialize');
}

/** Revisions a server of the given era speaks, newest last. */
export function revisionsOfEra(stateless: boolean): Revision[] {
  return REVISIONS.filter((r) => isStateless(r) === stateless);
}

/** The newest revision of the session era: what a server of that era answers a client that asks for one it does not know. */
export const LATEST_SESSION_REVISION: Revision = revisionsOfEra(false).at(-1)!;
