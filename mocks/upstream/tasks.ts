/**
 * Tasks (2025-11-25) for one session of the mock upstream: a task-augmented tools/call is accepted
 * at once with a CreateTaskResult and runs on; tasks/get, tasks/result (which waits for the end),
 * tasks/list and tasks/cancel work on the tasks of this session only, so that a request for a task of
 * another session is refused as unknown: the binding a proxy must not undo by sending several
 * clients' requests to one session.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../wire/index.ts';

export const RELATED_TASK_META_KEY = 'io.modelcontextprotocol/related-task';
/** What the mock declares in its initialize result when the session's revision has tasks. */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } } as const;
/** The tools that may run as tasks, and how the mock marks them in tools/list. */
export const TASK_TOOLS: ReadonlySet<string> = new Set(['echo', 'error', 'slow', 'progress']);
export const TASK_SUPPORT = { taskSupport: 'optional' } as const;

const DEFAULT_TTL_MS = 60_000;
const MAX_TTL_MS = 10 * 60_000;
const POLL_INTERVAL_MS = 100;

type Status = 'working' | 'completed' | 'failed' | 'cancelled';

export interface TaskSnapshot {
  taskId: string;
  status: Status;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttl: number;
  pollInterval: number;
}

/** How the underlying request ended: its result, or its JSON-RPC error. */
export type TaskOutcome = { result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } };

interface Entry {
  task: TaskSnapshot;
  outcome?: TaskOutcome;
  ended: Promise<void>;
  end(): void;
}

/** A protocol error of a tasks/* request: the session answers it as a JSON-RPC error. */
export class TaskProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const terminal = (status: Status) => status !== 'working';

/** Tasks per tasks/list page: few, so that a session's tasks take more than one. */
const TASKS_PAGE = 2;

export class TaskStore {
  private readonly tasks = new Map<string, Entry>();

  /** Starts `run` as a task and returns the CreateTaskResult. `requestedTtl` is the request's task.ttl. */
  create(requestedTtl: unknown, run: () => Promise<TaskOutcome>): { task: TaskSnapshot } {
    const now = new Date().toISOString();
    const ttl = typeof requestedTtl === 'number' && Number.isInteger(requestedTtl) && requestedTtl > 0 ? Math.min(requestedTtl, MAX_TTL_MS) : DEFAULT_TTL_MS;
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const entry: Entry = { task: { taskId: randomUUID(), status: 'working', createdAt: now, lastUpdatedAt: now, ttl, pollInterval: POLL_INTERVAL_MS }, ended, end };
    this.tasks.set(entry.task.taskId, entry);
    setTimeout(() => this.tasks.delete(entry.task.taskId), ttl).unref();
    void run().then((outcome) => {
      // A cancelled task stays cancelled, whatever its request comes to.
      if (terminal(entry.task.status)) return;
      entry.outcome = outcome;
      this.update(entry, 'error' in outcome ? 'failed' : 'completed', 'error' in outcome ? outcome.error.message : undefined);
    });
    return { task: { ...entry.task } };
  }

  get(taskId: unknown): TaskSnapshot {
    return { ...this.entry(taskId).task };
  }

  /** Waits until the task ends, then gives what its request came to, tagged with the task. */
  async result(taskId: unknown): Promise<TaskOutcome> {
    const entry = this.entry(taskId);
    await entry.ended;
    if (entry.outcome && 'result' in entry.outcome) {
      const meta = { ...(entry.outcome.result._meta as Record<string, unknown> | undefined), [RELATED_TASK_META_KEY]: { taskId: entry.task.taskId } };
      return { result: { ...entry.outcome.result, _meta: meta } };
    }
    return entry.outcome ?? { error: { code: ErrorCode.InvalidRequest, message: `Task ${entry.task.taskId} was cancelled` } };
  }

  /** A page of this session's tasks, two at a time, behind a cursor only this store can read. */
  list(cursor: unknown): { tasks: TaskSnapshot[]; nextCursor?: string } {
    const all = [...this.tasks.values()].map((e) => ({ ...e.task }));
    let start = 0;
    if (cursor !== undefined) {
      const match = typeof cursor === 'string' ? /^tasks-after-(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('latin1')) : null;
      if (!match || Buffer.from(match[0]).toString('base64url') !== cursor || Number(match[1]) > all.length) throw new TaskProtocolError(ErrorCode.InvalidParams, `Invalid cursor: ${JSON.stringify(cursor)}`);
      start = Number(match[1]);
    }
    const end = start + TASKS_PAGE;
    return { tasks: all.slice(start, end), ...(end < all.length && { nextCursor: Buffer.from(`tasks-after-${end}`).toString('base64url') }) };
  }

  cancel(taskId: unknown): TaskSnapshot {
    const entry = this.entry(taskId);
    if (terminal(entry.task.status)) throw new TaskProtocolError(ErrorCode.InvalidParams, `Cannot cancel task ${entry.task.taskId}: it is already ${entry.task.status}`);
    this.update(entry, 'cancelled', 'Cancelled by the requestor');
    return { ...entry.task };
  }

  private entry(taskId: unknown): Entry {
    const entry = typeof taskId === 'string' ? this.tasks.get(taskId) : undefined;
    if (!entry) throw new TaskProtocolError(ErrorCode.InvalidParams, `Failed to retrieve task: Task not found (${JSON.stringify(taskId ?? null)})`);
    return entry;
  }

  private update(entry: Entry, status: Status, statusMessage?: string): void {
    entry.task = { ...entry.task, status, lastUpdatedAt: new Date().toISOString(), ...(statusMessage !== undefined && { statusMessage }) };
    if (terminal(status)) entry.end();
  }
}
