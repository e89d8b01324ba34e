/**
 * Every broken proxy of the defect matrix, one row each: which proxy carries the defect (the small
 * pass-through of defects.ts, the reference proxy of reference-defects.ts, two replicas of it, the
 * multiplexing stdio bridge), the profile it is judged through, and how its run in the matrix is
 * shaped. Which checks catch it, and in which revisions, is said by the checks themselves
 * (`provenBy` in catalogue/checks/<suite>.ts); the matrix (harness/test/broken-proxies.test.ts)
 * reads both.
 */
import type { Revision } from '../../wire/index.ts';
import type { Hints } from '../../catalogue/hints.ts';
import type { Feature } from '../../catalogue/types.ts';
import { REFERENCE_FEATURES, REFERENCE_HINTS, REFERENCE_LEVEL2_HINTS } from '../../catalogue/reference.ts';
import { DEFECTS, type Defect } from './defects.ts';
import { REFERENCE_DEFECTS, type ReferenceDefect } from './reference-defects.ts';

/**
 * The proxy a defect lives in, and the profile it is judged through.
 * - `pass-through`: the small pass-through of defects.ts, with a 3 s upstream timeout.
 * - `pass-through-bytes`: the same, claiming byte transparency (its defect is about bytes, or it relays nothing).
 * - `reference-level2`: the reference proxy judged at Level 2 (auth and its four hints).
 * - `reference-level3`: the reference proxy judged at Level 3 (every hint, told of its backups).
 * - `reference-bridging`: the same, claiming era bridging.
 * - `reference-stdio`: the reference proxy in front of the stdio mock, as `reference-stdio`.
 * - `reference-stdio-sdk`: the same in front of the TypeScript SDK v1 server over stdio (`upstreamServer: sdk-v1`).
 * - `replicas`: two reference proxies sharing a Redis, behind the harness's balancer.
 * - `replicas-no-store`: two correct reference proxies without the shared store.
 * - `multiplexer`: the stdio bridge of multiplexer.ts.
 * - `oauth-proxy`: the pass-through with the authorization front of oauth-front.ts, claiming `oauth-proxy`.
 */
export type Carrier = 'pass-through' | 'pass-through-bytes' | 'oauth-proxy' | 'reference-level2' | 'reference-level3' | 'reference-bridging' | 'reference-stdio' | 'reference-stdio-sdk' | 'replicas' | 'replicas-no-store' | 'multiplexer';

/**
 * How the matrix picks the checks a defect's run judges in one revision.
 * - `level` (default): the checks of the gate's level in the suites of the checks it is proven by, and those checks.
 * - `suites`: every check of those suites.
 * - `only`: exactly the checks it is proven by.
 * - `each`: one run per check it is proven by, each alone.
 */
export type Selection = 'level' | 'suites' | 'only' | 'each';

export interface BrokenProxy {
  carrier: Carrier;
  /** Selection per revision (default `level`). */
  select?: Partial<Record<Revision, Selection>>;
  /** Checks that must come out blocked (nothing left to judge on) in a revision's run; `rest`, every judged check it is not proven by. */
  blocked?: Partial<Record<Revision, readonly string[] | 'rest'>>;
  /** Checks whose verdict this defect makes depend on timing: left out of its runs. */
  unsteady?: readonly string[];
  /** Its runs wait out a check's bound (40 to 60 s, against 10 to 25 s): the matrix starts them first. */
  slow?: true;
}

const STATELESS = '2026-07-28';
const SUITES_THERE = { [STATELESS]: 'suites' } as const;
const ONLY_THERE = { [STATELESS]: 'only' } as const;
/** A defect of the OAuth proxy's authorization front, judged by exactly its checks in both eras. */
const OAUTH_FRONT = { carrier: 'oauth-proxy', select: { '2025-11-25': 'only', [STATELESS]: 'only' } } as const;

