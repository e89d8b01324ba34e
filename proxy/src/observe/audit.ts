/**
 * The audit trail: one JSON line per client request, refusals included, written by pino to its own
 * destination. A line holds when, who (the token's subject), which session, what (method, tool), and
 * how it ended; never a token, a header or a body. Lines are written in batches (4 KB, or every
 * `flushMs`), not one system call per request, and whatever waits is written on close.
 */
import pino, { type Logger } from 'pino';

export interface AuditEntry {
  subject: string | null;
  session: string | null;
  method: string;
  tool?: string;
  status: number;
  outcome: 'ok' | 'refused' | 'error';
  /** Why the proxy refused or failed, in its own words (the JSON-RPC error's reason). */
  reason?: string;
  durationMs: number;
}

export interface AuditLog {
  write(entry: AuditEntry): void;
  close(): Promise<void>;
}

/** Bytes of entries held before they are written, when entries are batched. */
const BATCH_BYTES = 4096;

/** An audit log appending to `file` ("-" for stdout), its entries batched for up to `flushMs` (0: none). */
export function createAuditLog(file: string, flushMs = 0): AuditLog {
  const batched = flushMs > 0 ? { minLength: BATCH_BYTES, periodicFlush: flushMs } : {};
  const destination = pino.destination({ dest: file === '-' ? 1 : file, append: true, mkdir: true, sync: false, ...batched });
  const logger: Logger = pino({ base: null, messageKey: 'event', timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, destination);
  return {
    write: (entry) => logger.info(entry, 'mcp.request'),
    // Whatever waits in the batch is written first; a file is then closed (stdout stays open).
    close: () =>
      new Promise<void>((resolve) => {
        destination.flush(() => {
          if (file === '-') return resolve();
          destination.once('close', () => resolve());
          destination.end();
        });
      }),
  };
}
