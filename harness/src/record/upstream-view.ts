/**
 * The harness's window onto the upstream leg: what the mock upstreams received and sent, read over
 * their control channel, so a scenario running in a vitest worker can judge what reached the upstream.
 */
import { request } from 'undici';
import { recordBodyJson, recordBodyText, type ConnectionRecord, type UpstreamRecord } from '../../../wire/index.ts';
import { waitUntil } from './wait.ts';

export interface RecordFilter {
  cid?: string;
  sessionId?: string;
  direction?: 'in' | 'out';
  upstream?: string;
  sinceSeq?: number;
}

export class UpstreamView {
  constructor(private readonly controlUrl: string) {}

  async records(filter: RecordFilter = {}): Promise<UpstreamRecord[]> {
    const params = new URLSearchParams();
    if (filter.cid) params.set('cid', filter.cid);
    if (filter.sessionId) params.set('session', filter.sessionId);
    if (filter.direction) params.set('direction', filter.direction);
    if (filter.upstream) params.set('upstream', filter.upstream);
    if (filter.sinceSeq !== undefined) params.set('since', String(filter.sinceSeq));
    return this.get(`/records?${params}`) as Promise<UpstreamRecord[]>;
  }

  /** What the upstream received carrying this correlation id (HTTP requests or stdio lines). */
  received(cid: string): Promise<UpstreamRecord[]> {
    return this.records({ cid, direction: 'in' });
  }

  /** What the upstream sent carrying this correlation id. */
  sent(cid: string): Promise<UpstreamRecord[]> {
    return this.records({ cid, direction: 'out' });
  }

  /** The first record received with this correlation id whose message calls `method`. */
  async receivedRequest(cid: string, method: string): Promise<UpstreamRecord | undefined> {
    return (await this.received(cid)).find((r) => recordMethod(r) === method);
  }

  /**
   * The request carrying this correlation id as the upstream received it, and what its session
   * carried in `direction` from then on: what follows a request is found by what the upstream saw of
   * it (its id, its progress token), since a proxy may put ids and tokens of its own in place of the
   * client's and map them back.
   */
  private async afterRequest(cid: string, method: string, direction: 'in' | 'out'): Promise<{ request?: UpstreamRecord; message?: Record<string, any>; following: UpstreamRecord[] }> {
    const request = await this.receivedRequest(cid, method);
    if (!request) return { following: [] };
    const message = recordBodyJson(request) as Record<string, any> | undefined;
    const following = await this.records({ direction, upstream: request.upstream, sessionId: request.sessionId ?? undefined, sinceSeq: request.seq });
    return { request, message, following };
  }

  /**
   * The upstream's own answer to the request carrying this correlation id: the response it sent in
   * the same session with the JSON-RPC id it received (a proxy may renumber ids), whether or not the
   * answer itself carries the correlation id (errors do not).
   */
  async answerTo(cid: string, method: string): Promise<{ request?: UpstreamRecord; answer?: UpstreamRecord; message?: Record<string, unknown> }> {
    const { request, message: asked, following } = await this.afterRequest(cid, method, 'out');
    if (asked?.id === undefined) return { request };
    for (const answer of following) {
      const message = recordBodyJson(answer) as Record<string, unknown> | undefined;
      if (message && !Array.isArray(message) && message.id === asked.id && ('result' in message || 'error' in message)) return { request, answer, message };
    }
    return { request };
  }

  /** The progress notifications the upstream sent for the request carrying this correlation id, matched by the progress token that request had when the upstream got it. */
  async progressFor(cid: string, method: string): Promise<UpstreamRecord[]> {
    const { message: asked, following } = await this.afterRequest(cid, method, 'out');
    const token = asked?.params?._meta?.progressToken;
    if (token === undefined) return [];
    return following.filter((r) => {
      const message = recordBodyJson(r) as { method?: unknown; params?: { progressToken?: unknown } } | undefined;
      return message?.method === 'notifications/progress' && message.params?.progressToken === token;
    });
  }

