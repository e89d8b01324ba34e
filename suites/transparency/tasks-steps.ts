/**
 * What the tasks scenarios share: asking through the proxy, starting a task, and whether tasks apply
 * to this run (the upstream offers them, and the proxy offers them to its clients).
 */
import { bodyJson, describeCall, type McpClient, type ScenarioContext } from '../../harness/src/index.ts';

export const RELATED_TASK = 'io.modelcontextprotocol/related-task';

export type Json = Record<string, unknown>;
export interface Answer {
  result?: Json;
  error?: { code?: unknown; message?: unknown; data?: unknown };
  described: string;
  /** The messages of the answer's SSE stream, when it was one (what came before the answer). */
  messages: unknown[];
}

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function ask(client: McpClient, method: string, params: Json, cid: string, timeoutMs = 10_000): Promise<Answer> {
  const call = await client.request(method, params, { cid, timeoutMs });
  const response = call.response as { result?: unknown; error?: Answer['error'] } | undefined;
  return { result: isObject(response?.result) ? response.result : undefined, error: response?.error, described: describeCall(call), messages: call.exchange.events.map((e) => e.json).filter((m) => m !== undefined) };
}

/** A result without its _meta. */
export function withoutMeta(result: Json | undefined): Json | undefined {
  if (!result) return result;
  const { _meta: _dropped, ...rest } = result;
  return rest;
}

/** Whether capabilities offer task-augmented tools/call. */
const offersTaskCalls = (capabilities: unknown) => isObject(((capabilities as Json | undefined)?.tasks as { requests?: { tools?: { call?: unknown } } } | undefined)?.requests?.tools?.call);

/**
 * Why there are no tasks to judge with, or undefined when there are: the upstream the proxy was
 * given offers them (its answer to the client's initialize, when that reached it), and the proxy
 * offers them on in its own initialize result (a client must not ask a server that does not).
 */
export async function withoutTasks(t: ScenarioContext, cid: string, initialized: Json): Promise<string | undefined> {
  if (t.ctx.target.upstreamEra === 'modern') return 'the upstream speaks only 2026-07-28, which moved tasks out of the core protocol into an extension';
  const answer = (await t.upstream.answerTo(cid, 'initialize')).message as { result?: { capabilities?: unknown } } | undefined;
  if (answer?.result && !offersTaskCalls(answer.result.capabilities)) return 'the upstream declared no task support for tools/call';
  if (offersTaskCalls(initialized.capabilities)) return undefined;
  return `the proxy does not offer tasks to its clients (its initialize result declares ${JSON.stringify((initialized.capabilities as Json | undefined)?.tasks ?? null)} for tasks), though its upstream does; a client must not ask it for one`;
}

/** Starts a tool as a task; the task's id, or why none came back. */
export async function startTask(client: McpClient, tool: string, args: Json, cid: string, meta?: Json): Promise<{ taskId?: string; created: Answer; cid: string }> {
  const created = await ask(client, 'tools/call', { name: tool, arguments: { ...args, cid }, task: { ttl: 60_000 }, ...(meta && { _meta: meta }) }, cid);
  const task = created.result?.task as Json | undefined;
  return { taskId: typeof task?.taskId === 'string' ? task.taskId : undefined, created, cid };
}

/** What the upstream made of a task-augmented call, in words: the evidence for a call that came back without a task. */
export async function upstreamMadeOf(t: ScenarioContext, cid: string): Promise<string> {
  const { request, message } = await t.upstream.answerTo(cid, 'tools/call');
  if (!request) return 'the call never reached the upstream';
  const asked = (bodyJson(request) as { params?: { task?: unknown } } | undefined)?.params;
  if (asked && asked.task === undefined) return 'the call reached the upstream without its task member';
  const taskId = ((message as { result?: { task?: { taskId?: unknown } } } | undefined)?.result?.task?.taskId);
  return typeof taskId === 'string' ? `the upstream had answered it with a CreateTaskResult (task ${taskId})` : `the upstream answered ${JSON.stringify(message ?? null).slice(0, 100)}`;
}
