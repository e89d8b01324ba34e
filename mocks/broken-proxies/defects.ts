/**
 * The deliberate defects of the self-test proxies, one each. A check is trusted only once a proxy
 * with the defect it names is shown to fail it, and the same proxy without a defect to pass it.
 * Each defect is described by what it does to a request, a status, a message or a stream.
 */

import { LATEST_REVISION, LATEST_SESSION_REVISION, META, PARAM_HEADER_PREFIX, REVISIONS, mirroredHeaders, requestProtocolVersion, revisionsOfEra } from '../../wire/index.ts';

export const DEFECTS = [
  'none', // a correct pass-through proxy
  'strip-unknown-members', // rebuilds request params from the members it knows, dropping the rest
  'reserialize-json', // parses and re-serialises request bodies (same JSON, different bytes)
  'body-limit-1mb', // refuses request bodies over 1 MB with 413
  'rewrite-response-body', // drops structuredContent from tool results
  'stringify-ids', // returns every response id as a string
  'shared-upstream-session', // sends every client's traffic to the first upstream session it saw
  'generic-errors', // replaces upstream JSON-RPC errors with a generic -32603
  'tool-errors-as-rpc-errors', // turns isError tool results into JSON-RPC errors
  'forward-authorization', // forwards the client's Authorization header upstream
  'forward-hop-by-hop', // forwards Proxy-Authorization and the headers named in Connection
  'strip-custom-headers', // forwards only the headers it knows
  'refusal-status-lost', // (2026-07-28) relays the upstream's refusal for a missing client capability (-32021) with HTTP 200 instead of its 400
  'drop-unbuffered-header', // drops X-Accel-Buffering from the upstream's answers, as a proxy that copies only the headers it knows does
  'upstream-accept-json-only', // asks its upstream for JSON alone (Accept: application/json), on every request
  'forward-client-host', // sends the client's Host header upstream
  'notification-ack-200', // answers notifications 200 with a JSON body instead of relaying 202
  'drop-cancelled', // acknowledges notifications/cancelled without forwarding it
  'json-to-sse', // re-frames JSON answers as SSE
  'buffer-sse', // collects a whole SSE answer before sending any of it
  'drop-server-requests', // drops server-to-client requests from SSE streams
  'drop-empty-events', // drops SSE events with empty data (the priming event)
  'renumber-event-ids', // numbers SSE event ids per stream, from 1
  'no-get-stream', // answers GET with 405 itself
  'reject-batches', // answers JSON-RPC batches with 400 itself
  'session-404-as-400', // turns the upstream's session-not-found 404 into 400
  'missing-session-500', // turns the upstream's 400 for a request without a session into 500
  'swallow-delete', // answers DELETE 200 itself without telling the upstream
  'rewrite-negotiated-version', // tells the client a different negotiated version than the upstream chose
  'drop-unknown-version-header', // strips an MCP-Protocol-Version it does not know instead of refusing it
  'uncommon-status-as-502', // turns upstream 405, 406 and 415 into 502
  'hang-on-upstream-error', // never answers when the upstream connection fails
  'upstream-error-as-200', // answers a failed upstream connection with its JSON-RPC error on HTTP 200 instead of 502 or 504
  'no-upstream-timeout', // waits for the upstream for ever, whatever timeout it was given
  'keep-stream-open-on-drop', // leaves the client's stream open when the upstream drops it
  'crash-on-bad-json', // answers malformed JSON with a bare 500 and no parse error
  'strip-event-ids', // drops the id: line of every SSE event
  'html-error-body', // sends an HTML error page in place of the upstream's JSON body for a 4xx
  'flip-is-error', // relays a tool result's isError: true as isError: false
  'connection-per-client', // opens one upstream connection for each client session and keeps it for that client
  'answer-calls-itself', // answers every tools/call itself with an empty result, never forwarding it
  'drop-param-headers', // drops the Mcp-Param-* headers it does not recognise instead of forwarding them
  'drop-request-state', // forwards a retried request without its requestState
  'rewrite-mirrored-headers', // sets Mcp-Method, Mcp-Name and MCP-Protocol-Version from the body it forwards, so a request whose headers disagree with it goes through
  'reserved-error-codes', // numbers its own upstream errors -32050 and -32051, inside the range MCP 2026-07-28 reserves for codes it defines
  'drop-trace-context', // keeps only progressToken and the prefixed keys of a request's _meta (the spec's rule for names, minus its exception), losing traceparent, tracestate and baggage
  'drop-log-messages', // drops notifications/message from SSE streams, as a proxy that relays only the notifications it knows of
  'keep-upstream-on-client-close', // reads the upstream's stream to its end after the client closed its own (2026-07-28: no cancellation)
  'swallow-initialized', // acknowledges notifications/initialized with 202 itself, never forwarding it
  'drop-task-params', // rebuilds tools/call params from name, arguments and _meta, dropping the task member that asks for a task
  'route-tasks-by-id', // remembers which upstream session created each task and sends every tasks/get, tasks/result and tasks/cancel for it there, whoever asks
  'drop-logging-capability', // leaves logging out of the capabilities of initialize and server/discover results, as a gateway that declares only what it relays itself does
  'strip-input-schemas', // trims tools/list results to what it thinks a client shows: each tool's name and description, without its inputSchema
  'rewrite-unknown-version', // rewrites a protocol version it does not know (header and _meta) to the newest it knows, instead of letting it be refused
  'fill-missing-meta', // fills a stateless request's missing _meta fields (the newest version, empty capabilities) instead of letting it be refused
  'drop-catalog-capabilities', // leaves resources, prompts and completions out of the capabilities of initialize and server/discover results, while it relays their requests
  'form-decode-cursors', // decodes the cursor of a list request as a form value ("+" becomes a space) before it sends it upstream
  'drop-empty-cursor', // (2026-07-28) leaves an empty nextCursor out of list results, as a proxy that tests it for truth does
  'drop-result-type', // rebuilds tools/list results from the members the session era knew (tools, nextCursor, _meta), losing 2026-07-28's resultType and cache hints
  // Of the OAuth proxy's authorization front (oauth-front.ts), carried by the pass-through proxy.
  'consent-per-user', // remembers consent per user, not per client: a browser that approved one client is sent on to the third party for any other
  'consent-page-frameable', // sends its consent page without X-Frame-Options or a frame-ancestors policy
  'consent-without-csrf', // takes a POST to its consent endpoint without the page's token as approval of the browser's latest page, and sets its session cookie SameSite=None, so another site's form approves
  'consent-cookie-plain', // remembers consent in a session cookie without the __Host- prefix, Secure, HttpOnly or SameSite
  'redirect-uri-prefix', // takes any redirect_uri that starts with a registered one (a pattern, not exact string matching)
  'state-unchecked', // takes the third party's callback with whatever state it carries, as long as the browser has an authorization under way
  'state-before-consent', // makes the state, and sets the cookie holding it, when the authorization request arrives, before the user has approved anything
] as const;