  /** The cancellations the upstream received for the request carrying this correlation id: notifications/cancelled naming the id that request had when the upstream got it, whatever else the proxy kept or dropped of the client's own. */
  async cancellationsOf(cid: string, method: string): Promise<UpstreamRecord[]> {
    const { message: asked, following } = await this.afterRequest(cid, method, 'in');
    if (asked?.id === undefined) return [];
    return following.filter((r) => {
      const message = recordBodyJson(r) as { method?: unknown; params?: { requestId?: unknown } } | undefined;
      return message?.method === 'notifications/cancelled' && message.params?.requestId === asked.id;
    });
  }

  connections(upstream?: string): Promise<ConnectionRecord[]> {
    return this.get(`/connections${upstream ? `?upstream=${encodeURIComponent(upstream)}` : ''}`) as Promise<ConnectionRecord[]>;
  }

  liveSessions(upstream?: string): Promise<string[]> {
    return this.get(`/sessions${upstream ? `?upstream=${encodeURIComponent(upstream)}` : ''}`) as Promise<string[]>;
  }

  /** The subscriptions/listen streams open upstream now (on stdio, those a process holds until told they are cancelled). */
  liveSubscriptions(upstream?: string): Promise<string[]> {
    return this.get(`/subscriptions${upstream ? `?upstream=${encodeURIComponent(upstream)}` : ''}`) as Promise<string[]>;
  }

  /**
   * Records matching the filter, waiting (bounded) until `until` holds for them. Needed where nothing
   * on the client side marks the moment the upstream got a message: a notification answered 202 by a
   * stdio bridge before the child process has read it.
   */
  eventually(filter: RecordFilter, until: (records: UpstreamRecord[]) => boolean, timeoutMs = 5000): Promise<UpstreamRecord[]> {
    return waitUntil(() => this.records(filter), until, timeoutMs);
  }

  /** Releases a tool waiting on the gate named by this correlation id (the gated `progress`). */
  async release(cid: string): Promise<void> {
    const res = await request(`${this.controlUrl}/release?cid=${encodeURIComponent(cid)}`, { method: 'POST' });
    await res.body.dump();
  }

  private async get(path: string): Promise<unknown> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${this.controlUrl}${path}`);
    } catch {
      // A kept-alive socket the control server closed a moment before (ECONNRESET): a GET may simply be sent again.
      res = await request(`${this.controlUrl}${path}`);
    }
    if (res.statusCode !== 200) throw new Error(`control channel answered ${res.statusCode} for ${path}`);
    return res.body.json();
  }
}

/** A record's body parsed as JSON (undefined when it is not JSON). */
export const bodyJson = recordBodyJson;
export const bodyText = recordBodyText;

/**
 * Where a secret turns up in what the upstream received, as `POST #12: header authorization` (or
 * `… body`), one entry per place: how a client's token is found on the upstream leg.
 */
export function placesCarrying(records: UpstreamRecord[], secret: string): string[] {
  return records.flatMap((r) => {
    const where = Object.entries(r.headers ?? {})
      .filter(([, value]) => String(value).includes(secret))
      .map(([name]) => `header ${name}`);
    if (recordBodyText(r).includes(secret)) where.push('body');
    return where.map((w) => `${r.httpMethod ?? 'stdio'} #${r.seq}: ${w}`);
  });
}

/** The JSON-RPC method a record's body carries (undefined for a response, a batch, or no JSON). */
export function recordMethod(record: UpstreamRecord): string | undefined {
  const message = recordBodyJson(record) as Record<string, unknown> | undefined;
  return message && typeof message.method === 'string' ? message.method : undefined;
}

/** The header of a recorded HTTP request, lower-cased name; the first value when repeated. */
export function recordHeader(record: UpstreamRecord, name: string): string | undefined {
  const value = record.headers?.[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
