/**
 * What a mock upstream records: each message or HTTP request it received or sent, and each TCP
 * connection it accepted. The harness reads these over the control channel to judge the upstream leg.
 */
import { z } from 'zod';

export const UpstreamRecordSchema = z.object({
  seq: z.number().int(),
  at: z.number(),
  upstream: z.string(),
  transport: z.enum(['http', 'stdio']),
  direction: z.enum(['in', 'out']),
  httpMethod: z.string().optional(),
  path: z.string().optional(),
  status: z.number().int().optional(),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  /** Raw bytes, base64: the exact body, even when it is not valid UTF-8. */
  bodyBase64: z.string(),
  sessionId: z.string().nullable(),
  connectionId: z.number().int().optional(),
  cids: z.array(z.string()),
});
export type UpstreamRecord = z.infer<typeof UpstreamRecordSchema>;

export const ConnectionRecordSchema = z.object({
  id: z.number().int(),
  at: z.number(),
  upstream: z.string(),
  remotePort: z.number().int().optional(),
});
export type ConnectionRecord = z.infer<typeof ConnectionRecordSchema>;

export function recordBodyText(record: Pick<UpstreamRecord, 'bodyBase64'>): string {
  return Buffer.from(record.bodyBase64, 'base64').toString('utf8');
}

/** Parses a record's body as JSON, or returns undefined when it is not JSON. */
export function recordBodyJson(record: Pick<UpstreamRecord, 'bodyBase64'>): unknown {
  try {
    return JSON.parse(recordBodyText(record));
  } catch {
    return undefined;
  }
}
