/**
 * The deliberate defects of the self-test proxies, one each. A check is trusted only once a proxy
 * with the defect it names is shown to fail it, and a proxy without defects to pass it.
 */

export const DEFECTS = [
  /** A correct pass-through proxy. */
  'none',
  /** Re-builds requests from the members it knows, dropping `_meta` and anything unknown. */
  'strip-request-meta',
  /** Drops `structuredContent` from tool results. */
  'rewrite-response-body',
  /** Returns every response id as a string. */
  'stringify-ids',
  /** Sends every client's traffic to the first upstream session it saw. */
  'shared-upstream-session',
  /** Replaces upstream JSON-RPC errors with a generic -32603. */
  'generic-errors',
  /** Forwards the client's Authorization header upstream. */
  'forward-authorization',
] as const;

export type Defect = (typeof DEFECTS)[number];

type Json = Record<string, unknown>;

/** The defect's change to a client message on its way upstream. */
export function mutateRequest(defect: Defect, message: unknown): unknown {
  if (defect !== 'strip-request-meta' || !message || typeof message !== 'object' || Array.isArray(message)) return message;
  const m = message as Json;
  const params = m.params as Json | undefined;
  const known: Json = { jsonrpc: m.jsonrpc, method: m.method };
  if ('id' in m) known.id = m.id;
  if (params) {
    const { _meta: _dropped, ...rest } = params;
    known.params = rest;
  }
  return known;
}

/** The defect's change to an upstream message on its way to the client. */
export function mutateResponse(defect: Defect, message: unknown): unknown {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return message;
  const m = { ...(message as Json) };
  const isResponse = !('method' in m) && ('result' in m || 'error' in m);
  if (!isResponse) return message;
  if (defect === 'stringify-ids' && m.id !== null && m.id !== undefined) m.id = String(m.id);
  if (defect === 'rewrite-response-body' && m.result && typeof m.result === 'object') {
    const { structuredContent: _dropped, ...rest } = m.result as Json;
    m.result = rest;
  }
  if (defect === 'generic-errors' && m.error) m.error = { code: -32603, message: 'Internal error' };
  return m;
}

export function changesResponses(defect: Defect): boolean {
  return defect === 'stringify-ids' || defect === 'rewrite-response-body' || defect === 'generic-errors';
}
