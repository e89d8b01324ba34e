/**
 * The stateless era of the HTTP mock (2026-07-28): no session; each request carries its revision and
 * the client's capabilities in `_meta`, its mirrored headers are checked against its body, and it is
 * answered on its own. `subscriptions/listen` holds a stream open for the changes asked for, and a
 * closed response stream is the call's cancellation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { CID_META_KEY, ErrorCode, HEADER, META, classifyMessage, errorResponse, formatSseEvent, headerMismatch, paramHeaderMismatch, paramHeadersOf, requestProtocolVersion, revisionsOfEra, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../../../wire/index.ts';
import { McpSession, forSubscription } from '../mcp-session.ts';
import { TOOLS } from '../tools.ts';
import { faultOf, injectFault } from './faults.ts';
import type { HttpExchanges } from './exchange.ts';

/** The headers of an SSE answer in this era: no intermediary may hold its events back. */
const SSE_HEADERS = { 'x-accel-buffering': 'no' };

interface Subscription {
  id: JsonRpcRequest['id'];
  toolsListChanged: boolean;
  res: ServerResponse;
  req: IncomingMessage;
}

/** The Mcp-Param headers each of the mock's tools takes, from the x-mcp-header marks of its inputSchema. */
const PARAM_HEADERS = new Map<string, ReturnType<typeof paramHeadersOf>>(TOOLS.map((tool) => [tool.name, paramHeadersOf(tool.inputSchema)]));

/** Why a tools/call's Mcp-Param headers disagree with its arguments (2026-07-28 "Server Behavior for Custom Headers"), or undefined. */
function paramMismatch(headers: IncomingMessage['headers'], method: string, params: Record<string, unknown> | undefined): string | undefined {
  const marks = method === 'tools/call' ? PARAM_HEADERS.get(String(params?.name)) : undefined;
  return marks && 'headers' in marks ? paramHeaderMismatch(headers, marks.headers, params?.arguments) : undefined;
}

export class StatelessEra {
  /** Subscriptions (subscriptions/listen), across every client: a change goes to those that asked for it. */
  private readonly subscriptions = new Set<Subscription>();
  private readonly channel = {
    notify: (message: JsonRpcMessage): boolean => {
      let delivered = false;
      for (const sub of this.subscriptions) {
        const tagged = forSubscription(message, sub.id, sub.toolsListChanged);
        if (!tagged) continue;
        this.write(sub.req, sub.res, tagged);
        delivered = true;
      }
      return delivered;
    },
  };

  constructor(private readonly io: HttpExchanges) {}

  /** Ends every subscription stream (the server goes down). */
  endStreams(): void {
    for (const sub of this.subscriptions) sub.res.end();
  }

  /** One request of this era: its headers checked against its body, then answered on its own. */
  async post(req: IncomingMessage, res: ServerResponse, parsed: unknown): Promise<void> {
    const { io } = this;
    if (parsed === undefined) return io.send(req, res, 400, errorResponse(null, ErrorCode.ParseError, 'Parse error'), null);
    const kind = classifyMessage(parsed);
    if (kind === 'invalid' || kind === 'response' || Array.isArray(parsed)) {
      return io.send(req, res, 400, errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request: a POST carries one request or notification'), null);
    }
    // This revision sets no header rules for a notification POST: it is accepted as it is.
    if (kind === 'notification') return io.send(req, res, 202, undefined, null);
    const message = parsed as JsonRpcRequest;
    const refusal = this.refusal(req, message);
    if (refusal) return io.send(req, res, 400, refusal, null);
    const meta = ((message.params as Record<string, unknown>)._meta ?? {}) as Record<string, unknown>;
    const dropStream = () => {
      io.openSse(res, SSE_HEADERS);
      // Something on the stream first, then the cut: a progress notification when the call asked for them, else a comment.
      if (meta.progressToken !== undefined) this.write(req, res, { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: meta.progressToken, progress: 0, message: 'the stream is about to drop' } });
      else res.write(': the stream is about to drop\n\n');
      io.note(req, '(stream cut)', null);
      res.socket?.end(() => res.socket?.destroy());
    };
    if (injectFault(faultOf(meta), io, { req, res, request: message, sessionId: null }, dropStream)) return;
    if (message.method === 'subscriptions/listen') return this.listen(req, res, message);
    return this.answer(req, res, message, meta);
  }