export type Defect = (typeof DEFECTS)[number];

type Json = Record<string, unknown>;

export interface LocalAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const KNOWN_VERSIONS: readonly string[] = REVISIONS;
const KNOWN_HEADERS = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'user-agent', 'mcp-method', 'mcp-name'];
const KNOWN_PARAMS = ['name', 'arguments', '_meta', 'task', 'taskId', 'protocolVersion', 'capabilities', 'clientInfo', 'requestId', 'reason', 'cursor', 'uri', 'notifications', 'inputResponses', 'requestState', 'ref', 'argument', 'context'];
const JSON_TYPE = { 'content-type': 'application/json' };

/** A defect that answers instead of forwarding, or undefined to forward. */
export function localAnswer(defect: Defect, method: string, body: Buffer | undefined, parsed: unknown, parseFailed: boolean): LocalAnswer | undefined {
  if (defect === 'no-get-stream' && method === 'GET') return { status: 405, headers: { allow: 'POST, DELETE' }, body: '' };
  if (defect === 'swallow-delete' && method === 'DELETE') return { status: 200, headers: {}, body: '' };
  if (defect === 'body-limit-1mb' && body && body.length > 1024 * 1024) return { status: 413, headers: JSON_TYPE, body: '{"error":"too large"}' };
  if (defect === 'crash-on-bad-json' && method === 'POST' && parseFailed) return { status: 500, headers: { 'content-type': 'text/plain' }, body: 'Internal Server Error' };
  if (defect === 'reject-batches' && Array.isArray(parsed)) return { status: 400, headers: JSON_TYPE, body: '{"error":"batches are not supported"}' };
  if (defect === 'drop-cancelled' && (parsed as Json | undefined)?.method === 'notifications/cancelled') return { status: 202, headers: {}, body: '' };
  if (defect === 'swallow-initialized' && (parsed as Json | undefined)?.method === 'notifications/initialized') return { status: 202, headers: {}, body: '' };
  if (defect === 'answer-calls-itself' && (parsed as Json | undefined)?.method === 'tools/call') {
    // A result valid for the request's revision (2026-07-28's needs resultType): the defect is the call never forwarded, nothing else.
    const stateless = requestProtocolVersion((parsed as Json).params) !== undefined;
    return { status: 200, headers: JSON_TYPE, body: JSON.stringify({ jsonrpc: '2.0', id: (parsed as Json).id, result: { content: [], ...(stateless && { resultType: 'complete' }) } }) };
  }
  return undefined;
}

