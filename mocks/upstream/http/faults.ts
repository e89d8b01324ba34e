/**
 * The faults a scenario scripts into one request, through its `_meta` (FAULT_META_KEY and
 * HTTP_STATUS_META_KEY): one injector for both eras. A scripted status and a reset happen the same way
 * in each; how an SSE answer is cut differs, so each era says how it drops its own stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, FAULT_META_KEY, HTTP_STATUS_META_KEY, errorResponse, type JsonRpcRequest } from '../../../wire/index.ts';
import type { HttpExchanges } from './exchange.ts';

export type Fault =
  /** Answer with this HTTP status and a JSON-RPC error, as an upstream's own refusal. */
  | { kind: 'status'; status: number }
  /** Destroy the connection before answering. */
  | { kind: 'reset' }
  /** Open an SSE answer, send something on it, and cut it. */
  | { kind: 'drop-sse' }
  /** Answer on SSE, and cut the stream after this many events (the call runs on: a session-era client may resume). */
  | { kind: 'drop-after'; events: number };

/** The fault a request's `_meta` scripts, if any. */
export function faultOf(meta: Record<string, unknown>): Fault | undefined {
  const status = meta[HTTP_STATUS_META_KEY];
  if (typeof status === 'number' && status >= 400 && status <= 599) return { kind: 'status', status };
  const fault = meta[FAULT_META_KEY];
  if (fault === 'reset') return { kind: 'reset' };
  if (fault === 'drop-sse') return { kind: 'drop-sse' };
  const after = typeof fault === 'string' ? /^drop-after:(\d+)$/.exec(fault) : null;
  return after ? { kind: 'drop-after', events: Number(after[1]) } : undefined;
}

/**
 * Carries out the fault that ends the exchange at once (a status, a reset, a dropped stream), and says
 * whether it did; `drop-after` shapes the answer instead, and is the era's to apply.
 */
export function injectFault(
  fault: Fault | undefined,
  exchanges: HttpExchanges,
  exchange: { req: IncomingMessage; res: ServerResponse; request: JsonRpcRequest; sessionId: string | null },
  dropStream: () => void,
): boolean {
  if (!fault) return false;
  const { req, res, request, sessionId } = exchange;
  switch (fault.kind) {
    case 'status':
      exchanges.send(req, res, fault.status, errorResponse(request.id, ErrorCode.InvalidRequest, `scripted HTTP ${fault.status}`, { scripted: true }), sessionId);
      return true;
    case 'reset':
      exchanges.note(req, '(connection reset)', sessionId);
      req.socket.destroy();
      return true;
    case 'drop-sse':
      dropStream();
      return true;
    case 'drop-after':
      return false;
  }
}