  /** Why this era refuses a request before reading it (a JSON-RPC error for a 400), or undefined. */
  private refusal(req: IncomingMessage, message: JsonRpcRequest): ReturnType<typeof errorResponse> | undefined {
    const params = message.params as Record<string, unknown> | undefined;
    const { id } = message;
    const asked = requestProtocolVersion(params);
    if (asked === undefined) {
      // A legacy client's initialize at a server of this era only, which names what it supports.
      if (message.method === 'initialize') return errorResponse(id, ErrorCode.UnsupportedProtocolVersion, 'Unsupported protocol version: this server speaks only the stateless revisions', { supported: revisionsOfEra(true) });
      // Any other request of this era without its version is malformed (basic/index.mdx, "_meta").
      return errorResponse(id, ErrorCode.InvalidParams, `_meta lacks ${META.protocolVersion}, which every request of this revision carries`);
    }
    const mismatch = headerMismatch(req.headers, message.method, params, HEADER.protocolVersion) ?? paramMismatch(req.headers, message.method, params);
    if (mismatch) return errorResponse(id, ErrorCode.HeaderMismatch, `Header mismatch: ${mismatch}`);
    if (!revisionsOfEra(true).includes(asked as never)) {
      return errorResponse(id, ErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version ${asked}`, { requested: asked, supported: revisionsOfEra(true) });
    }
    if (typeof (params?._meta as Record<string, unknown>)[META.clientCapabilities] !== 'object') {
      return errorResponse(id, ErrorCode.InvalidParams, `_meta lacks ${META.clientCapabilities}, which every request of ${asked} carries`);
    }
    return undefined;
  }

  /** The request's answer: JSON, or a stream whose closing by the client cancels the call. */
  private async answer(req: IncomingMessage, res: ServerResponse, message: JsonRpcRequest, meta: Record<string, unknown>): Promise<void> {
    const { io } = this;
    const session = new McpSession({ id: randomUUID(), stateless: true, channel: this.channel, waitRelease: (cid, timeoutMs) => io.recorder.waitRelease(cid, timeoutMs) });
    session.protocolVersion = requestProtocolVersion(message.params as Record<string, unknown>)!;
    if (!session.wantsStream(message)) {
      const response = await session.handleRequest(message, null);
      return io.send(req, res, statusOf(response), response, null);
    }
    io.openSse(res, SSE_HEADERS);
    // Closing the response stream is the cancellation of the call: nothing more is sent for it.
    let cancelled = false;
    res.on('close', () => {
      if (res.writableEnded) return;
      cancelled = true;
      // The call's correlation id in the record, so that the harness finds the cancellation of its own call.
      io.note(req, `(stream closed by the client: call cancelled) ${String(meta[CID_META_KEY] ?? '')}`, null);
    });
    const emit = (m: JsonRpcMessage) => {
      if (!cancelled) this.write(req, res, m);
    };
    const response = await session.handleRequest(message, { emit });
    emit(response);
    if (!cancelled) res.end();
  }

  /** subscriptions/listen: the acknowledgement first, then the changes it asked for, until the client closes the stream. */
  private listen(req: IncomingMessage, res: ServerResponse, request: JsonRpcRequest): void {
    const wanted = ((request.params ?? {}) as { notifications?: Record<string, unknown> }).notifications ?? {};
    // The mock has tools only: that is the one kind of change it can promise.
    const honoured = wanted.toolsListChanged === true ? { toolsListChanged: true } : {};
    this.io.openSse(res, SSE_HEADERS);
    const sub = { id: request.id, toolsListChanged: wanted.toolsListChanged === true, res, req };
    const cid = ((request.params?._meta ?? {}) as Record<string, unknown>)[CID_META_KEY];
    this.write(req, res, { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META.subscriptionId]: request.id, ...(cid !== undefined && { [CID_META_KEY]: cid }) }, notifications: honoured } });
    this.subscriptions.add(sub);
    // Counted while it is open, so that the harness sees subscriptions left behind by clients that went.
    const live = randomUUID();
    this.io.recorder.opened('subscription', this.io.name, live);
    res.on('close', () => {
      this.subscriptions.delete(sub);
      this.io.recorder.closed('subscription', this.io.name, live);
      this.io.note(req, '(subscription stream closed)', null);
    });
  }

  /** One message as an SSE event (this era's events carry no id), recorded. */
  private write(req: IncomingMessage, res: ServerResponse, message: unknown): void {
    const data = JSON.stringify(message);
    this.io.record({ direction: 'out', req, body: Buffer.from(data), sessionId: null });
    res.write(formatSseEvent({ data }));
  }
}

/**
 * The HTTP status of a whole answer in this era: 404 for a method the server does not implement
 * (-32601), 400 for a request that needs a client capability it did not declare (-32021), else 200.
 */
function statusOf(response: JsonRpcResponse): number {
  const code = 'error' in response ? (response.error as { code?: number }).code : undefined;
  if (code === ErrorCode.MethodNotFound) return 404;
  if (code === ErrorCode.MissingRequiredClientCapability) return 400;
  return 200;
}
