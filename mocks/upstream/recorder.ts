/**
 * In-memory log of everything mock upstreams received and sent, and of the TCP connections they
 * accepted. The harness queries it (in process, or over the control server) by correlation id,
 * session or sequence number.
 */
import { findCorrelationIds, preciseNow, type ConnectionRecord, type UpstreamRecord } from '../../wire/index.ts';

export interface RecordQuery {
  cid?: string;
  sessionId?: string;
  upstream?: string;
  direction?: 'in' | 'out';
  sinceSeq?: number;
}

/** The kinds of thing an upstream holds open for a client, which the harness counts to find leaks. */
export type LiveKind = 'session' | 'subscription';

export type NewRecord = Omit<UpstreamRecord, 'seq' | 'at' | 'cids' | 'bodyBase64'> & { body: Buffer; at?: number };

/** Keeps at most this many records; the oldest go first (a long soak must not grow without bound). */
const DEFAULT_CAPACITY = 200_000;

export class Recorder {
  private records: UpstreamRecord[] = [];
  private connections: ConnectionRecord[] = [];
  private seq = 0;
  private connectionSeq = 0;
  /** What is open upstream right now, by kind and upstream: sessions (a stdio process is one) and subscriptions/listen streams. */
  private readonly live: Record<LiveKind, Map<string, Set<string>>> = { session: new Map(), subscription: new Map() };
  private readonly gates = new Map<string, { released: boolean; waiters: Array<() => void> }>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  add(record: NewRecord): UpstreamRecord {
    const { body, at, ...rest } = record;
    const full: UpstreamRecord = {
      ...rest,
      seq: ++this.seq,
      at: at ?? preciseNow(),
      bodyBase64: body.toString('base64'),
      cids: findCorrelationIds(body.toString('latin1')),
    };
    this.push(full);
    return full;
  }

  /** Adds a record made elsewhere (a stdio mock reporting over the control channel), renumbering it. */
  addForeign(record: Omit<UpstreamRecord, 'seq'>): UpstreamRecord {
    const full: UpstreamRecord = { ...record, seq: ++this.seq };
    this.push(full);
    return full;
  }

  private push(record: UpstreamRecord): void {
    this.records.push(record);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
  }

  addConnection(upstream: string, remotePort?: number): ConnectionRecord {
    const record: ConnectionRecord = { id: ++this.connectionSeq, at: preciseNow(), upstream, remotePort };
    this.connections.push(record);
    if (this.connections.length > this.capacity) this.connections.splice(0, this.connections.length - this.capacity);
    return record;
  }

  sessionOpened(upstream: string, sessionId: string): void {
    this.opened('session', upstream, sessionId);
  }

  sessionClosed(upstream: string, sessionId: string): void {
    this.closed('session', upstream, sessionId);
  }

  sessions(upstream?: string): string[] {
    return this.open('session', upstream);
  }

  opened(kind: LiveKind, upstream: string, id: string): void {
    let set = this.live[kind].get(upstream);
    if (!set) this.live[kind].set(upstream, (set = new Set()));
    set.add(id);
  }

  closed(kind: LiveKind, upstream: string, id: string): void {
    this.live[kind].get(upstream)?.delete(id);
  }

  /** The ids of what of this kind is open, on one upstream or on all. */
  open(kind: LiveKind, upstream?: string): string[] {
    if (upstream) return [...(this.live[kind].get(upstream) ?? [])];
    return [...this.live[kind].values()].flatMap((s) => [...s]);
  }

  /** Opens the gate named by a correlation id: a tool waiting on it goes on. */
  release(cid: string): void {
    const gate = this.gate(cid);
    gate.released = true;
    for (const wake of gate.waiters.splice(0)) wake();
  }

  /** Waits until the gate is released; false when time runs out first. */
  waitRelease(cid: string, timeoutMs: number): Promise<boolean> {
    const gate = this.gate(cid);
    if (gate.released) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        gate.waiters.splice(gate.waiters.indexOf(wake), 1);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      gate.waiters.push(wake);
    });
  }

  private gate(cid: string) {
    let gate = this.gates.get(cid);
    if (!gate) this.gates.set(cid, (gate = { released: false, waiters: [] }));
    return gate;
  }

  query(q: RecordQuery = {}): UpstreamRecord[] {
    return this.records.filter(
      (r) =>
        (q.cid === undefined || r.cids.includes(q.cid)) &&
        (q.sessionId === undefined || r.sessionId === q.sessionId) &&
        (q.upstream === undefined || r.upstream === q.upstream) &&
        (q.direction === undefined || r.direction === q.direction) &&
        (q.sinceSeq === undefined || r.seq > q.sinceSeq),
    );
  }

  connectionRecords(upstream?: string): ConnectionRecord[] {
    return upstream ? this.connections.filter((c) => c.upstream === upstream) : [...this.connections];
  }
}
