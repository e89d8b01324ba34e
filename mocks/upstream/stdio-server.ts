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

export interface StdioUpstreamOptions {
  controlUrl?: string;
  name?: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export async function runStdioUpstream(options: StdioUpstreamOptions = {}): Promise<void> {
  const name = options.name ?? 'primary';
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const sessionId = `stdio-${randomUUID()}`;

  const report = async (path: string, body: unknown) => {
    if (!options.controlUrl) return;
    try {
      const res = await request(`${options.controlUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.body.dump();
    } catch (err) {
      process.stderr.write(`proxyspec mock: cannot report to the harness: ${String(err)}\n`);
    }
  };
  const record = (direction: 'in' | 'out', line: string) =>
    report('/records', {
      upstream: name,
      transport: 'stdio',
      direction,
      at: preciseNow(),
      bodyBase64: Buffer.from(line, 'utf8').toString('base64'),
      sessionId,
      cids: findCorrelationIds(line),
    });

  // Writes stay in order even though each waits for its report.
  let queue = Promise.resolve();
  const write = (message: JsonRpcMessage | JsonRpcResponse[]) => {
    const line = JSON.stringify(message);
    queue = queue.then(async () => {
      await record('out', line);
      output.write(`${line}\n`);
    });
  };

  const waitRelease = async (cid: string, timeoutMs: number): Promise<boolean> => {
    if (!options.controlUrl) return true;
    try {
      const res = await request(`${options.controlUrl}/gate?cid=${encodeURIComponent(cid)}&timeoutMs=${timeoutMs}`, { bodyTimeout: timeoutMs + 5000, headersTimeout: timeoutMs + 5000 });
      return ((await res.body.json()) as { released: boolean }).released;
    } catch {
      return false;
    }
  };
  const session = new McpSession({ id: sessionId, channel: { notify: (m) => (write(m), true) }, waitRelease });
  // The stateless era's subscriptions on this one channel, by the id of their subscriptions/listen.
  const subscriptions = new Map<JsonRpcRequest['id'], { toolsListChanged: boolean }>();
  const stateless = new McpSession({
    id: sessionId,
    stateless: true,
    waitRelease,
    channel: {
      notify: (m) => {
        let delivered = false;
        for (const [id, sub] of subscriptions) {
          const tagged = forSubscription(m, id, sub.toolsListChanged);
          if (!tagged) continue;
          write(tagged);
          delivered = true;
        }
        return delivered;
      },
    },
  });
  /** One request of the stateless era: its version checked, then answered on its own. */
  const handleStateless = async (request: JsonRpcRequest, version: string): Promise<JsonRpcResponse | null> => {
    if (!revisionsOfEra(true).includes(version as never)) {
      return errorResponse(request.id, ErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version ${version}`, { requested: version, supported: revisionsOfEra(true) });
    }
    if (request.method === 'subscriptions/listen') {
      const wanted = ((request.params ?? {}) as { notifications?: Record<string, unknown> }).notifications ?? {};
      const toolsListChanged = wanted.toolsListChanged === true;
      write({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: request.id }, notifications: toolsListChanged ? { toolsListChanged } : {} } } as JsonRpcMessage);
      subscriptions.set(request.id, { toolsListChanged });
      return null;
    }
    return stateless.handleRequest(request, { emit: (m) => write(m) });
  };
  await report('/sessions', { upstream: name, sessionId, open: true });
  if (input === process.stdin) {
    // Stopped by the proxy: say the session ended before going.
    process.once('SIGTERM', () => {
      void report('/sessions', { upstream: name, sessionId, open: false }).finally(() => process.exit(0));
    });
  }
  process.stderr.write(`proxyspec mock upstream (stdio) session ${sessionId} ready\n`);

  const handle = async (value: unknown): Promise<JsonRpcResponse | null> => {
    const kind = classifyMessage(value);
    const version = kind === 'request' ? requestProtocolVersion((value as JsonRpcRequest).params) : undefined;
    if (version !== undefined) return handleStateless(value as JsonRpcRequest, version);
    // On stdio a subscription ends with notifications/cancelled naming its subscriptions/listen.
    if (kind === 'notification' && (value as { method: string }).method === 'notifications/cancelled') {
      subscriptions.delete(((value as { params?: { requestId?: JsonRpcRequest['id'] } }).params ?? {}).requestId as JsonRpcRequest['id']);
    }
    if (kind === 'request') return session.handleRequest(value as JsonRpcRequest, { emit: (m) => write(m) });
    if (kind === 'response') session.handleResponse(value as JsonRpcResponse);
    else if (kind === 'notification') session.handleNotification(value as never);
    else return errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request');
    return null;
  };

  const lines = createInterface({ input, crlfDelay: Infinity });
  const inflight = new Set<Promise<void>>();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    await record('in', line);
    const work = (async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        write(errorResponse(null, ErrorCode.ParseError, 'Parse error'));
        return;
      }
      if (Array.isArray(parsed)) {
        const answers = (await Promise.all(parsed.map(handle))).filter((a): a is JsonRpcResponse => a !== null);
        if (answers.length) write(answers);
        return;
      }
      const answer = await handle(parsed);
      if (answer) write(answer);
    })();
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  }
  await Promise.all(inflight);
  await queue;
  await report('/sessions', { upstream: name, sessionId, open: false });
}
