/**
 * The run-wide half of `transparency/messages-schema-valid`: every scenario's messages, on both
 * legs, held to the JSON Schema of the revision they are spoken in. What the proxy delivered to the
 * harness's client is held to the run's revision, each answer to the result of the request it
 * answers; what the proxy sent the upstream is held to the revision that message declares (its
 * `MCP-Protocol-Version` header, its `_meta` version, its `initialize`), else to the era the upstream
 * is spoken to in.
 *
 * Not judged: exchanges the harness marks hostile (inputs that are invalid on purpose), and what the
 * proxy sent upstream for them; and any exchange whose own request turns out invalid without a mark,
 * which is a harness bug, counted apart so that the project's own runs catch it and a user's run
 * never blames a proxy for it.
 */
import { LATEST_SESSION_REVISION, findCorrelationIds, has, isStateless, recordBodyJson, revisionsOfEra, type Revision, type UpstreamRecord } from '../../../wire/index.ts';
import { declaredRevision } from './bridge-view.ts';
import { exchangeMessages, requestMessages, type Exchange } from '../client/exchange.ts';
import type { TargetInfo } from '../context.ts';
import { messageSchemas, type SchemaProblem } from './schema-valid.ts';
import { z } from 'zod';

/** A scenario's messages held to their schemas (written to the results file with each scenario's record). */
export const MessageScanSchema = z.object({
  /** Messages the proxy delivered to the client that were held to the schema. */
  delivered: z.number().int(),
  /** Messages the proxy sent the upstream that were held to the schema. */
  sent: z.number().int(),
  /** Exchanges marked hostile, left out with what the proxy sent upstream for them. */
  hostile: z.number().int(),
  /** What was invalid, first ones first, each ready to quote. */
  invalid: z.array(z.string()),
  /** How many invalid messages there were in all (`invalid` keeps only the first few). */
  invalidCount: z.number().int(),
  /** The harness's own requests that are invalid and carry no hostile mark: a harness bug. */
  unmarked: z.array(z.string()),
  /** The revisions the messages sent upstream were held to. */
  upstreamRevisions: z.array(z.string()).optional(),
});
export type MessageScan = z.infer<typeof MessageScanSchema>;

/** The check this scan serves; its own scenario is suites/transparency/schema.test.ts. */
export const SCHEMA_CHECK = 'transparency/messages-schema-valid';

const KEEP = 3;

type Json = Record<string, unknown>;

/** What a message is, for a verdict: its method, or the request it answers. */
function what(message: unknown, answered?: string): string {
  const m = (message ?? {}) as { method?: unknown };
  return typeof m.method === 'string' ? m.method : answered ? `the answer to ${answered}` : 'a response';
}

function describe(leg: string, message: unknown, problem: SchemaProblem, revision: Revision, answered?: string): string {
  return `${leg}: ${what(message, answered)} is not a valid ${problem.definition} of ${revision}: at ${problem.at || '/'} it ${problem.rule}; the message: ${(typeof message === 'string' ? message : String(JSON.stringify(message))).slice(0, 200)}`;
}

/** A request delivered to the client in a revision without server-to-client requests (2026-07-28 asks through input_required results only). */
function serverRequest(revision: Revision, message: unknown): SchemaProblem | undefined {
  const m = (message ?? {}) as { id?: unknown; method?: unknown };
  if (has(revision, 'server-requests') || typeof m.method !== 'string' || m.id === undefined) return undefined;
  return { definition: 'server message', at: '/method', rule: `is a request sent to the client, which ${revision} does not have: a server asks the client through an input_required result only` };
}

/**
 * A cancellation delivered to a 2026-07-28 client that names no subscriptions/listen of its own
 * exchange: a server of that revision cancels nothing else.
 */
function serverCancellation(revision: Revision, message: unknown, asked: (id: unknown) => string | undefined): SchemaProblem | undefined {
  const m = (message ?? {}) as { method?: unknown; params?: { requestId?: unknown } };
  if (!has(revision, 'subscriptions-listen') || m.method !== 'notifications/cancelled') return undefined;
  const method = asked(m.params?.requestId);
  if (method === 'subscriptions/listen') return undefined;
  return { definition: 'server message', at: '/params/requestId', rule: `is a cancellation of ${method ?? 'a request this exchange did not send'}, where a ${revision} server sends notifications/cancelled only to end a subscriptions/listen` };
}

/** A response sent to an upstream of the stateless era, which asks its client nothing (2026-07-28: "The client MUST NOT send JSON-RPC responses"). */
function clientResponse(revision: Revision, message: unknown): SchemaProblem | undefined {
  const m = (message ?? {}) as { method?: unknown; result?: unknown; error?: unknown };
  if (has(revision, 'server-requests') || m.method !== undefined || !('result' in m || 'error' in m)) return undefined;
  return { definition: 'client message', at: '/', rule: `is a JSON-RPC response sent to a ${revision} server, which sends its client no request to answer` };
}

