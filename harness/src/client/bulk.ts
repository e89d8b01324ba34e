/**
 * Many sessions at once, for the checks that need hundreds (id entropy, leaks, memory, pooling): lean
 * requests on one keep-alive agent, kept out of the transcript (a scenario reports their totals).
 */
import { Agent, request } from 'undici';
import { CID_META_KEY, META, isStateless, mirroredHeaders, preciseNow, type Revision } from '../../../wire/index.ts';
import { bodyKind, newExchange, type Exchange } from './exchange.ts';
import { IDLE_CONNECTION_MS } from './mcp-client.ts';

export interface BulkTarget {
  url: string;
  headers: Record<string, string>;
  revision: Revision;
  /** Receives the first few exchanges of each kind (method and JSON-RPC method), as evidence. */
  sample?: (exchange: Exchange) => void;
}

/** Exchanges of one kind kept as evidence; the rest are only counted by the scenario. */
const SAMPLES_PER_KIND = 2;

/** An initialize request carrying a correlation id. */
export function initializeBody(revision: Revision, cid: string, id: string | number = `init-${cid}`): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: revision, capabilities: {}, clientInfo: { name: 'proxyspec-harness', version: '1' }, _meta: { [CID_META_KEY]: cid } },
  });
}

/**
 * The first request a client of `revision` sends, as raw bytes and the headers it needs beyond the
 * content type: initialize in the session era, server/discover (with its _meta and mirrored headers)
 * in the stateless one. For scenarios that send it by hand (hostile tokens, foreign Origins).
 */
export function openingRequest(revision: Revision, cid: string): { body: string; headers: Array<[string, string]> } {
  if (!isStateless(revision)) return { body: initializeBody(revision, cid), headers: [] };
  const { body, headers } = statelessRequest(revision, 'server/discover', { _meta: { [CID_META_KEY]: cid } }, `discover-${cid}`);
  return { body, headers: Object.entries(headers).filter(([name]) => name !== 'content-type') };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time; results in order. */
export async function inPool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

export interface BulkSession {
  /** The session id the target minted; none in the stateless era. */
  id: string | undefined;
  /** Whether the client may go on: a session opened, or (stateless) server/discover answered. */
  ok: boolean;
  status: number;
  error?: string;
}

/** A request of the stateless era: the _meta it carries and the headers mirrored from it. */
function statelessRequest(revision: Revision, method: string, params: Record<string, unknown>, id: string | number): { body: string; headers: Record<string, string> } {
  const meta = { [META.protocolVersion]: revision, [META.clientCapabilities]: {}, ...(params._meta as Record<string, unknown> | undefined) };
  const full = { ...params, _meta: meta };
  return { body: JSON.stringify({ jsonrpc: '2.0', id, method, params: full }), headers: { 'content-type': 'application/json', 'mcp-protocol-version': revision, ...mirroredHeaders(method, full) } };
}

export class BulkClient {
  private readonly agent = new Agent({ connections: 32, keepAliveTimeout: IDLE_CONNECTION_MS });
  private readonly sampled = new Map<string, number>();

  constructor(private readonly target: BulkTarget) {}

  private async send(method: string, headers: Record<string, string>, body?: string) {
    const allHeaders = { accept: 'application/json, text/event-stream', ...this.target.headers, ...headers };
    let ex: Exchange | undefined;
    if (this.target.sample) {
      // Only a sampling client looks at what kind of request this is.
      const kind = `${method} ${body ? (/"method":"([^"]+)"/.exec(body)?.[1] ?? '') : ''}`;
      const seen = this.sampled.get(kind) ?? 0;
      if (seen < SAMPLES_PER_KIND) {
        this.sampled.set(kind, seen + 1);
        ex = newExchange(method, this.target.url, allHeaders, body ?? '', preciseNow());
      }
    }
    const res = await request(this.target.url, { method: method as 'POST', headers: allHeaders, body, dispatcher: this.agent, headersTimeout: 15_000, bodyTimeout: 15_000 });
    const text = await res.body.text();
    if (ex) {
      ex.headersAt = ex.endedAt = preciseNow();
      ex.status = res.statusCode;
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) ex.headers[k] = Array.isArray(v) ? v.join(', ') : v;
      ex.kind = text === '' ? 'empty' : bodyKind(ex.headers['content-type']);
      ex.body = text;
      ex.outcome = 'answered';
      this.target.sample!(ex);
    }
    return { status: res.statusCode, headers: res.headers, text };
  }

  private get stateless(): boolean {
    return isStateless(this.target.revision);
  }

  /** initialize + notifications/initialized, and the session id the target minted; stateless: server/discover. */
  async open(cid: string): Promise<BulkSession> {
    try {
      if (this.stateless) {
        const { body, headers } = statelessRequest(this.target.revision, 'server/discover', { _meta: { [CID_META_KEY]: cid } }, `discover-${cid}`);
        const discovered = await this.send('POST', headers, body);
        return { id: undefined, ok: discovered.status === 200, status: discovered.status };
      }
      const init = await this.send('POST', { 'content-type': 'application/json' }, initializeBody(this.target.revision, cid));
      const id = init.headers['mcp-session-id'];
      const sid = Array.isArray(id) ? id[0] : id;
      if (init.status !== 200 || !sid) return { id: sid, ok: false, status: init.status };
      await this.send('POST', { 'content-type': 'application/json', 'mcp-session-id': sid, 'mcp-protocol-version': this.target.revision }, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      return { id: sid, ok: true, status: init.status };
    } catch (err) {
      return { id: undefined, ok: false, status: 0, error: (err as Error).message };
    }
  }

  /** One tools/call on the session (stateless: on none, as the era has it). */
  async call(sessionId: string | undefined, tool: string, args: Record<string, unknown>, cid: string): Promise<number> {
    if (this.stateless) {
      const { body, headers } = statelessRequest(this.target.revision, 'tools/call', { name: tool, arguments: args, _meta: { [CID_META_KEY]: cid } }, 1);
      return (await this.send('POST', headers, body)).status;
    }
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: args, _meta: { [CID_META_KEY]: cid } } });
    const res = await this.send('POST', { 'content-type': 'application/json', ...(sessionId !== undefined && { 'mcp-session-id': sessionId }), 'mcp-protocol-version': this.target.revision }, body);
    return res.status;
  }

  /** Ends the session with DELETE; nothing to end in the stateless era (0). */
  async delete(sessionId: string | undefined): Promise<number> {
    if (sessionId === undefined) return 0;
    try {
      return (await this.send('DELETE', { 'mcp-session-id': sessionId, 'mcp-protocol-version': this.target.revision })).status;
    } catch {
      return 0;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
