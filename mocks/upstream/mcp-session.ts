/**
 * The mock upstream's MCP logic, independent of transport. In the session era, for one session:
 * initialize and version negotiation, ping, tools/list and tools/call on the scriptable tools, and
 * server→client requests (sampling) whose answers come back through `handleResponse`. In the
 * stateless era (2026-07-28), for one request: server/discover, results that carry `resultType`
 * and the server's identity, cacheable lists, and sampling as a multi round-trip request.
 */
import { randomUUID } from 'node:crypto';
import {
  CACHE_SCOPE_META_KEY,
  CID_META_KEY,
  ErrorCode,
  LOG_LEVELS,
  META,
  SERVED_META_KEY,
  SSE_META_KEY,
  revisionsOfEra,
  errorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  LATEST_SESSION_REVISION,
  has,
  isRevision,
} from '../../wire/index.ts';
import { CATALOG_CAPABILITIES, CatalogError, LIST_CACHE_SCOPE, complete, getPrompt, listPage, readResource, type ListMethod } from './catalog.ts';
import { TASKS_CAPABILITY, TASK_SUPPORT, TASK_TOOLS, TaskProtocolError, TaskStore, type TaskOutcome } from './tasks.ts';
import { TOOLS, callTool, toolNeedsStream, type ToolContext } from './tools.ts';

export const MOCK_SERVER_INFO = { name: 'proxyspec-mock-upstream', version: '0.1.0' } as const;
/** How long a stateless client may cache the mock's tool list, and that any intermediary may share it. */
export const TOOLS_TTL_MS = 60_000;
const INSTRUCTIONS = 'Scriptable mock upstream of proxyspec.';

/** The client capability each request the server may ask of the client needs. */
const CAPABILITY_OF: Record<string, string> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

/** Thrown by `ask` in the stateless era: the request ends with an input_required result instead. */
class InputRequired {
  constructor(readonly result: Record<string, unknown>) {}
}

/** The opaque state the mock hands out with an input_required result: fixed by the tool and its arguments, so a changed one shows. */
function requestStateFor(request: JsonRpcRequest, key: string): string {
  const params = (request.params ?? {}) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ key, name: params.name, arguments: params.arguments ?? null })).toString('base64url');
}

function cidOf(params: Record<string, unknown>): string | undefined {
  const cid = (params._meta as Record<string, unknown> | undefined)?.[CID_META_KEY];
  return typeof cid === 'string' ? cid : undefined;
}

/**
 * A change notification as one subscription of the stateless era gets it, tagged with that
 * subscription's id; undefined when the subscription did not ask for this kind of change.
 */
