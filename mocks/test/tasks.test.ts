/** The mock upstream's tasks: accepted at once, waited for by tasks/result, cancelled for good, unknown ids refused. */
import { describe, expect, test } from 'vitest';
import { RELATED_TASK_META_KEY, TaskProtocolError, TaskStore, type TaskOutcome } from '../upstream/tasks.ts';

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('mock upstream tasks', () => {
  test('a task is working until its request ends; tasks/result waits for that end and tags the result with the task', async () => {
    const store = new TaskStore();
    const { task } = store.create(undefined, () => later<TaskOutcome>(50, { result: { content: [], _meta: { kept: 1 } } }));
    expect(task).toMatchObject({ status: 'working', ttl: 60_000 });
    expect(typeof task.taskId).toBe('string');
    const outcome = await store.result(task.taskId);
    expect(store.get(task.taskId).status).toBe('completed');
    expect(outcome).toEqual({ result: { content: [], _meta: { kept: 1, [RELATED_TASK_META_KEY]: { taskId: task.taskId } } } });
  });

  test("a request that ends in a JSON-RPC error fails its task, and tasks/result gives that error", async () => {
    const store = new TaskStore();
    const { task } = store.create(1000, async () => ({ error: { code: -31042, message: 'no' } }));
    expect(task.ttl).toBe(1000);
    expect(await store.result(task.taskId)).toEqual({ error: { code: -31042, message: 'no' } });
    expect(store.get(task.taskId)).toMatchObject({ status: 'failed', statusMessage: 'no' });
  });

  test('a cancelled task stays cancelled when its request ends; cancelling a terminal task, an unknown id or a cursor is refused with -32602', async () => {
    const store = new TaskStore();
    const { task } = store.create(undefined, () => later<TaskOutcome>(30, { result: { content: [] } }));
    expect(store.cancel(task.taskId).status).toBe('cancelled');
    await later(60, null);
    expect(store.get(task.taskId).status).toBe('cancelled');
    for (const refused of [() => store.cancel(task.taskId), () => store.get('unknown'), () => store.list('a-cursor')]) {
      expect(refused).toThrow(TaskProtocolError);
      try {
        refused();
      } catch (err) {
        expect((err as TaskProtocolError).code).toBe(-32602);
      }
    }
    expect(store.list(undefined).tasks.map((t) => t.taskId)).toEqual([task.taskId]);
  });

  test('tasks/list comes two tasks a page, behind cursors only the store reads', () => {
    const store = new TaskStore();
    const ids = [1, 2, 3, 4, 5].map(() => store.create(undefined, () => later<TaskOutcome>(1, { result: { content: [] } })).task.taskId);
    const seen: string[] = [];
    let page = store.list(undefined);
    seen.push(...page.tasks.map((t) => t.taskId));
    while (page.nextCursor !== undefined) {
      expect(page.tasks).toHaveLength(2);
      page = store.list(page.nextCursor);
      seen.push(...page.tasks.map((t) => t.taskId));
    }
    expect(seen).toEqual(ids);
    const first = store.list(undefined).nextCursor!;
    expect(() => store.list(`${first}x`)).toThrow(TaskProtocolError);
    expect(() => store.list(Buffer.from('tasks-after-9').toString('base64url'))).toThrow(TaskProtocolError);
  });
});