/** Why a row is as it is, where that is not obvious, stands beside it. */
export const BROKEN_PROXIES = {
  // A correct pass-through proxy: the matrix's control, which passes everything it is judged on.
  none: { carrier: 'pass-through-bytes' },
  'strip-unknown-members': { carrier: 'pass-through' },
  'reserialize-json': { carrier: 'pass-through-bytes' },
  'body-limit-1mb': { carrier: 'pass-through' },
  'rewrite-response-body': { carrier: 'pass-through' },
  'stringify-ids': { carrier: 'pass-through' },
  // One shared upstream session also lets one client's DELETE break everyone's calls (the relay canary
  // then blocks what runs after): each isolation check is judged in a run of its own.
  'shared-upstream-session': { carrier: 'pass-through', select: { '2025-11-25': 'each' } },
  // The upstream's HTTP error statuses carry JSON-RPC error bodies too, which the defect rewrites.
  'generic-errors': { carrier: 'pass-through' },
  'tool-errors-as-rpc-errors': { carrier: 'pass-through' },
  'forward-authorization': { carrier: 'pass-through' },
  'forward-hop-by-hop': { carrier: 'pass-through' },
  'strip-custom-headers': { carrier: 'pass-through' },
  'forward-client-host': { carrier: 'pass-through' },
  'upstream-accept-json-only': { carrier: 'pass-through' },
  'drop-unbuffered-header': { carrier: 'pass-through' },
  'refusal-status-lost': { carrier: 'pass-through' },
  // A 200 for a notification is also a 200 for the client's answers to server requests and for cancellations.
  'notification-ack-200': { carrier: 'pass-through' },
  'drop-cancelled': { carrier: 'pass-through' },
  'json-to-sse': { carrier: 'pass-through' },
  // Buffering a stream holds back everything on it: progress, server requests (so the SDK client's
  // sampling), the GET stream. Whether session/sse-event-ids-unique still sees enough events within its
  // wait then depends on timing (a fresh clone under load saw them): renumber-event-ids proves it.
  // Under 2026-07-28 a held-back subscription stream never shows its acknowledgement (to the scripted
  // client and to the v2 SDK client); a call whose stream is held back has ended upstream before the
  // client can close it, which leaves no cancellation to judge.
  'buffer-sse': { carrier: 'pass-through', unsteady: ['session/sse-event-ids-unique'], blocked: { [STATELESS]: ['transparency/stream-close-cancels'] }, slow: true },
  'drop-server-requests': { carrier: 'pass-through', slow: true },
  'drop-empty-events': { carrier: 'pass-through' },
  'renumber-event-ids': { carrier: 'pass-through' },
  'no-get-stream': { carrier: 'pass-through' },
  'reject-batches': { carrier: 'pass-through', select: { '2025-03-26': 'suites' } },
  // The id of a deleted session is an unknown session too.
  'session-404-as-400': { carrier: 'pass-through' },
  'missing-session-500': { carrier: 'pass-through' },
  'swallow-delete': { carrier: 'pass-through' },
  'rewrite-negotiated-version': { carrier: 'pass-through' },
  'drop-unknown-version-header': { carrier: 'pass-through' },
  // A proxy that normalizes versions it does not know to one it does: the request is served, not refused.
  'rewrite-unknown-version': { carrier: 'pass-through' },
  // A proxy that completes what a client left out of _meta: the malformed request is served.
  'fill-missing-meta': { carrier: 'pass-through' },
  'uncommon-status-as-502': { carrier: 'pass-through' },
  // Every way the upstream can fail (reset, down, timed out) ends in the same silence. Under 2026-07-28 a
  // proxy that answers nothing when its upstream fails (and refuses nothing itself) makes no error of its
  // own whose code could be judged.
  // …and leaves no answer whose status errors/gateway-status could judge.
  'hang-on-upstream-error': { carrier: 'pass-through', blocked: { '2025-11-25': ['errors/gateway-status'], [STATELESS]: ['errors/gateway-status', 'errors/own-codes-unreserved'] }, slow: true },
  'upstream-error-as-200': { carrier: 'pass-through' },
  'no-upstream-timeout': { carrier: 'pass-through' },
  'keep-stream-open-on-drop': { carrier: 'pass-through' },
  'crash-on-bad-json': { carrier: 'pass-through' },
  // Stripped ids leave no id to judge: blocked, not passed; the priming event (an id and empty data) is gone too.
  'strip-event-ids': { carrier: 'pass-through-bytes', blocked: { '2025-11-25': ['session/sse-event-ids-unique'] } },
  // Under 2026-07-28 an unknown method is HTTP 404 with -32601, so the HTML page hides a JSON-RPC error too.
  'html-error-body': { carrier: 'pass-through-bytes' },
  'flip-is-error': { carrier: 'pass-through-bytes' },
  'connection-per-client': { carrier: 'pass-through-bytes' },
  // A target that relays no call at all: its relay check fails, and the canary blocks everything else.
  'answer-calls-itself': { carrier: 'pass-through-bytes', blocked: { '2025-11-25': 'rest', [STATELESS]: 'rest' } },
  // One upstream process for every client, answers routed by id: the clients' colliding ids cross.
  'multiplex-clients': { carrier: 'multiplexer', select: { '2025-11-25': 'only', [STATELESS]: 'only' } },
  // The checks of the stateless era alone (2026-07-28).
  'drop-param-headers': { carrier: 'pass-through', select: SUITES_THERE },
  'keep-upstream-on-client-close': { carrier: 'pass-through', select: SUITES_THERE },
  'rewrite-mirrored-headers': { carrier: 'pass-through', select: SUITES_THERE },
  'reserved-error-codes': { carrier: 'pass-through', select: SUITES_THERE },
  'drop-trace-context': { carrier: 'pass-through', select: SUITES_THERE },
  // Under 2026-07-28 the only log messages are those a request asked for, on its own stream (the session era's go on the GET stream).
  'drop-log-messages': { carrier: 'pass-through', select: SUITES_THERE },
  // The v2 SDK client retries with the requestState it was given: the broken proxy refuses it, as it should.
  'drop-request-state': { carrier: 'pass-through', select: SUITES_THERE },
  // Proxies that trim or rebuild what they relay into messages the revision's schema rejects.
  'strip-input-schemas': { carrier: 'pass-through' },
  'drop-logging-capability': { carrier: 'pass-through' },
  'drop-task-params': { carrier: 'pass-through' },
  'swallow-initialized': { carrier: 'pass-through' },
  'route-tasks-by-id': { carrier: 'pass-through' },
  'drop-result-type': { carrier: 'pass-through' },
  'form-decode-cursors': { carrier: 'pass-through' },
  'drop-catalog-capabilities': { carrier: 'pass-through' },
  'drop-empty-cursor': { carrier: 'pass-through' },
  // The authorization front's protections are judged alone: nothing else of the proxy changes.
  'consent-per-user': OAUTH_FRONT,
  'consent-page-frameable': OAUTH_FRONT,
  'consent-without-csrf': OAUTH_FRONT,
  'consent-cookie-plain': OAUTH_FRONT,
  'redirect-uri-prefix': OAUTH_FRONT,
  'state-unchecked': OAUTH_FRONT,
  'state-before-consent': OAUTH_FRONT,
  // Level 2: the reference proxy with one production property taken away (reference-defects.ts).
  // Under 2026-07-28 the auth suite runs whole (its raw requests open with server/discover there).
  'ref-accept-alg-none': { carrier: 'reference-level2', select: SUITES_THERE },
  'ref-ignore-audience': { carrier: 'reference-level2', select: SUITES_THERE },
  // Sending the client's token also means sending none of its own.
  // Neither asks the authorization server for a token, so the token request has nothing to be judged on.
  'ref-forward-client-token': { carrier: 'reference-level2', select: SUITES_THERE, blocked: { '2025-11-25': ['auth/upstream-token-resource'], [STATELESS]: ['auth/upstream-token-resource'] } },
  'ref-no-upstream-credential': { carrier: 'reference-level2', select: SUITES_THERE, blocked: { '2025-11-25': ['auth/upstream-token-resource'], [STATELESS]: ['auth/upstream-token-resource'] } },
  'ref-ignore-scopes': { carrier: 'reference-level2', select: SUITES_THERE },
  // A bare challenge also names no scope.
  'ref-no-resource-metadata': { carrier: 'reference-level2', select: SUITES_THERE },
  'ref-sessions-not-bound': { carrier: 'reference-level2' },
  'ref-no-origin-check': { carrier: 'reference-level2', select: ONLY_THERE },
  'ref-refuse-all-origins': { carrier: 'reference-level2', select: SUITES_THERE },
  'ref-predictable-session-ids': { carrier: 'reference-level2' },
  // A proxy that claims era bridging but relays each request as it is: refused by the upstream of the other era, both ways.
  'ref-no-era-bridge': { carrier: 'reference-bridging', select: SUITES_THERE },
  'ref-bridge-no-param-headers': { carrier: 'reference-bridging', select: SUITES_THERE },
  'ref-leak-upstream-address': { carrier: 'reference-level2', select: ONLY_THERE },
  'ref-no-idle-reaping': { carrier: 'reference-level2', slow: true },
  // The upstream never hears of an ended session, whoever ends it: the client's DELETE or the reaper.
  'ref-keep-upstream-sessions': { carrier: 'reference-level2', slow: true },
  'ref-leak-memory': { carrier: 'reference-level2', slow: true },
  'ref-connection-per-request': { carrier: 'reference-level2', select: ONLY_THERE },
  'ref-no-limits': { carrier: 'reference-level2', select: ONLY_THERE, slow: true },
  'ref-slow-5ms': { carrier: 'reference-level2', select: ONLY_THERE },
  'ref-slow-2ms': { carrier: 'reference-level2', select: ONLY_THERE },
  'ref-prototype-scope-lookup': { carrier: 'reference-level2', select: ONLY_THERE },
  'ref-stack-in-200-error': { carrier: 'reference-level2' },
  // A list cache shared by every client hands one user the private tools/list the upstream made for another.
  'ref-shared-list-cache': { carrier: 'reference-level3', select: SUITES_THERE },
  // Level 3: the reference proxy with one resilience or operations property taken away.
  'ref-no-failover': { carrier: 'reference-level3' },
  'ref-no-circuit-breaker': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-session-lost-as-502': { carrier: 'reference-level3' },
  'ref-upstream-gone-for-good': { carrier: 'reference-level3' },
  'ref-stdio-no-cancel': { carrier: 'reference-stdio', select: ONLY_THERE },
  'ref-stdio-no-priming': { carrier: 'reference-stdio' },
  'ref-stdio-forget-finished-streams': { carrier: 'reference-stdio' },
  'ref-stdio-blank-lines': { carrier: 'reference-stdio' },
  'ref-stdio-not-found-as-200': { carrier: 'reference-stdio' },
  'ref-skip-param-headers': { carrier: 'reference-stdio' },
  'ref-credential-sometimes-missing': { carrier: 'reference-level2' },
  'ref-token-without-resource': { carrier: 'reference-level2' },
  // In front of the SDK v1 server over stdio, which speaks the session era only: the bridge's own results are judged.
  'ref-drop-result-type': { carrier: 'reference-stdio-sdk' },
  'ref-retry-failed-calls': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-one-call-per-tool': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-rate-limit-per-session': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-rate-limit-per-address': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-metrics-miss-upstream-failures': { carrier: 'reference-level3' },
  'ref-metrics-count-twice': { carrier: 'reference-level3' },
  'ref-metrics-refusals-as-ok': { carrier: 'reference-level3' },
  'ref-always-ready': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-strip-last-event-id': { carrier: 'reference-level3' },
  'ref-policy-list-only': { carrier: 'reference-level3' },
  // Under 2026-07-28 a header that names a denied tool for a body that calls an allowed one must be refused, not relayed.
  'ref-skip-header-check': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-audit-misses-refusals': { carrier: 'reference-level3', select: ONLY_THERE },
  'ref-shutdown-drops-in-flight': { carrier: 'reference-level3', select: ONLY_THERE },
  // Without the shared store, a session and a limit belong to one replica, so the session never reaches
  // replica 2 before the DELETE that check needs it to have served. The limit is judged in the stateless
  // era too, where the replicas keep no sessions but still count requests.
  'ref-replicas-no-store': { carrier: 'replicas-no-store', select: { '2025-11-25': 'suites', [STATELESS]: 'only' }, blocked: { '2025-11-25': ['replicas/delete-seen-everywhere'] } },
  'ref-stale-session-copies': { carrier: 'replicas', select: { '2025-11-25': 'suites' } },
  'ref-tasks-kept-per-replica': { carrier: 'replicas', select: { '2025-11-25': 'suites' } },
  'ref-stateless-needs-discover': { carrier: 'replicas', select: SUITES_THERE },
} as const satisfies Record<string, BrokenProxy>;