export function mutateRequestHeaders(defect: Defect, headers: Record<string, string>, parsed?: unknown): Record<string, string> {
  const message = parsed as { method?: unknown; params?: Record<string, unknown> } | undefined;
  if (defect === 'rewrite-mirrored-headers' && typeof message?.method === 'string' && requestProtocolVersion(message.params)) {
    return { ...headers, 'mcp-protocol-version': requestProtocolVersion(message.params)!, ...mirroredHeaders(message.method, message.params) };
  }
  if (defect === 'upstream-accept-json-only') return { ...headers, accept: 'application/json' };
  if (defect === 'strip-custom-headers') return Object.fromEntries(Object.entries(headers).filter(([k]) => KNOWN_HEADERS.includes(k)));
  if (defect === 'drop-param-headers') return Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(PARAM_HEADER_PREFIX)));
  if (defect === 'rewrite-unknown-version' && headers['mcp-protocol-version'] && !KNOWN_VERSIONS.includes(headers['mcp-protocol-version'])) {
    // The newest it knows of the request's era: a body naming its version is of the stateless one.
    return { ...headers, 'mcp-protocol-version': requestProtocolVersion(message?.params) === undefined ? LATEST_SESSION_REVISION : LATEST_REVISION };
  }
  if (defect === 'drop-unknown-version-header' && headers['mcp-protocol-version'] && !KNOWN_VERSIONS.includes(headers['mcp-protocol-version'])) {
    const { 'mcp-protocol-version': _dropped, ...rest } = headers;
    return rest;
  }
  return headers;
}

