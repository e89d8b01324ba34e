/**
 * A task belongs to the session (the authorization context) that created it: through the proxy,
 * another client, another user when the proxy authenticates, can neither read, wait for, cancel nor
 * list it (2025-11-25).
 */
import { describeCall, issueToken, scenario, type ScenarioContext } from '../../harness/src/index.ts';
import { ask, startTask, withoutTasks, type Answer, type Json } from '../transparency/tasks-steps.ts';

const ISOLATED = 'session/tasks-isolated';

scenario("A proxy MUST NOT let one client read, wait for, cancel or list another client's tasks", [ISOLATED], async (t: ScenarioContext) => {
  const ownerCid = t.cid();
  const owner = t.client();
  const opened = await owner.initialize({ cid: ownerCid });
  if (!opened.response || !('result' in opened.response)) return t.block(ISOLATED, 'initialize failed through the proxy', describeCall(opened));
  const without = await withoutTasks(t, ownerCid, opened.response.result as Json);
  if (without) return t.untested(ISOLATED, without);
  // The other client is another user when the proxy authenticates, else another session.
  const other = t.ctx.target.features.includes('auth') ? t.client({ headers: { ...t.ctx.target.headers, authorization: `Bearer ${await issueToken(t.auth, { client: 'other' })}` } }) : t.client();
  const otherOpened = await other.initialize({ cid: t.cid() });
  if (!otherOpened.response || !('result' in otherOpened.response)) return t.block(ISOLATED, 'the second client could not open a session', describeCall(otherOpened));

  const running = await startTask(owner, 'slow', { ms: 4000 }, t.cid());
  const done = await startTask(owner, 'echo', { secret: `owner-only-${ownerCid}` }, t.cid());
  if (!running.taskId || !done.taskId) return t.block(ISOLATED, 'the owner could not start its tasks through the proxy (transparency/tasks-relayed judges that)', `${running.created.described}; ${done.created.described}`);
  await ask(owner, 'tasks/result', { taskId: done.taskId }, t.cid());

  const problems: string[] = [];
  const reached = (a: Answer) => a.result !== undefined;
  const read = await ask(other, 'tasks/get', { taskId: running.taskId }, t.cid());
  if (reached(read)) problems.push(`tasks/get gave the other client the owner's task (status ${JSON.stringify(read.result!.status)})`);
  const waited = await ask(other, 'tasks/result', { taskId: done.taskId }, t.cid());
  if (reached(waited) || JSON.stringify(waited).includes(`owner-only-${ownerCid}`)) problems.push("tasks/result gave the other client the owner's result");
  const cancel = await ask(other, 'tasks/cancel', { taskId: running.taskId }, t.cid());
  if (reached(cancel)) problems.push(`tasks/cancel let the other client cancel the owner's task (status ${JSON.stringify(cancel.result!.status)})`);
  const listed = await ask(other, 'tasks/list', {}, t.cid());
  const leaked = ((listed.result?.tasks ?? []) as Json[]).filter((task) => task.taskId === running.taskId || task.taskId === done.taskId);
  if (leaked.length) problems.push(`tasks/list showed the other client ${leaked.length} of the owner's tasks`);
  // The owner still has its task, running: the refusals above did nothing to it.
  const still = await ask(owner, 'tasks/get', { taskId: running.taskId }, t.cid());
  if (still.result?.status !== 'working') problems.push(`the owner's task is now ${still.result ? JSON.stringify(still.result.status) : `unreachable (${still.described})`}, not working`);
  const refused = [read, waited, cancel].filter((a) => a.error !== undefined).length;
  if (!listed.result && problems.length === 0) return t.block(ISOLATED, "the other client's tasks/list got no answer, so what it lists is not known", listed.described);
  t.judgeProblems(ISOLATED, problems, {
    seen: { 'requests for the owner\'s tasks': 3, "the other client's task lists": listed.result ? 1 : 0 },
    fail: "one client reached another client's tasks through the proxy",
    pass: `the other client's tasks/get, tasks/result and tasks/cancel for the owner's tasks were refused (${refused} of 3 with an error), its tasks/list showed none of them, and the owner's task ran on`,
    expected: "errors for tasks/get, tasks/result and tasks/cancel on another client's task, and none of its tasks in tasks/list",
  });
}, { timeoutMs: 45_000 });
