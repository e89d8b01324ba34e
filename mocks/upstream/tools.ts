/**
 * The scriptable tools of the mock upstream. Each does one observable thing the suites need:
 * echo arguments back, fail with a chosen JSON-RPC error, stream progress, return a large payload,
 * answer slowly, notify on the GET stream, or ask the client to sample.
 */
import { CID_META_KEY, ErrorCode, LOG_LEVELS, META, preciseNow, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../../wire/index.ts';

export interface ToolContext {
  request: JsonRpcRequest;
  /** Sends a message on the request's own stream (before the result). */
  emit(message: JsonRpcMessage): void;
  /** Sends an unrelated message on the session's GET stream; false when no stream is open. */
  notify(message: JsonRpcMessage): boolean;
  /** Sends a server→client request and waits for the client's answer. */
  ask(method: string, params: Record<string, unknown>): Promise<JsonRpcResponse>;
  error(code: number, message: string, data?: unknown): Error;
  /** Waits for the harness to release the gate named by a correlation id. */
  waitRelease(cid: string, timeoutMs: number): Promise<boolean>;
  /** The request is of the stateless era: `notify` announces a tool list change to the subscriptions that asked for one. */
  stateless: boolean;
}

type Args = Record<string, unknown>;

const objectSchema = (properties: Record<string, unknown> = {}) => ({ type: 'object', properties });

export const TOOLS = [
  // Its structured result is the arguments, an object: what its outputSchema promises.
  { name: 'echo', description: 'Returns exactly the arguments it got.', inputSchema: { type: 'object', additionalProperties: true }, outputSchema: { type: 'object', additionalProperties: true } },
  {
    name: 'error',
    description: 'Answers with a JSON-RPC error of the given code, message and data.',
    inputSchema: objectSchema({ code: { type: 'integer' }, message: { type: 'string' }, data: {} }),
  },
  {
    name: 'fail',
    description: 'Returns a tool result with isError: true.',
    inputSchema: objectSchema({ text: { type: 'string' } }),
  },
  {
    name: 'progress',
    description: 'Sends N progress notifications at an interval, then the result. With gate, waits after the first until the harness releases it.',
    inputSchema: objectSchema({ count: { type: 'integer' }, intervalMs: { type: 'integer' }, gate: { type: 'boolean' }, gateTimeoutMs: { type: 'integer' } }),
  },
  { name: 'large', description: 'Returns a text of N bytes.', inputSchema: objectSchema({ bytes: { type: 'integer' } }) },
  { name: 'slow', description: 'Answers after a delay.', inputSchema: objectSchema({ ms: { type: 'integer' } }) },
  {
    name: 'route',
    description: 'Returns its arguments like echo. Marks region, tenant.id, shard and dryRun with x-mcp-header, for Mcp-Param headers (2026-07-28).',
    inputSchema: {
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        tenant: { type: 'object', properties: { id: { type: 'string', 'x-mcp-header': 'Tenant' } } },
        shard: { type: 'integer', 'x-mcp-header': 'Shard' },
        dryRun: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
      },
    },
  },
  {
    // A mark inside an array's items is not statically reachable: a 2026-07-28 client over HTTP must leave this tool out of its list.
    name: 'misrouted',
    description: 'Returns its arguments like echo. Its x-mcp-header mark breaks the rules, so clients over Streamable HTTP reject it.',
    inputSchema: { type: 'object', properties: { regions: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Region' } } } },
  },
  { name: 'restricted', description: 'A tool a proxy\'s policy may deny; returns its arguments like echo.', inputSchema: { type: 'object', additionalProperties: true } },
  {
    name: 'notify',
    description: 'Sends a server notification on the GET stream (stateless: a tool list change to the subscriptions that listen for one). With change "tools", a session announces a tool list change instead.',
    inputSchema: objectSchema({ data: {}, change: { type: 'string', enum: ['tools'] } }),
  },
  {
    name: 'log',
    description: 'Sends one notifications/message per log level at or above the level the request set in _meta (stateless era), then the result.',
    inputSchema: objectSchema({}),
  },
  {
    name: 'sample',
    description: 'Sends a sampling request to the client and returns its answer.',
    inputSchema: objectSchema({ prompt: { type: 'string' } }),
  },
] as const;

const MAX_LARGE_BYTES = 64 * 1024 * 1024;
const MAX_DELAY_MS = 10 * 60 * 1000;

export function toolNeedsStream(name: string, params: Record<string, unknown>): boolean {
  if (name === 'sample') return true;
  if (name === 'log') return ((params._meta ?? {}) as Record<string, unknown>)[META.logLevel] !== undefined;
  if (name === 'progress') {
    const meta = (params._meta ?? {}) as Record<string, unknown>;
    return meta.progressToken !== undefined;
  }
  return false;
}

function intArg(args: Args, key: string, fallback: number, max: number): number {
  const value = args[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ToolArgError(`argument ${key} must be an integer from 0 to ${max}`);
  }
  return value;
}

class ToolArgError extends Error {}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function textResult(text: string, structuredContent?: unknown) {
  return structuredContent === undefined
    ? { content: [{ type: 'text', text }] }
    : { content: [{ type: 'text', text }], structuredContent };
}

export async function callTool(name: string, args: Args, ctx: ToolContext): Promise<unknown> {
  try {
    return await runTool(name, args, ctx);
  } catch (err) {
    if (err instanceof ToolArgError) throw ctx.error(ErrorCode.InvalidParams, err.message);
    throw err;
  }
}

async function runTool(name: string, args: Args, ctx: ToolContext): Promise<unknown> {
  switch (name) {
    case 'echo':
    case 'route':
    case 'misrouted':
    case 'restricted':
      return textResult(JSON.stringify(args), args);
    case 'error': {
      const code = typeof args.code === 'number' ? args.code : ErrorCode.InternalError;
      const message = typeof args.message === 'string' ? args.message : 'Scripted error';
      throw ctx.error(code, message, args.data);
    }
    case 'fail':
      return { content: [{ type: 'text', text: String(args.text ?? 'the tool failed') }], isError: true };
    case 'progress': {
      const count = intArg(args, 'count', 3, 10_000);
      const intervalMs = intArg(args, 'intervalMs', 10, MAX_DELAY_MS);
      const meta = (ctx.request.params?._meta ?? {}) as Record<string, unknown>;
      const token = meta.progressToken;
      const sentAt: number[] = [];
      let released: boolean | undefined;
      for (let i = 1; i <= count; i++) {
        // The gate holds the rest until the harness has seen the first notification arrive.
        if (i === 2 && args.gate === true) released = await ctx.waitRelease(String(meta[CID_META_KEY] ?? ''), intArg(args, 'gateTimeoutMs', 5000, 60_000));
        if (i > 1 || intervalMs > 0) await delay(intervalMs);
        if (token !== undefined) {
          sentAt.push(preciseNow());
          ctx.emit({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: i, total: count, message: `step ${i} of ${count}` } });
        }
      }
      return textResult(`sent ${sentAt.length} progress notifications`, released === undefined ? { sent: sentAt.length, sentAt } : { sent: sentAt.length, sentAt, released });
    }
    case 'large': {
      const bytes = intArg(args, 'bytes', 1024, MAX_LARGE_BYTES);
      const unit = 'proxyspec-0123456789abcdefghijklmnopqrstuvwxyz-';
      const text = unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
      return textResult(text);
    }
    case 'slow': {
      const ms = intArg(args, 'ms', 100, MAX_DELAY_MS);
      await delay(ms);
      return textResult(`answered after ${ms} ms`, { ms });
    }
    case 'notify': {
      if (ctx.stateless) {
        const cid = ((ctx.request.params?._meta ?? {}) as Args)[CID_META_KEY];
        const delivered = ctx.notify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [CID_META_KEY]: cid ?? null } } });
        return textResult(delivered ? 'tool list change sent to the subscriptions' : 'no subscription listens for tool list changes', { delivered });
      }
      if (args.change === 'tools') {
        // The session era's way to announce it: to the session, which a bridge relays to the subscriptions of its own era.
        const cid = ((ctx.request.params?._meta ?? {}) as Args)[CID_META_KEY];
        const delivered = ctx.notify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [CID_META_KEY]: cid ?? null } } });
        return textResult(delivered ? 'tool list change sent to the session' : 'no stream open for the session', { delivered });
      }
      const delivered = ctx.notify({
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', logger: 'proxyspec-mock', data: args.data ?? args },
      });
      return textResult(delivered ? 'notification sent on the GET stream' : 'no GET stream open', { delivered });
    }
    case 'log': {
      // A request that set no level gets no log message (2026-07-28, logging: "MUST NOT emit").
      const meta = (ctx.request.params?._meta ?? {}) as Args;
      const asked = LOG_LEVELS.indexOf(meta[META.logLevel] as never);
      const levels = asked < 0 ? [] : LOG_LEVELS.slice(asked);
      for (const level of levels) ctx.emit({ jsonrpc: '2.0', method: 'notifications/message', params: { level, logger: 'proxyspec-mock', data: { level, [CID_META_KEY]: meta[CID_META_KEY] ?? null } } });
      return textResult(`sent ${levels.length} log messages`, { sent: levels });
    }
    case 'sample': {
      const answer = await ctx.ask('sampling/createMessage', {
        messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt ?? 'Say hello') } }],
        maxTokens: 32,
        _meta: { [CID_META_KEY]: ((ctx.request.params?._meta ?? {}) as Args)[CID_META_KEY] ?? null },
      });
      return textResult(JSON.stringify(answer), { answer });
    }
    default:
      throw ctx.error(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  }
}
