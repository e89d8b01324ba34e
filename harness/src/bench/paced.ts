/**
 * Load at a fixed offered rate, for the latency a target adds. Under closed-loop load (autocannon
 * keeping every connection busy) the median is the number of connections over the throughput
 * (Little's law): it restates throughput and measures queueing, not the hop. Here requests leave
 * on a schedule, spread round-robin over a fixed set of connections, whether or not earlier ones
 * have been answered; each is timed from the moment it is handed to its connection, so waiting
 * behind a slow answer on the same connection counts. autocannon's own rate limit sends each
 * second's quota in a burst, which would measure queueing again.
 */
import { createHistogram } from 'node:perf_hooks';
import { Client } from 'undici';
import type { PerfRound } from '../../../reports/src/perf-schema.ts';

/** Where each request's own JSON-RPC id goes in the body. */
export const ID_SLOT = '[<id>]';

/** A round's figures: what perf.json keeps of a round, and the statuses for the message when too many failed. */
export type RoundFigures = Pick<PerfRound, 'durationSec' | 'requests' | 'requestsPerSec' | 'latencyMs' | 'errors' | 'timeouts' | 'non2xx'> & {
  /** How many answers had each HTTP status. */
  statuses: Record<string, number>;
};

export interface PacedOptions {
  url: string;
  headers: Record<string, string>;
  /** ID_SLOT, where the body has it, is replaced by an id unique to the request. */
  body: string;
  connections: number;
  /** Requests per second, in total over all connections. */
  rate: number;
  durationSec: number;
  /** A request not answered in this long is counted as a timeout (default 10 s). */
  requestTimeoutMs?: number;
}

export async function pacedLoad(options: PacedOptions): Promise<RoundFigures> {
  const { headers, connections, rate, durationSec, requestTimeoutMs = 10_000 } = options;
  const target = new URL(options.url);
  const path = `${target.pathname}${target.search}`;
  const clients = Array.from(
    { length: connections },
    () => new Client(target.origin, { pipelining: 1, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs, keepAliveTimeout: 60_000 }),
  );
  const micros = createHistogram();
  const statuses: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  // Every request of a session needs an id of its own (MCP forbids reuse within a session).
  const [head, ...rest] = options.body.split(ID_SLOT);
  const tail = rest.join(ID_SLOT);
  let serial = 0;
  const payload = () => (rest.length ? `${head}p${++serial}${tail}` : head);

  const send = async (client: Client, record: boolean): Promise<void> => {
    const t0 = process.hrtime.bigint();
    try {
      const res = await client.request({ path, method: 'POST', headers, body: payload() });
      await res.body.dump();
      const us = Number((process.hrtime.bigint() - t0) / 1000n);
      if (!record) return;
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 200 && res.statusCode < 300) micros.record(Math.max(1, us));
      else non2xx++;
    } catch (err) {
      if (!record) throw err;
      const code = (err as { code?: string }).code ?? '';
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') timeouts++;
      else errors++;
    }
  };

  try {
    // Open every connection first (a handshake is not the hop being measured), a few at a time.
    for (let i = 0; i < clients.length; i += 50) await Promise.all(clients.slice(i, i + 50).map((c) => send(c, false)));

    const total = Math.max(1, Math.round(rate * durationSec));
    const interval = 1000 / rate;
    const inFlight: Promise<void>[] = [];
    const start = performance.now();
    let sent = 0;
    // Each wake-up sends whatever the schedule says is due, so a late timer does not lower the rate.
    while (sent < total) {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      for (; sent < due; sent++) inFlight.push(send(clients[sent % clients.length], true));
      if (sent < total) await new Promise((r) => setTimeout(r, Math.max(0, start + sent * interval - performance.now())));
    }
    await Promise.all(inFlight);
    const elapsedSec = (performance.now() - start) / 1000;
    const answered = micros.count;
    const ms = (us: number) => (answered ? us / 1000 : 0);
    return {
      durationSec: elapsedSec,
      requests: total,
      requestsPerSec: answered / elapsedSec,
      latencyMs: { p50: ms(micros.percentile(50)), p90: ms(micros.percentile(90)), p99: ms(micros.percentile(99)), mean: ms(micros.mean), max: ms(micros.max) },
      errors,
      timeouts,
      non2xx,
      statuses,
    };
  } finally {
    await Promise.all(clients.map((c) => c.destroy().catch(() => undefined)));
  }
}
