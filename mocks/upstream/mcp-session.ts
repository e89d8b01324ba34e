/**
 * The mock upstream's MCP logic for one session, independent of transport: initialize and version
 * negotiation, ping, tools/list and tools/call on the scriptable tools, and server→client requests
 * (sampling) whose answers come back through `handleResponse`.
 */
import {
  CID_META_KEY,
  ErrorCode,
  SSE_META_KEY,
  revisionsOfEra,
  errorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from '../../wire/index.ts';
import { TOOLS, callTool, toolNeedsStream, type ToolContext } from './tools.ts';

export const MOCK_SERVER_INFO = { name: 'proxyspec-mock-upstream', version: '0.1.0' } as const;
const LATEST = '2025-11-25';

function cidOf(params: Record<string, unknown>): string | undefined {
  const cid = (params._meta as Record<string, unknown> | undefined)?.[CID_META_KEY];
  return typeof cid === 'string' ? cid : undefined;
}

/** Where a message related to the request being handled goes (the POST's SSE stream, or stdout). */
export interface RequestSink {
  emit(message: JsonRpcMessage): void;
}

/** Where messages unrelated to any request go (the GET stream, or stdout). Returns false when nobody listens. */
export interface SessionChannel {
  notify(message: JsonRpcMessage): boolean;
}

/** Raised by tools to answer with a JSON-RPC error. */
export class ToolRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface McpSessionOptions {
  id: string;
  channel: SessionChannel;
  /** Versions this upstream accepts; anything else is answered with the latest it knows. */
  supportedVersions?: readonly string[];
  /** Waits for the harness to release a gate (by correlation id); resolves false on timeout. */
  waitRelease?: (cid: string, timeoutMs: number) => Promise<boolean>;
}

export class McpSession {
  readonly id: string;
  protocolVersion: string | undefined;
  readonly createdAt = Date.now();
  private readonly channel: SessionChannel;
  private readonly waitRelease: (cid: string, timeoutMs: number) => Promise<boolean>;
  private readonly supported: readonly string[];
  private readonly pending = new Map<JsonRpcId, (response: JsonRpcResponse) => void>();
  private nextServerRequestId = 1;

  constructor(options: McpSessionOptions) {
    this.id = options.id;
    this.channel = options.channel;
    this.waitRelease = options.waitRelease ?? (async () => true);
    this.supported = options.supportedVersions ?? revisionsOfEra(false);
  }

  /** Whether answering this request needs a stream (messages before the response). */
  wantsStream(request: JsonRpcRequest): boolean {
    const meta = (request.params?._meta ?? {}) as Record<string, unknown>;
    if (meta[SSE_META_KEY] === true) return true;
    if (request.method !== 'tools/call') return false;
    return toolNeedsStream(String(request.params?.name ?? ''), request.params ?? {});
  }

  async handleRequest(request: JsonRpcRequest, sink: RequestSink | null): Promise<JsonRpcResponse> {
    try {
      const result = await this.dispatch(request, sink);
      return { jsonrpc: '2.0', id: request.id, result };
    } catch (err) {
      if (err instanceof ToolRpcError) return errorResponse(request.id, err.code, err.message, err.data);
      return errorResponse(request.id, ErrorCode.InternalError, 'Internal error', { detail: String(err) });
    }
  }

  handleNotification(_notification: JsonRpcNotification): void {
    // Notifications (initialized, cancelled, roots changed…) are recorded by the transport; nothing to do.
  }

  /** A client's answer to one of our server→client requests. Unknown ids are ignored, as the spec allows. */
  handleResponse(response: JsonRpcResponse): void {
    if (response.id === null) return;
    const resolve = this.pending.get(response.id);
    if (resolve) {
      this.pending.delete(response.id);
      resolve(response);
    }
  }

  private async dispatch(request: JsonRpcRequest, sink: RequestSink | null): Promise<unknown> {
    const params = (request.params ?? {}) as Record<string, unknown>;
    switch (request.method) {
      case 'initialize': {
        const asked = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
        this.protocolVersion = this.supported.includes(asked) ? asked : LATEST;
        return {
          protocolVersion: this.protocolVersion,
          capabilities: { tools: { listChanged: false }, logging: {} },
          serverInfo: MOCK_SERVER_INFO,
          instructions: 'Scriptable mock upstream of proxyspec.',
          // The correlation id comes back, so the harness can find this answer among the records.
          ...(cidOf(params) && { _meta: { [CID_META_KEY]: cidOf(params) } }),
        };
      }
      case 'ping':
        return {};
      case 'tools/list':
        return { tools: TOOLS };
      case 'tools/call': {
        const ctx: ToolContext = {
          request,
          emit: (message) => {
            if (!sink) throw new Error('this call was answered as JSON and cannot carry streamed messages');
            sink.emit(message);
          },
          notify: (message) => this.channel.notify(message),
          ask: (method, askParams) => this.ask(method, askParams, sink),
          waitRelease: (cid, timeoutMs) => this.waitRelease(cid, timeoutMs),
          error: (code, message, data) => new ToolRpcError(code, message, data),
        };
        return callTool(String(params.name ?? ''), (params.arguments ?? {}) as Record<string, unknown>, ctx);
      }
      default:
        throw new ToolRpcError(ErrorCode.MethodNotFound, `Method not found: ${request.method}`);
    }
  }

  /** Sends a request to the client on the current stream and waits for its answer. */
  private ask(method: string, params: Record<string, unknown>, sink: RequestSink | null): Promise<JsonRpcResponse> {
    const id = `srv-${this.id.slice(0, 8)}-${this.nextServerRequestId++}`;
    const answer = new Promise<JsonRpcResponse>((resolve) => this.pending.set(id, resolve));
    const message: JsonRpcRequest = { jsonrpc: '2.0', id, method, params };
    if (sink) sink.emit(message);
    else this.channel.notify(message);
    return answer;
  }
}