export function forSubscription(message: JsonRpcMessage, id: JsonRpcId, toolsListChanged: boolean): JsonRpcMessage | undefined {
  if (message.method !== 'notifications/tools/list_changed' || !toolsListChanged) return undefined;
  const params = (message as { params?: Record<string, unknown> }).params ?? {};
  return { ...message, params: { ...params, _meta: { ...(params._meta as object), [META.subscriptionId]: id } } } as JsonRpcMessage;
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
  /** One request of the stateless era (no handshake; the version is in the request's _meta). */
  stateless?: boolean;
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
  readonly stateless: boolean;
  /** This session's tasks (2025-11-25): no other session can reach them. */
  private readonly tasks = new TaskStore();

  constructor(options: McpSessionOptions) {
    this.id = options.id;
    this.stateless = options.stateless ?? false;
    this.channel = options.channel;
    this.waitRelease = options.waitRelease ?? (async () => true);
    this.supported = options.supportedVersions ?? revisionsOfEra(false);
  }

  /** Whether answering this request needs a stream (messages before the response). */
  wantsStream(request: JsonRpcRequest): boolean {
    const meta = (request.params?._meta ?? {}) as Record<string, unknown>;
    if (meta[SSE_META_KEY] === true) return true;
    if (request.method !== 'tools/call') return false;
    // A stateless sampling call is answered with input_required, in one JSON body.
    if (this.stateless && request.params?.name === 'sample') return false;
    return toolNeedsStream(String(request.params?.name ?? ''), request.params ?? {});
  }

  async handleRequest(request: JsonRpcRequest, sink: RequestSink | null): Promise<JsonRpcResponse> {
    try {
      const result = await this.dispatch(request, sink);
      return { jsonrpc: '2.0', id: request.id, result: this.stateless ? this.complete(result as Record<string, unknown>, 'complete') : result };
    } catch (err) {
      if (err instanceof InputRequired) return { jsonrpc: '2.0', id: request.id, result: this.complete(err.result, 'input_required') };
      if (err instanceof ToolRpcError) return errorResponse(request.id, err.code, err.message, err.data);
      if (err instanceof TaskProtocolError || err instanceof CatalogError) return errorResponse(request.id, err.code, err.message);
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

  /** Whether the session's negotiated revision has tasks. */
  private get tasksOn(): boolean {
    return !this.stateless && isRevision(this.protocolVersion) && has(this.protocolVersion, 'tasks');
  }

  /** A stateless result: its resultType, and the server's identity in its _meta beside what is there. */
  private complete(result: Record<string, unknown>, resultType: 'complete' | 'input_required'): Record<string, unknown> {
    const meta = { ...(result._meta as Record<string, unknown> | undefined), [META.serverInfo]: MOCK_SERVER_INFO };
    return { ...result, resultType, _meta: meta };
  }

  private async dispatch(request: JsonRpcRequest, sink: RequestSink | null): Promise<unknown> {
    const params = (request.params ?? {}) as Record<string, unknown>;
    if (this.stateless) {
      const cid = cidOf(params);
      const level = (params._meta as Record<string, unknown> | undefined)?.[META.logLevel];
      if (level !== undefined && !LOG_LEVELS.includes(level as never)) throw new ToolRpcError(ErrorCode.InvalidParams, `Invalid log level: ${JSON.stringify(level)}`);
      switch (request.method) {
        case 'server/discover':
          return {
            supportedVersions: revisionsOfEra(true),
            // Logging: the log tool sends log messages to a request that sets a level.
            capabilities: { tools: { listChanged: true }, logging: {}, ...CATALOG_CAPABILITIES },
            instructions: INSTRUCTIONS,
            ttlMs: TOOLS_TTL_MS,
            cacheScope: 'public',
            ...(cid && { _meta: { [CID_META_KEY]: cid } }),
          };
        case 'tools/list': {
          // Asked for a private list: fresh each time it is served, so a copy served to someone else shows.
          const mine = (params._meta as Record<string, unknown> | undefined)?.[CACHE_SCOPE_META_KEY] === 'private';
          const meta = { ...(cid && { [CID_META_KEY]: cid }), ...(mine && { [SERVED_META_KEY]: randomUUID() }) };
          return { tools: TOOLS, ttlMs: TOOLS_TTL_MS, cacheScope: mine ? 'private' : 'public', ...(Object.keys(meta).length && { _meta: meta }) };
        }
        case 'tools/call':
          break;
        case 'resources/list':
        case 'prompts/list':
        case 'resources/read':
          // Cacheable, with the list's scope on every page (a read is the caller's own, as the resources list is).
          return { ...this.catalog(request.method, params), ttlMs: TOOLS_TTL_MS, cacheScope: request.method === 'resources/read' ? 'private' : LIST_CACHE_SCOPE[request.method as ListMethod], ...(cid && { _meta: { [CID_META_KEY]: cid } }) };
        case 'prompts/get':
        case 'completion/complete':
          return { ...this.catalog(request.method, params), ...(cid && { _meta: { [CID_META_KEY]: cid } }) };
        default:
          // No initialize, no ping, no logging/setLevel in this era.
          throw new ToolRpcError(ErrorCode.MethodNotFound, `Method not found: ${request.method}`);
      }
    }
    switch (request.method) {
      case 'initialize': {
        const asked = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
        this.protocolVersion = this.supported.includes(asked) ? asked : LATEST_SESSION_REVISION;
        return {
          protocolVersion: this.protocolVersion,
          capabilities: { tools: { listChanged: true }, logging: {}, ...CATALOG_CAPABILITIES, ...(this.tasksOn && { tasks: TASKS_CAPABILITY }) },
          serverInfo: MOCK_SERVER_INFO,
          instructions: INSTRUCTIONS,
          // The correlation id comes back, so the harness can find this answer among the records.
          ...(cidOf(params) && { _meta: { [CID_META_KEY]: cidOf(params) } }),
        };
      }
      case 'ping':
        return {};
      case 'tools/list': {
        // Asked for a fresh list (a private one, to a bridge that marks it so): fresh each time it is served, as in the stateless era.
        const fresh = (params._meta as Record<string, unknown> | undefined)?.[CACHE_SCOPE_META_KEY] === 'private';
        // With tasks, the tools that may run as one say so.
        const tools = this.tasksOn ? TOOLS.map((tool) => (TASK_TOOLS.has(tool.name) ? { ...tool, execution: TASK_SUPPORT } : tool)) : TOOLS;
        return fresh ? { tools, _meta: { ...(cidOf(params) && { [CID_META_KEY]: cidOf(params) }), [SERVED_META_KEY]: randomUUID() } } : { tools };
      }
      case 'tools/call': {
        const name = String(params.name ?? '');
        const args = (params.arguments ?? {}) as Record<string, unknown>;
        if (this.tasksOn && typeof params.task === 'object' && params.task !== null) {
          if (!TASK_TOOLS.has(name)) throw new ToolRpcError(ErrorCode.MethodNotFound, `Tool ${name} does not run as a task`);
          // Accepted at once; the call runs on, its messages (if any) on the session's GET stream.
          return this.tasks.create((params.task as { ttl?: unknown }).ttl, () => this.outcomeOf(name, args, request));
        }
        const ctx: ToolContext = {
          request,
          emit: (message) => {
            if (!sink) throw new Error('this call was answered as JSON and cannot carry streamed messages');
            sink.emit(message);
          },
          notify: (message) => this.channel.notify(message),
          ask: (method, askParams) => this.ask(method, askParams, sink, request),
          waitRelease: (cid, timeoutMs) => this.waitRelease(cid, timeoutMs),
          error: (code, message, data) => new ToolRpcError(code, message, data),
          stateless: this.stateless,
        };
        return callTool(name, args, ctx);
      }
      case 'resources/list':
      case 'prompts/list':
      case 'resources/read':
      case 'prompts/get':
      case 'completion/complete':
        return { ...this.catalog(request.method, params), ...(cidOf(params) && { _meta: { [CID_META_KEY]: cidOf(params) } }) };
      case 'tasks/get':
      case 'tasks/result':
      case 'tasks/list':
      case 'tasks/cancel': {
        if (!this.tasksOn) throw new ToolRpcError(ErrorCode.MethodNotFound, `Method not found: ${request.method}`);
        if (request.method === 'tasks/get') return this.tasks.get(params.taskId);
        if (request.method === 'tasks/list') return this.tasks.list(params.cursor);
        if (request.method === 'tasks/cancel') return this.tasks.cancel(params.taskId);
        const outcome = await this.tasks.result(params.taskId);
        if ('error' in outcome) throw new ToolRpcError(outcome.error.code, outcome.error.message, outcome.error.data);
        return outcome.result;
      }
      default:
        throw new ToolRpcError(ErrorCode.MethodNotFound, `Method not found: ${request.method}`);
    }
  }

  /** Resources, prompts and completions, in either era (the caller adds what its era's result carries). */
  private catalog(method: string, params: Record<string, unknown>): Record<string, unknown> {
    if (method === 'resources/list' || method === 'prompts/list') return listPage(method, params.cursor, this.stateless);
    if (method === 'resources/read') return readResource(params.uri);
    if (method === 'prompts/get') return getPrompt(params.name, params.arguments);
    return complete(params);
  }

  /** A tool run as a task: what its call would have answered, result or JSON-RPC error. */
  private async outcomeOf(name: string, args: Record<string, unknown>, request: JsonRpcRequest): Promise<TaskOutcome> {
    const ctx: ToolContext = {
      request,
      emit: (message) => void this.channel.notify(message),
      notify: (message) => this.channel.notify(message),
      ask: (method, askParams) => this.ask(method, askParams, null, request),
      waitRelease: (cid, timeoutMs) => this.waitRelease(cid, timeoutMs),
      error: (code, message, data) => new ToolRpcError(code, message, data),
      stateless: false,
    };
    try {
      return { result: (await callTool(name, args, ctx)) as Record<string, unknown> };
    } catch (err) {
      if (err instanceof ToolRpcError) return { error: { code: err.code, message: err.message, ...(err.data !== undefined && { data: err.data }) } };
      return { error: { code: ErrorCode.InternalError, message: 'Internal error', data: { detail: String(err) } } };
    }
  }

  /**
   * Sends a request to the client on the current stream and waits for its answer. Stateless: the
   * answer is in the retry's `inputResponses` (with the `requestState` handed out, unchanged), or the
   * request ends here with an input_required result that asks for it.
   */
  private ask(method: string, params: Record<string, unknown>, sink: RequestSink | null, request?: JsonRpcRequest): Promise<JsonRpcResponse> {
    if (this.stateless && request) {
      const key = method.replace(/\W/g, '_');
      const state = requestStateFor(request, key);
      const given = request.params as { inputResponses?: Record<string, unknown>; requestState?: unknown } | undefined;
      const answer = given?.inputResponses?.[key];
      if (answer === undefined) {
        // A client that did not declare the capability is refused, not asked (2026-07-28: "MUST NOT
        // send an inputRequests that the client has not declared support for").
        const needed = CAPABILITY_OF[method];
        const declared = ((request.params?._meta ?? {}) as Record<string, unknown>)[META.clientCapabilities] as Record<string, unknown> | undefined;
        if (needed && !(declared && needed in declared)) {
          throw new ToolRpcError(ErrorCode.MissingRequiredClientCapability, `Missing required client capability: ${needed}`, { requiredCapabilities: { [needed]: {} } });
        }
        throw new InputRequired({ inputRequests: { [key]: { method, params } }, requestState: state });
      }
      if (given?.requestState !== state) throw new ToolRpcError(ErrorCode.InvalidParams, 'requestState is not the one this server handed out', { requestState: given?.requestState ?? null });
      return Promise.resolve({ jsonrpc: '2.0', id: request.id, result: answer as Record<string, unknown> });
    }
    const id = `srv-${this.id.slice(0, 8)}-${this.nextServerRequestId++}`;
    const answer = new Promise<JsonRpcResponse>((resolve) => this.pending.set(id, resolve));
    const message: JsonRpcRequest = { jsonrpc: '2.0', id, method, params };
    if (sink) sink.emit(message);
    else this.channel.notify(message);
    return answer;
  }
}
