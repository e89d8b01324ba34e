/**
 * Tasks (2025-11-25) through the proxy. A task-augmented tools/call is accepted with a
 * CreateTaskResult and runs on; tasks/get, tasks/result, tasks/list and tasks/cancel then reach the
 * session that holds the task, and what they answer reaches the client as the upstream gave it.
 */
import { bodyJson, describeCall, scenario, waitUntil, type ScenarioContext } from '../../harness/src/index.ts';
import { RELATED_TASK, ask, startTask, upstreamMadeOf, withoutMeta, withoutTasks, type Answer, type Json } from './tasks-steps.ts';

const RELAYED = 'transparency/tasks-relayed';
const INVALID_PARAMS = -32602;
/** A code the error tool answers with: outside every range JSON-RPC and MCP reserve. */
const TOOL_ERROR_CODE = -31042;

/**
 * A task-augmented request is cancelled with tasks/cancel, never with notifications/cancelled: the
 * upstream must get no cancellation naming the upstream id of any call that started a task (the
 * doomed task's tasks/cancel included, which a proxy might translate).
 */
async function cancelledByNotification(t: ScenarioContext, starts: Array<{ cid: string }>): Promise<string[]> {
  const problems: string[] = [];
  for (const { cid } of starts) {
    const call = await t.upstream.receivedRequest(cid, 'tools/call');
    const id = call && (bodyJson(call) as { id?: unknown } | undefined)?.id;
    if (!call?.sessionId || id === undefined) continue;
    const cancels = (await t.upstream.records({ sessionId: call.sessionId, direction: 'in' }))
      .map((r) => bodyJson(r) as { method?: unknown; params?: { requestId?: unknown } } | undefined)
      .filter((m) => m?.method === 'notifications/cancelled' && m.params?.requestId === id);
    if (cancels.length) problems.push(`the upstream got notifications/cancelled for the task-augmented call ${JSON.stringify(id)}, where a task is cancelled with tasks/cancel`);
  }
  return problems;
}