/** A stateless-era upstream's message that did not come in a POST of its own (2026-07-28: "Every JSON-RPC message sent from the client MUST be a new HTTP POST request"). */
function notOwnPost(revision: Revision, record: UpstreamRecord, message: unknown): SchemaProblem | undefined {
  if (record.transport !== 'http' || !isStateless(revision)) return undefined;
  if (record.httpMethod !== undefined && record.httpMethod !== 'POST') return { definition: 'client message', at: '/', rule: `came in an HTTP ${record.httpMethod}, where a ${revision} client sends each message in a POST` };
  if (Array.isArray(message)) return { definition: 'client message', at: '/', rule: `is ${message.length} messages in one POST, where a ${revision} client sends each in a POST of its own` };
  return undefined;
}

/** The method of each request a message list carries, by id. */
function methodsById(messages: unknown[]): Map<unknown, string> {
  const methods = new Map<unknown, string>();
  for (const m of messages) {
    const o = (m ?? {}) as { id?: unknown; method?: unknown };
    if (typeof o.method === 'string' && o.id !== undefined) methods.set(o.id, o.method);
  }
  return methods;
}

/**
 * Whether a body the proxy answered with is a JSON-RPC message to hold to the schema: anything on a
 * 2xx, and on an error status only what presents itself as JSON-RPC (an authorization server's or a
 * gateway's JSON error on a 401 or a 502 is HTTP's, not MCP's).
 */
function carriesMessages(exchange: Exchange): boolean {
  if (exchange.status >= 200 && exchange.status < 300) return true;
  const json = exchange.json;
  const first = (Array.isArray(json) ? json[0] : json) as Json | undefined;
  return exchange.kind === 'sse' || (typeof first === 'object' && first !== null && 'jsonrpc' in first);
}

/**
 * JSON-RPC 2.0 answers a request whose id it could not read with `"id": null`; MCP's schemas leave
 * the id out instead. Both say "no id", so a null id is held to the schema as an absent one: a proxy
 * that follows JSON-RPC to the letter is not blamed for it.
 */
function withoutNullId(message: unknown): unknown {
  if (Array.isArray(message)) return message.map(withoutNullId);
  const m = message as Json | undefined;
  if (!m || typeof m !== 'object' || m.id !== null || !('error' in m)) return message;
  const { id: _null, ...rest } = m;
  return rest;
}

/** The origin and path of a URL: which endpoint of the target an exchange went to. */
function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * The revision a message sent upstream without declaring one is spoken in: the run's, unless the
 * upstream serves one era only and the run's revision is of the other (then that era's newest), or
 * the message is a session-era one under a stateless revision (a proxy may speak a dual upstream's
 * older era; a stateless request always declares its version).
 */
function fallbackRevision(target: Pick<TargetInfo, 'upstreamEra'>, revision: Revision): Revision {
  const latestStateless = revisionsOfEra(true).at(-1)!;
  if (target.upstreamEra === 'modern') return isStateless(revision) ? revision : latestStateless;
  if (isStateless(revision)) return LATEST_SESSION_REVISION;
  return revision;
}

export interface ScanInput {
  revision: Revision;
  /** The MCP endpoints of the target (and of its isolated copies): exchanges with other endpoints (health, metadata) carry no MCP messages. */
  mcpUrls: readonly string[];
  target: Pick<TargetInfo, 'upstreamEra'>;
  exchanges: readonly Exchange[];
  /** What the upstream received in the scenario (records carrying its correlation ids). */
  records: readonly UpstreamRecord[];
}

