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

/** Whether the check applies: the upstream the proxy was given offers tasks. Undefined when it does; else why not. */
export async function upstreamWithoutTasks(t: ScenarioContext, cid: string): Promise<string | undefined> {
  if (t.ctx.target.upstreamEra === 'modern') return 'the upstream speaks only 2026-07-28, which moved tasks out of the core protocol into an extension';
  const answer = (await t.upstream.answerTo(cid, 'initialize')).message as { result?: { capabilities?: { tasks?: { requests?: { tools?: { call?: unknown } } } } } } | undefined;
  if (answer?.result && !isObject(answer.result.capabilities?.tasks?.requests?.tools?.call)) return 'the upstream declared no task support for tools/call';
  return undefined;
}

/** Why the client was not offered tasks for tools/call by this initialize result, or undefined when it was. */
export function withoutTasks(initialized: Json): string | undefined {
  const tasks = (initialized.capabilities as Json | undefined)?.tasks as { requests?: { tools?: { call?: unknown } } } | undefined;
  if (isObject(tasks?.requests?.tools?.call)) return undefined;
  return `the proxy does not offer tasks to its clients (its initialize result declares ${tasks === undefined ? 'no tasks capability' : `tasks ${JSON.stringify(tasks)}, without tools/call`}), though its upstream does; tasks are optional, and a client must not ask for one`;
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