scenario('A proxy MUST relay task-augmented calls and the tasks/* requests, and their answers as the upstream gave them', [RELAYED], async (t: ScenarioContext) => {
  const client = t.client();
  const cid = t.cid();
  const opened = await client.initialize({ cid });
  if (!opened.response || !('result' in opened.response)) return t.block(RELAYED, 'initialize failed through the proxy', describeCall(opened));
  // Tasks to judge with: an upstream that offers them, and a proxy that offers them on (a client must not ask one that does not).
  const without = await withoutTasks(t, cid, opened.response.result as Json);
  if (without) return t.untested(RELAYED, without);
  const problems: string[] = [];

  // A slow task (for its states and a tasks/result that waits), an echo (for an exact result), an error,
  // one to cancel, and one that sends progress after its call was answered (on the GET stream, opened first).
  const stream = await client.standaloneStream();
  const token = `task-progress-${cid}`;
  const progressing = await startTask(client, 'progress', { count: 3, intervalMs: 50 }, t.cid(), { progressToken: token });
  const slow = await startTask(client, 'slow', { ms: 600 }, t.cid());
  const echoArgs = { text: 'a task', n: 42 };
  const echo = await startTask(client, 'echo', echoArgs, t.cid());
  const failing = await startTask(client, 'error', { code: TOOL_ERROR_CODE, message: 'the task failed', data: { why: 'on purpose' } }, t.cid());
  const doomed = await startTask(client, 'slow', { ms: 8000 }, t.cid());
  const started = { progressing, slow, echo, failing, doomed };
  for (const [name, s] of Object.entries(started)) {
    const task = s.created.result?.task as Json | undefined;
    if (!s.taskId) problems.push(`the ${name} task-augmented call got no CreateTaskResult with a string taskId, where ${await upstreamMadeOf(t, s.cid)}: ${s.created.result ? JSON.stringify(s.created.result).slice(0, 160) : s.created.described}`);
    else if (task?.status !== 'working' && (name === 'slow' || name === 'doomed')) problems.push(`the ${name} task was created in status ${JSON.stringify(task?.status)}, not working`);
  }
  const ids = Object.values(started).map((s) => s.taskId).filter((id): id is string => id !== undefined);
  if (new Set(ids).size !== ids.length) problems.push(`task ids repeat: ${ids.join(', ')}`);
  if (ids.length < 5) {
    return t.judgeProblems(RELAYED, problems, { seen: { 'tasks created': ids.length }, fail: 'task-augmented calls were not relayed as tasks', pass: '', expected: 'a CreateTaskResult with a string taskId for each task-augmented tools/call' });
  }
  const seen = { 'tasks created': ids.length, 'tasks/* answers': 0 };

  // tasks/get names the task asked for by its parameter, whatever related-task metadata says.
  const got = await ask(client, 'tasks/get', { taskId: slow.taskId, _meta: { [RELATED_TASK]: { taskId: echo.taskId } } }, t.cid());
  seen['tasks/* answers']++;
  if (got.result?.taskId !== slow.taskId) problems.push(`tasks/get for ${slow.taskId} (with related-task metadata naming another task) answered ${got.result ? `task ${JSON.stringify(got.result.taskId)}` : got.described}`);
  else for (const field of ['status', 'createdAt', 'lastUpdatedAt']) if (typeof got.result?.[field] !== 'string') problems.push(`tasks/get's answer has no ${field}`);

  // tasks/result waits for the end, then gives the call's own result, tagged with the task.
  const result = await ask(client, 'tasks/result', { taskId: slow.taskId }, t.cid());
  seen['tasks/* answers']++;
  const after = await ask(client, 'tasks/get', { taskId: slow.taskId }, t.cid());
  if (!result.result) problems.push(`tasks/result for the slow task: ${result.error ? `error ${JSON.stringify(result.error).slice(0, 160)}` : result.described}`);
  else if (after.result?.status !== 'completed') problems.push(`tasks/result answered while the task was ${JSON.stringify(after.result?.status ?? after.described)}, not completed`);
  if (result.result && (result.result._meta as Json | undefined)?.[RELATED_TASK] === undefined) problems.push('the tasks/result answer has no io.modelcontextprotocol/related-task in its _meta');
  else if (result.result && ((result.result._meta as Json)[RELATED_TASK] as Json | undefined)?.taskId !== slow.taskId) problems.push(`the tasks/result answer's related-task names ${JSON.stringify((result.result._meta as Json)[RELATED_TASK])}, not ${slow.taskId}`);

  // Exactly what the call would have answered: the echo's result as the same call, made plainly through
  // the proxy, gets it (_meta aside: what a proxy does to every result is response-body-unchanged's to
  // judge, and the task's result carries related-task); the error's error.
  const echoResult = await ask(client, 'tasks/result', { taskId: echo.taskId }, t.cid());
  seen['tasks/* answers']++;
  const plain = await ask(client, 'tools/call', { name: 'echo', arguments: { ...echoArgs, cid: echo.cid } }, t.cid());
  if (!echoResult.result) problems.push(`tasks/result for the echo task: ${echoResult.described}`);
  else if (!plain.result) problems.push(`the same echo as a plain call got no result (${plain.described}), so the task's could not be compared`);
  else if (JSON.stringify(withoutMeta(echoResult.result)) !== JSON.stringify(withoutMeta(plain.result))) problems.push(`tasks/result for the echo task is not what the call gives plainly: ${JSON.stringify(withoutMeta(echoResult.result)).slice(0, 160)}, plainly ${JSON.stringify(withoutMeta(plain.result)).slice(0, 160)}`);
  const failed = await ask(client, 'tasks/result', { taskId: failing.taskId }, t.cid());
  seen['tasks/* answers']++;
  if (!failed.error) problems.push(`tasks/result for the failing task: ${failed.result ? `a result ${JSON.stringify(failed.result).slice(0, 120)}` : failed.described}, not its error`);
  // The same error by its code; a message reworded on the way is errors/jsonrpc-error-preserved's to judge.
  else if (failed.error.code !== TOOL_ERROR_CODE) problems.push(`tasks/result for the failing task gave error ${JSON.stringify(failed.error).slice(0, 160)}, not the call's own (${TOOL_ERROR_CODE})`);

  // tasks/list lists every task tasks/get can reach, over as many pages as the upstream makes, each cursor passed back as it came.
  const listedIds = new Set<unknown>();
  let listed: Answer | undefined;
  let cursor: unknown;
  let asked: unknown;
  for (let page = 0; page < 10 && (page === 0 || typeof cursor === 'string'); page++) {
    asked = cursor;
    listed = await ask(client, 'tasks/list', cursor === undefined ? {} : { cursor }, t.cid());
    seen['tasks/* answers']++;
    for (const task of (listed.result?.tasks ?? []) as Json[]) listedIds.add(task.taskId);
    cursor = listed.result?.nextCursor;
    if (!listed.result) break;
  }
  const missing = ids.filter((id) => !listedIds.has(id));
  if (!listed?.result) problems.push(`tasks/list${asked === undefined ? '' : ` with the cursor ${JSON.stringify(asked)} of the page before`}: ${listed?.described}`);
  else if (missing.length) problems.push(`tasks/list left out ${missing.length} of the session's ${ids.length} tasks`);

  // Cancelling: a working task becomes cancelled; a finished one, or one cancelled already, is refused with -32602.
  const cancelled = await ask(client, 'tasks/cancel', { taskId: doomed.taskId }, t.cid());
  const again = await ask(client, 'tasks/cancel', { taskId: doomed.taskId }, t.cid());
  const finished = await ask(client, 'tasks/cancel', { taskId: echo.taskId }, t.cid());
  const unknown = await ask(client, 'tasks/get', { taskId: `no-such-task-${cid}` }, t.cid());
  seen['tasks/* answers'] += 4;
  if (cancelled.result?.status !== 'cancelled') problems.push(`tasks/cancel of a working task: ${cancelled.result ? `status ${JSON.stringify(cancelled.result.status)}` : cancelled.described}`);
  for (const [what, answer] of [['cancelling it again', again], ['cancelling a completed task', finished], ['tasks/get for an unknown task', unknown]] as const) {
    if (answer.error?.code !== INVALID_PARAMS) problems.push(`${what}: ${answer.error ? `error ${JSON.stringify(answer.error.code)}` : answer.result ? 'a result' : answer.described}, not ${INVALID_PARAMS}`);
  }
  problems.push(...(await cancelledByNotification(t, Object.values(started))));
  // The task's progress, under the token of the call that started it, after that call was answered; in order, and no more than was sent.
  const ofTask = (e: { json?: unknown }) => ((e.json as { method?: unknown; params?: { progressToken?: unknown } } | undefined)?.method === 'notifications/progress' && (e.json as { params: { progressToken?: unknown } }).params.progressToken === token);
  let progressJudged = false;
  if (stream) {
    await ask(client, 'tasks/result', { taskId: progressing.taskId }, t.cid());
    // What the upstream sent under the token it was given (a proxy may give it one of its own).
    const received = await t.upstream.receivedRequest(progressing.cid, 'tools/call');
    const upstreamToken = received && (bodyJson(received) as { params?: { _meta?: { progressToken?: unknown } } } | undefined)?.params?._meta?.progressToken;
    const sent = received?.sessionId && upstreamToken !== undefined
      ? (await t.upstream.records({ sessionId: received.sessionId, direction: 'out' })).filter((r) => {
          const m = bodyJson(r) as { method?: unknown; params?: { progressToken?: unknown } } | undefined;
          return m?.method === 'notifications/progress' && m.params?.progressToken === upstreamToken;
        }).length
      : 0;
    // Progress sent while the call was still unanswered may also have come on that call's own stream.
    const early = progressing.created.messages.map((json) => ({ json })).filter(ofTask);
    await waitUntil(async () => early.length + stream.events.filter(ofTask).length, (n) => n >= sent, 5000);
    const values = [...early, ...stream.events.filter(ofTask)].map((e) => (e.json as { params: { progress?: unknown } }).params.progress);
    // Judged only once the upstream is seen to have sent some.
    progressJudged = sent > 0;
    if (progressJudged && values.length !== sent) problems.push(`${values.length} of the ${sent} progress notifications the upstream sent for the task reached the client under its token ${token} (${early.length} on the call's own stream, the rest on the GET stream)`);
    else if (progressJudged && values.some((v, i) => i > 0 && !(typeof v === 'number' && typeof values[i - 1] === 'number' && v > (values[i - 1] as number)))) problems.push(`the task's progress arrived out of order: ${values.join(', ')}`);
    stream.close();
  }
  t.judgeProblems(RELAYED, problems, {
    seen,
    fail: 'tasks did not work through the proxy as they do at the upstream',
    pass: `${ids.length} tasks created with distinct ids; tasks/get, tasks/result (waiting, exact, tagged with the task), tasks/list and tasks/cancel answered as the upstream did; ${progressJudged ? "a task's progress reached the GET stream under its call's token, after that call was answered, in order" : 'the progress of a task was not judged (no GET stream, or no progress seen sent upstream)'}`,
    expected: 'CreateTaskResult for each task-augmented call; tasks/result after the end with the call\'s own result or error and related-task metadata; every task in tasks/list; cancel refused with -32602 for a terminal task',
  });
}, { timeoutMs: 45_000 });