/** Holds a scenario's messages to their schemas. */
export function scanMessages({ revision, mcpUrls, target, exchanges, records }: ScanInput): MessageScan {
  const endpoints = new Set(mcpUrls.map(endpointOf));
  const upstreamRevisions = new Set<string>();
  const scan: MessageScan = { delivered: 0, sent: 0, hostile: 0, invalid: [], invalidCount: 0, unmarked: [] };
  const invalid = (text: string) => {
    scan.invalidCount++;
    if (scan.invalid.length < KEEP) scan.invalid.push(text);
  };
  /** Correlation ids of exchanges left out: what the upstream got for them is left out too. */
  const leftOut = new Set<string>();

  for (const exchange of exchanges) {
    if (!endpoints.has(endpointOf(exchange.url))) continue;
    const sentMessages = requestMessages(exchange);
    // A scenario may speak another revision than the run's on purpose (a session-era client of a bridge): its requests say which.
    const spoken = declaredRevision(exchange.requestHeaders, sentMessages[0]) ?? revision;
    const schemas = messageSchemas(spoken);
    if (exchange.hostile) {
      scan.hostile++;
      for (const cid of findCorrelationIds(exchange.requestBody)) leftOut.add(cid);
      continue;
    }
    const own = exchange.method === 'POST' && sentMessages.length === 0 ? { definition: 'JSONRPCMessage', at: '', rule: 'is not JSON' } : sentMessages.map((m) => schemas.problem(m)).find((p) => p !== undefined);
    if (own) {
      if (scan.unmarked.length < KEEP) scan.unmarked.push(describe('sent by the harness without a hostile mark', sentMessages[0] ?? exchange.requestBody, own, spoken));
      for (const cid of findCorrelationIds(exchange.requestBody)) leftOut.add(cid);
      continue;
    }
    if (!carriesMessages(exchange)) continue;
    const asked = methodsById(sentMessages);
    for (const message of exchangeMessages(exchange)) {
      scan.delivered++;
      const answered = asked.get((message as { id?: unknown } | undefined)?.id);
      const problem = schemas.problem(withoutNullId(message), (id) => asked.get(id)) ?? serverRequest(spoken, message) ?? serverCancellation(spoken, message, (id) => asked.get(id));
      if (problem) invalid(describe('delivered to the client', message, problem, spoken, answered));
    }
  }

  const fallback = fallbackRevision(target, revision);
  for (const record of records) {
    if (record.direction !== 'in' || record.cids.some((cid) => leftOut.has(cid))) continue;
    const message = recordBodyJson(record);
    if (message === undefined) continue;
    scan.sent++;
    const spoken = declaredRevision(record.headers, Array.isArray(message) ? message[0] : message) ?? fallback;
    upstreamRevisions.add(spoken);
    const problem = notOwnPost(spoken, record, message) ?? clientResponse(spoken, Array.isArray(message) ? message[0] : message) ?? messageSchemas(spoken).problem(withoutNullId(message));
    if (problem) invalid(describe(`sent to upstream ${record.upstream}`, message, problem, spoken));
  }
  return { ...scan, upstreamRevisions: [...upstreamRevisions] };
}

/** Two scans as one (a run's scenarios added up). */
export function addScans(a: MessageScan, b: MessageScan): MessageScan {
  return {
    delivered: a.delivered + b.delivered,
    sent: a.sent + b.sent,
    hostile: a.hostile + b.hostile,
    invalid: [...a.invalid, ...b.invalid].slice(0, KEEP),
    invalidCount: a.invalidCount + b.invalidCount,
    unmarked: [...a.unmarked, ...b.unmarked].slice(0, KEEP),
  };
}

/**
 * The schema check's verdict with the rest of the run folded in: its own scenario judged a
 * representative conversation; every other scenario's messages count too. An invalid message anywhere
 * fails it, naming the scenario and the message; a pass says how much more it covers. A check the run
 * did not judge (n/a, skipped) is left as it is.
 */
export function foldRunScans<R extends { verdict: string; message: string; observed?: string }>(result: R, scenarios: ReadonlyArray<{ title: string; checks: readonly string[]; messages?: MessageScan }>): R {
  if (['n/a', 'skipped'].includes(result.verdict)) return result;
  const others = scenarios.filter((s) => s.messages && !s.checks.includes(SCHEMA_CHECK));
  if (others.length === 0) return result;
  let total: MessageScan = { delivered: 0, sent: 0, hostile: 0, invalid: [], invalidCount: 0, unmarked: [] };
  for (const s of others) total = addScans(total, { ...s.messages!, invalid: s.messages!.invalid.map((text) => `in "${s.title}": ${text}`) });
  const leftOut = `${total.hostile} hostile exchange${total.hostile === 1 ? '' : 's'} left out${total.unmarked.length ? `, and harness requests invalid without a hostile mark left out unjudged (a harness bug): ${total.unmarked[0]}` : ''}`;
  if (total.invalidCount === 0) {
    if (result.verdict !== 'pass') return result;
    return { ...result, message: `${result.message}; across the run's other ${others.length} scenarios, ${total.delivered} messages delivered and ${total.sent} sent upstream are valid too (${leftOut})` };
  }
  const found = `${total.invalidCount} message${total.invalidCount === 1 ? '' : 's'} elsewhere in the run ${total.invalidCount === 1 ? 'is' : 'are'} invalid for ${total.invalidCount === 1 ? 'its' : 'their'} revision's JSON Schema`;
  return {
    ...result,
    verdict: 'fail',
    message: result.verdict === 'fail' ? `${result.message}; and ${found}` : `the proxy passed on invalid messages: ${found} (its own conversation: ${result.message})`,
    observed: [...(result.verdict === 'fail' && result.observed ? [result.observed] : []), ...total.invalid].join('; '),
  };
}