export function mutateRequestBody(defect: Defect, body: Buffer, parsed: unknown): Buffer {
  if (defect === 'reserialize-json' && parsed !== undefined) return Buffer.from(JSON.stringify(parsed));
  const meta = (parsed as { params?: { _meta?: Json } } | undefined)?.params?._meta;
  if (defect === 'drop-trace-context' && meta && typeof meta === 'object') {
    const kept = Object.fromEntries(Object.entries(meta).filter(([k]) => k === 'progressToken' || k.includes('/')));
    return Buffer.from(JSON.stringify({ ...(parsed as Json), params: { ...(parsed as { params: Json }).params, _meta: kept } }));
  }
  const asked = requestProtocolVersion((parsed as { params?: unknown } | undefined)?.params);
  if (defect === 'fill-missing-meta' && meta && typeof meta === 'object' && (parsed as Json).id !== undefined && (asked === undefined || typeof meta[META.clientCapabilities] !== 'object')) {
    const filled = { [META.protocolVersion]: LATEST_REVISION, [META.clientCapabilities]: {}, ...meta };
    return Buffer.from(JSON.stringify({ ...(parsed as Json), params: { ...(parsed as { params: Json }).params, _meta: filled } }));
  }
  if (defect === 'rewrite-unknown-version' && meta && asked !== undefined && !KNOWN_VERSIONS.includes(asked)) {
    return Buffer.from(JSON.stringify({ ...(parsed as Json), params: { ...(parsed as { params: Json }).params, _meta: { ...meta, [META.protocolVersion]: LATEST_REVISION } } }));
  }
  if (defect === 'drop-request-state' && (parsed as { params?: Json } | undefined)?.params?.requestState !== undefined) {
    const { requestState: _dropped, ...params } = (parsed as { params: Json }).params;
    return Buffer.from(JSON.stringify({ ...(parsed as Json), params }));
  }
  const cursor = (parsed as { params?: Json } | undefined)?.params?.cursor;
  if (defect === 'form-decode-cursors' && typeof cursor === 'string') {
    const decoded = new URLSearchParams(`c=${cursor}`).get('c');
    return Buffer.from(JSON.stringify({ ...(parsed as Json), params: { ...(parsed as { params: Json }).params, cursor: decoded } }));
  }
  if (defect === 'drop-task-params' && (parsed as Json | undefined)?.method === 'tools/call' && (parsed as { params?: Json }).params?.task !== undefined) {
    const { task: _dropped, ...params } = (parsed as { params: Json }).params;
    return Buffer.from(JSON.stringify({ ...(parsed as Json), params }));
  }
  if (defect !== 'strip-unknown-members' || !parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  const m = { ...(parsed as Json) };
  const params = m.params as Json | undefined;
  if (params) m.params = Object.fromEntries(Object.entries(params).filter(([k]) => KNOWN_PARAMS.includes(k)));
  return Buffer.from(JSON.stringify(m));
}

/** The JSON-RPC code of the proxy's own error when the upstream fails or times out: outside JSON-RPC's reserved range, unless the defect says otherwise. */
export function ownErrorCode(defect: Defect, timedOut: boolean): number {
  if (defect === 'reserved-error-codes') return timedOut ? -32051 : -32050;
  return timedOut ? -31051 : -31050;
}

/** The status the client gets for the upstream's status. */
export function mapStatus(defect: Defect, status: number, sessionHeader: boolean, upstreamBody: string): number {
  if (defect === 'session-404-as-400' && status === 404 && upstreamBody.includes('-32001')) return 400;
  if (defect === 'missing-session-500' && status === 400 && !sessionHeader) return 500;
  if (defect === 'uncommon-status-as-502' && [405, 406, 415].includes(status)) return 502;
  if (defect === 'notification-ack-200' && status === 202) return 200;
  if (defect === 'refusal-status-lost' && status === 400 && upstreamBody.includes('-32021')) return 200;
  return status;
}

/** Defects that change what a message says: applied to JSON bodies and to SSE events alike. */
const MESSAGE_DEFECTS: readonly Defect[] = ['drop-logging-capability', 'stringify-ids', 'rewrite-response-body', 'generic-errors', 'tool-errors-as-rpc-errors', 'rewrite-negotiated-version', 'flip-is-error', 'strip-input-schemas', 'drop-result-type', 'drop-empty-cursor', 'drop-catalog-capabilities'];

/** Whether the defect must hold a JSON (non-SSE) answer whole: to rewrite it, re-frame it, or pick its status from it. */
export function needsWholeBody(defect: Defect): boolean {
  return MESSAGE_DEFECTS.includes(defect) || ['route-tasks-by-id', 'session-404-as-400', 'missing-session-500', 'uncommon-status-as-502', 'notification-ack-200', 'json-to-sse', 'html-error-body', 'refusal-status-lost'].includes(defect);
}

/** Whether the defect rewrites SSE streams event by event. */
export function rewritesEvents(defect: Defect): boolean {
  return MESSAGE_DEFECTS.includes(defect) || ['drop-server-requests', 'drop-log-messages', 'drop-empty-events', 'renumber-event-ids', 'strip-event-ids'].includes(defect);
}

/** The defect's change to one upstream message on its way to the client; null drops it. */
export function mutateMessage(defect: Defect, message: unknown): unknown {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return message;
  const m = { ...(message as Json) };
  if (defect === 'drop-server-requests' && 'method' in m && 'id' in m) return null;
  if (defect === 'drop-log-messages' && m.method === 'notifications/message') return null;
  const isResponse = !('method' in m) && ('result' in m || 'error' in m);
  if (!isResponse) return message;
  if (defect === 'stringify-ids' && m.id !== null && m.id !== undefined) m.id = String(m.id);
  const result = m.result as Json | undefined;
  if (defect === 'rewrite-response-body' && result && typeof result === 'object') {
    const { structuredContent: _dropped, ...rest } = result;
    m.result = rest;
  }
  if (defect === 'flip-is-error' && result?.isError === true) m.result = { ...result, isError: false };
  if (defect === 'tool-errors-as-rpc-errors' && result?.isError === true) {
    delete m.result;
    m.error = { code: -32603, message: 'Tool failed' };
  }
  if (defect === 'rewrite-negotiated-version' && typeof result?.protocolVersion === 'string' && result.serverInfo) {
    // Another revision of the session era: the newest one that is not the upstream's.
    m.result = { ...result, protocolVersion: revisionsOfEra(false).filter((r) => r !== result.protocolVersion).at(-1) };
  }
  if (defect === 'drop-logging-capability' && result && typeof result.capabilities === 'object' && result.capabilities) {
    const { logging: _dropped, ...capabilities } = result.capabilities as Json;
    m.result = { ...result, capabilities };
  }
  if (defect === 'drop-catalog-capabilities' && result && typeof result.capabilities === 'object' && result.capabilities) {
    const { resources: _r, prompts: _p, completions: _c, ...capabilities } = result.capabilities as Json;
    m.result = { ...result, capabilities };
  }
  if (defect === 'drop-empty-cursor' && result?.nextCursor === '') {
    const { nextCursor: _dropped, ...rest } = result;
    m.result = rest;
  }
  if (defect === 'generic-errors' && m.error) m.error = { code: -32603, message: 'Internal error' };
  const tools = Array.isArray(result?.tools) ? (result.tools as Json[]) : undefined;
  if (defect === 'strip-input-schemas' && tools) m.result = { ...result, tools: tools.map(({ name, description }) => ({ name, description })) };
  if (defect === 'drop-result-type' && tools) m.result = Object.fromEntries(Object.entries(result!).filter(([k]) => ['tools', 'nextCursor', '_meta'].includes(k)));
  return m;
}
