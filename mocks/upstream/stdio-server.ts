/**
 * The mock MCP upstream over stdio: one session per process, newline-delimited JSON-RPC on
 * stdin/stdout. Dual-era like the HTTP mock: a request whose _meta names a protocol version is
 * served statelessly (2026-07-28, no initialize needed), anything else by the session. When given a
 * control URL it reports every line it reads or writes to the harness before acting on it, so the
 * records are complete by the time the client sees an answer.
 */
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import {
  ErrorCode,
  META,
  classifyMessage,
  requestProtocolVersion,
  revisionsOfEra,
  errorResponse,
  findCorrelationIds,
  preciseNow,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from '../../wire/index.ts';
import { McpSession, forSubscription } from './mcp-session.ts';
import type { UpstreamEra } from './http-server.ts';

export interface StdioUpstreamOptions {
  controlUrl?: string;
  /** The revisions it serves: both eras (default), 2025-11-25 and earlier only (as most stdio servers today), or 2026-07-28 only. */
  era?: UpstreamEra;
  name?: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export async function runStdioUpstream(options: StdioUpstreamOptions = {}): Promise<void> {
  const name = options.name ?? 'primary';
  const input = options.input ?? process.stdin;
  const sessionId = `stdio-${randomUUID()}`;
  const control = new ControlChannel(options.controlUrl, name, sessionId);
  const server = new StdioServer(control, sessionId, options.output ?? process.stdout, options.era ?? 'dual');
  await control.report('/sessions', { upstream: name, sessionId, open: true });
  if (input === process.stdin) {
    // Stopped by the proxy: say the session ended before going.
    process.once('SIGTERM', () => {
      void Promise.all([server.endSubscriptions(), control.report('/sessions', { upstream: name, sessionId, open: false })]).finally(() => process.exit(0));
    });
  }
  process.stderr.write(`proxyspec mock upstream (stdio) session ${sessionId} ready\n`);

  const lines = createInterface({ input, crlfDelay: Infinity });
  const inflight = new Set<Promise<void>>();
  for await (const line of lines) {
    // Every line is evidence, a blank one too (what a proxy writes to stdin is judged); only messages are acted on.
    await control.record('in', line);
    if (line.trim() === '') continue;
    const work = server.line(line);
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  }
  await Promise.all(inflight);
  await server.flushed();
  await server.endSubscriptions();
  await control.report('/sessions', { upstream: name, sessionId, open: false });
}

/** The harness's control channel as the stdio mock uses it (records, session ends, gates); with no URL, none of it. */
export class ControlChannel {
  constructor(
    private readonly url: string | undefined,
    private readonly name: string,
    private readonly sessionId: string,
  ) {}

  /** Tells the harness a subscription of this process opened or ended, so that it can count those left behind. */
  subscription(id: JsonRpcRequest['id'], open: boolean): Promise<void> {
    return this.report('/subscriptions', { upstream: this.name, subscriptionId: `${this.sessionId}/${JSON.stringify(id)}`, open });
  }

  async report(path: string, body: unknown): Promise<void> {
    if (!this.url) return;
    try {
      const res = await request(`${this.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.body.dump();
    } catch (err) {
      process.stderr.write(`proxyspec mock: cannot report to the harness: ${String(err)}\n`);
    }
  }

  record(direction: 'in' | 'out', line: string): Promise<void> {
    return this.report('/records', {
      upstream: this.name,
      transport: 'stdio',
      direction,
      at: preciseNow(),
      bodyBase64: Buffer.from(line, 'utf8').toString('base64'),
      sessionId: this.sessionId,
      cids: findCorrelationIds(line),
    });
  }

  /** Whether the harness released the gate of `cid` within `timeoutMs` (always, with no harness). */
  async waitRelease(cid: string, timeoutMs: number): Promise<boolean> {
    if (!this.url) return true;
    try {
      const res = await request(`${this.url}/gate?cid=${encodeURIComponent(cid)}&timeoutMs=${timeoutMs}`, { bodyTimeout: timeoutMs + 5000, headersTimeout: timeoutMs + 5000 });
      return ((await res.body.json()) as { released: boolean }).released;
    } catch {
      return false;
    }
  }
}

/** One process's MCP server: the session era's session, and the stateless era's requests and subscriptions on the same lines. */
class StdioServer {
  private readonly session: McpSession;
  private readonly stateless: McpSession;
  /** The stateless era's subscriptions on this one channel, by the id of their subscriptions/listen. */
  private readonly subscriptions = new Map<JsonRpcRequest['id'], { toolsListChanged: boolean; counted: Promise<void> }>();
  /** Writes stay in order even though each waits for its record to reach the harness. */
  private queue = Promise.resolve();

  constructor(
    private readonly control: ControlChannel,
    sessionId: string,
    private readonly output: NodeJS.WritableStream,
    private readonly era: UpstreamEra,
  ) {
    const waitRelease = (cid: string, timeoutMs: number) => control.waitRelease(cid, timeoutMs);
    this.session = new McpSession({ id: sessionId, channel: { notify: (m) => (this.write(m), true) }, waitRelease });
    this.stateless = new McpSession({
      id: sessionId,
      stateless: true,
      waitRelease,
      channel: {
        notify: (m) => {
          let delivered = false;
          for (const [id, sub] of this.subscriptions) {
            const tagged = forSubscription(m, id, sub.toolsListChanged);
            if (!tagged) continue;
            this.write(tagged);
            delivered = true;
          }
          return delivered;
        },
      },
    });
  }

  /** One line read: a message or a batch, answered when it asks for an answer. */
  async line(line: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.write(errorResponse(null, ErrorCode.ParseError, 'Parse error'));
      return;
    }
    if (Array.isArray(parsed)) {
      const answers = (await Promise.all(parsed.map((m) => this.handle(m)))).filter((a): a is JsonRpcResponse => a !== null);
      if (answers.length) this.write(answers);
      return;
    }
    const answer = await this.handle(parsed);
    if (answer) this.write(answer);
  }

  /** Ends every subscription of this process (its input closed, or it was told to stop), telling the harness. */
  async endSubscriptions(): Promise<void> {
    await Promise.all([...this.subscriptions.keys()].map((id) => this.endSubscription(id)));
  }

  private async endSubscription(id: JsonRpcRequest['id']): Promise<void> {
    const sub = this.subscriptions.get(id);
    if (!sub) return;
    this.subscriptions.delete(id);
    await sub.counted;
    await this.control.subscription(id, false);
  }

  /** Resolves once every line written so far is out. */
  flushed(): Promise<void> {
    return this.queue;
  }

  private write(message: JsonRpcMessage | JsonRpcResponse[]): void {
    const line = JSON.stringify(message);
    this.queue = this.queue.then(async () => {
      await this.control.record('out', line);
      this.output.write(`${line}\n`);
    });
  }

  private async handle(value: unknown): Promise<JsonRpcResponse | null> {
    const kind = classifyMessage(value);
    // A legacy server knows nothing of _meta versions: such a request is served by the session, as any other.
    const version = kind === 'request' && this.era !== 'legacy' ? requestProtocolVersion((value as JsonRpcRequest).params) : undefined;
    if (version !== undefined) return this.handleStateless(value as JsonRpcRequest, version);
    if (kind === 'request' && this.era === 'modern') {
      // A server of 2026-07-28 only: initialize is refused naming what it supports, any other request lacks its version.
      const { id, method } = value as JsonRpcRequest;
      if (method === 'initialize') return errorResponse(id, ErrorCode.UnsupportedProtocolVersion, 'Unsupported protocol version: this server speaks only the stateless revisions', { supported: revisionsOfEra(true) });
      return errorResponse(id, ErrorCode.InvalidParams, `_meta lacks ${META.protocolVersion}, which every request of this revision carries`);
    }
    // On stdio a subscription ends with notifications/cancelled naming its subscriptions/listen.
    if (kind === 'notification' && (value as { method: string }).method === 'notifications/cancelled') {
      const id = ((value as { params?: { requestId?: JsonRpcRequest['id'] } }).params ?? {}).requestId as JsonRpcRequest['id'];
      await this.endSubscription(id);
    }
    if (kind === 'request') return this.session.handleRequest(value as JsonRpcRequest, { emit: (m) => this.write(m) });
    if (kind === 'response') this.session.handleResponse(value as JsonRpcResponse);
    else if (kind === 'notification') this.session.handleNotification(value as never);
    else return errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request');
    return null;
  }

  /** One request of the stateless era: its version checked, then answered on its own. */
  private async handleStateless(request: JsonRpcRequest, version: string): Promise<JsonRpcResponse | null> {
    if (!revisionsOfEra(true).includes(version as never)) {
      return errorResponse(request.id, ErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version ${version}`, { requested: version, supported: revisionsOfEra(true) });
    }
    if (request.method === 'subscriptions/listen') {
      const wanted = ((request.params ?? {}) as { notifications?: Record<string, unknown> }).notifications ?? {};
      const toolsListChanged = wanted.toolsListChanged === true;
      // Counted before it is acknowledged, so that whoever saw the acknowledgement finds it counted (and its end counted after it).
      const counted = this.control.subscription(request.id, true);
      this.subscriptions.set(request.id, { toolsListChanged, counted });
      await counted;
      this.write({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: request.id }, notifications: toolsListChanged ? { toolsListChanged } : {} } } as JsonRpcMessage);
      return null;
    }
    return this.stateless.handleRequest(request, { emit: (m) => this.write(m) });
  }
}
