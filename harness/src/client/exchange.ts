/**
 * One HTTP exchange as the harness's client saw it: what it sent, the status and headers it got,
 * and the body, either whole or as SSE events, each stamped with the time it arrived.
 */

export interface SseEventRecord {
  /** Arrival time, epoch ms with sub-ms precision (comparable with the mocks' records). */
  at: number;
  id?: string;
  event?: string;
  data: string;
  /** The parsed JSON-RPC message, when data is JSON. */
  json?: unknown;
}

export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string;
  startedAt: number;
  /** Time the response headers arrived. */
  headersAt?: number;
  endedAt?: number;
  status: number;
  headers: Record<string, string>;
  kind: 'json' | 'sse' | 'empty' | 'other';
  /** The raw body text (for SSE, the whole stream as received). */
  body: string;
  json?: unknown;
  events: SseEventRecord[];
  /** `retry` values the SSE stream announced, in order. */
  retries?: number[];
  /** How the exchange ended; checks branch on this, never on the text of `error`. */
  outcome: Outcome;
  /** What went wrong, for people: the network error, the timeout, a body that is not what it says. */
  error?: string;
  /** Why the harness sent an invalid request on purpose (hostile input): the schema check leaves it out. */
  hostile?: string;
}

/**
 * How an exchange ended: `answered` (a status and the whole body arrived), `timeout` (no complete
 * answer within the client's limit), `reset` (the peer closed the connection mid-way), `refused`
 * (nothing listens), `aborted` (the harness closed it, e.g. a GET stream it was done with),
 * `failed` (any other network error), `pending` (still under way).
 */
export type Outcome = 'pending' | 'answered' | 'timeout' | 'reset' | 'refused' | 'aborted' | 'failed';

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_EOF_STATE']);

/** The outcome of an exchange that ended in a network error, from the error's code (undici's or node's). */
export function failureOutcome(err: unknown): Outcome {
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (RESET_CODES.has(code)) return 'reset';
  return 'failed';
}

/** How a body is framed, from its Content-Type. */
export function bodyKind(contentType: string | undefined): 'json' | 'sse' | 'other' {
  const type = (contentType ?? '').toLowerCase();
  return type.startsWith('text/event-stream') ? 'sse' : type.startsWith('application/json') ? 'json' : 'other';
}

/** A fresh exchange, before anything came back. */
export function newExchange(method: string, url: string, requestHeaders: Record<string, string>, requestBody: string, startedAt: number): Exchange {
  return { method, url, requestHeaders, requestBody, startedAt, status: 0, headers: {}, kind: 'empty', body: '', events: [], outcome: 'pending' };
}

/** All JSON-RPC messages an exchange carried, whether as a JSON body or as SSE events. */
export function exchangeMessages(exchange: Exchange): unknown[] {
  if (exchange.kind === 'json') return Array.isArray(exchange.json) ? exchange.json : exchange.json === undefined ? [] : [exchange.json];
  return exchange.events.filter((e) => e.json !== undefined).map((e) => e.json);
}

/** The messages an exchange sent (its request body: one message, or a batch), none when it is not JSON. */
export function requestMessages(exchange: Exchange): unknown[] {
  try {
    const parsed = JSON.parse(exchange.requestBody) as unknown;
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return [];
  }
}

/** The response to the request with this id (same value and type), if the exchange carried one. */
export function findResponse(exchange: Exchange, id: string | number): Record<string, unknown> | undefined {
  return exchangeMessages(exchange).find((m): m is Record<string, unknown> => {
    const o = m as Record<string, unknown>;
    return !!o && typeof o === 'object' && !('method' in o) && o.id === id && ('result' in o || 'error' in o);
  });
}