export type BrokenProxyName = keyof typeof BROKEN_PROXIES;

/** Where the profile's command finds the proxyspec command, Node and the reference's configs: absolute paths of the caller's choosing. */
export interface ProfilePaths {
  node: string;
  bin: string;
  /** proxy/configs/ */
  configs: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The target profile (as `proxyspec run --target` reads it from JSON or YAML) of one broken proxy,
 * in its own carrier or, for a control, in another (`none` as the OAuth proxy).
 */
export function brokenProxyProfile(name: BrokenProxyName, paths: ProfilePaths, carrier: Carrier = (BROKEN_PROXIES[name] as BrokenProxy).carrier): Record<string, unknown> {
  const proxyspec = `${quote(paths.node)} ${quote(paths.bin)}`;
  const config = quote(`${paths.configs}/reference-http.yaml`);
  const defect = name.replace(/^ref-/, '');
  const backups = { PROXYSPEC_UPSTREAM_BACKUP_URLS: '{upstream_backup_urls}' };
  const profile = (command: string, features: readonly Feature[], hints: Hints, more: Record<string, unknown> = {}) => ({ name: `broken-${name}`, command, ...more, features: [...features], config: hints });
  switch (carrier) {
    case 'pass-through':
    case 'pass-through-bytes':
    case 'oauth-proxy': {
      if (!(DEFECTS as readonly string[]).includes(name)) throw new Error(`${name} is not a defect of the pass-through proxy`);
      const passThrough = `${proxyspec} mock proxy --defect ${name as Defect} --timeout-ms 3000 --port {port} --upstream {upstream_url}`;
      // As an OAuth proxy, its third party is the run's authorization server (the `proxy` client there).
      const oauth = '--oauth-issuer {issuer} --oauth-client-id {proxy_client_id} --oauth-client-secret {proxy_client_secret} --oauth-redirect-uri {proxy_redirect_uri}';
      if (carrier === 'oauth-proxy') return profile(`${passThrough} ${oauth}`, ['oauth-proxy'], { upstreamTimeoutMs: 3000 });
      return profile(passThrough, carrier === 'pass-through' ? [] : ['byte-transparency'], { upstreamTimeoutMs: 3000 });
    }
    case 'multiplexer':
      return profile(`${proxyspec} mock multiplexer --port {port} --upstream-command "$PROXYSPEC_UPSTREAM_COMMAND"`, [], { upstreamTimeoutMs: 3000 }, { upstream: 'stdio' });
    case 'replicas-no-store':
      return profile(`${proxyspec} proxy --config ${config} --port {port}`, REFERENCE_FEATURES.replicas, REFERENCE_HINTS, { replicas: 2, env: backups });
  }
  if (!(REFERENCE_DEFECTS as readonly string[]).includes(defect)) throw new Error(`${name} is not a defect of the reference proxy`);
  const reference = `${proxyspec} mock reference --defect ${defect as ReferenceDefect} --config ${config} --port {port}`;
  switch (carrier) {
    case 'reference-level2':
      return profile(reference, ['byte-transparency', 'auth'], REFERENCE_LEVEL2_HINTS);
    case 'reference-level3':
      return profile(reference, REFERENCE_FEATURES.level3, REFERENCE_HINTS, { env: backups });
    case 'reference-bridging':
      return profile(reference, REFERENCE_FEATURES.http, REFERENCE_HINTS, { env: backups });
    case 'reference-stdio':
    case 'reference-stdio-sdk':
      return profile(`${proxyspec} mock reference --defect ${defect as ReferenceDefect} --config ${quote(`${paths.configs}/reference-stdio.yaml`)} --port {port}`, REFERENCE_FEATURES.stdio, REFERENCE_HINTS, { upstream: 'stdio', ...(carrier === 'reference-stdio-sdk' && { upstreamServer: 'sdk-v1' }) });
    case 'replicas':
      return profile(`${reference} --redis {redis_url}`, REFERENCE_FEATURES.replicas, REFERENCE_HINTS, { replicas: 2, env: backups });
  }
}
