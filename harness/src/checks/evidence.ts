/**
 * Turns what a scenario saw into evidence items for the report: the client leg (HTTP exchanges with
 * their SSE events and timestamps) and the upstream leg (mock records). Bodies are clipped so that a
 * 5 MB payload does not become a 5 MB report.
 */
import { recordBodyText, type UpstreamRecord } from '../../../wire/index.ts';
import type { Exchange } from '../client/exchange.ts';
import type { EvidenceItem } from '../../../catalogue/types.ts';

const MAX_BODY = 4096;

export function clip(text: string, max = MAX_BODY): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

export function exchangeEvidence(ex: Exchange): EvidenceItem {
  const status = ex.error ? `error: ${ex.error}` : String(ex.status);
  return {
    leg: 'client',
    at: ex.startedAt,
    summary: `${ex.method} ${ex.url} → ${status}${ex.kind === 'sse' ? ` (SSE, ${ex.events.length} events)` : ''}`,
    detail: {
      request: { headers: ex.requestHeaders, body: clip(ex.requestBody) },
      response: {
        status: ex.status,
        headers: ex.headers,
        kind: ex.kind,
        body: ex.kind === 'sse' ? undefined : clip(ex.body),
        events: ex.kind === 'sse' ? ex.events.slice(0, 50).map((e) => ({ at: e.at, id: e.id, data: clip(e.data, 1024) })) : undefined,
      },
      startedAt: ex.startedAt,
      headersAt: ex.headersAt,
      endedAt: ex.endedAt,
      error: ex.error,
    },
  };
}

export function recordEvidence(record: UpstreamRecord): EvidenceItem {
  const what = record.transport === 'http' ? `${record.httpMethod ?? ''} ${record.path ?? ''}`.trim() : 'stdio line';
  const verb = record.direction === 'in' ? 'received' : 'sent';
  return {
    leg: 'upstream',
    at: record.at,
    summary: `upstream ${record.upstream} ${verb} ${what}${record.status ? ` (status ${record.status})` : ''}${record.sessionId ? ` session ${record.sessionId}` : ''}`,
    detail: {
      seq: record.seq,
      direction: record.direction,
      headers: record.headers,
      body: clip(recordBodyText(record)),
      sessionId: record.sessionId,
      connectionId: record.connectionId,
    },
  };
}
