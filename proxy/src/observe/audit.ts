/**
 * The audit trail: one JSON line per client request, refusals included, written by pino to its own
 * destination. A line holds when, who (the token's subject), which session, what (method, tool), and
 * how it ended; never a token, a header or a body.
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

/** An audit log appending to `file` ("-" for stdout). */
export function createAuditLog(file: string): AuditLog {
  const destination = pino.destination({ dest: file === '-' ? 1 : file, append: true, mkdir: true, sync: false });
  const logger: Logger = pino({ base: null, messageKey: 'event', timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, destination);
  return {
    write: (entry) => logger.info(entry, 'mcp.request'),
    close: () =>
      new Promise<void>((resolve) => {
        destination.flush(() => resolve());
      }),
  };
}
