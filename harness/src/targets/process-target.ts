/**
 * Starts a proxy under test from its profile's command (own process group, output captured), waits
 * until it is ready, and stops it: SIGTERM to the whole group, SIGKILL if it lingers. Also attaches to
 * a proxy that is already running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { request } from 'undici';
import { processGroupAlive } from '../record/process-memory.ts';
import { HarnessError } from '../errors.ts';

const LOG_LIMIT = 64 * 1024;
const POLL_MS = 50;
const STOP_GRACE_MS = 5_000;

/** Keeps the last LOG_LIMIT characters of a stream. */
export class LogTail {
  private text = '';
  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > LOG_LIMIT) this.text = this.text.slice(-LOG_LIMIT);
  }
  toString(): string {
    return this.text;
  }
  tail(lines = 20): string {
    return this.text.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

export interface StartedProcess {
  pid: number | undefined;
  stdout: LogTail;
  stderr: LogTail;
  stop(): Promise<void>;
  /** Sends SIGTERM to the group and resolves when the process has exited, however long it takes (stop() still bounds it). */
  terminate(): Promise<void>;
  /** Sends SIGKILL to the group, as a crash, and resolves once every member is gone. */
  kill(): Promise<void>;
}

export interface ReadyOptions {
  url: string;
  readyUrl?: string;
  timeoutMs: number;
  /** Why the target can no longer become ready (it exited), for a target that is not a child process. */
  gone?: () => string | undefined;
}

/** Every process group started and not yet stopped, by its signalling function. */
const live = new Set<(signal: NodeJS.Signals) => void>();
/** Targets that take a request to stop (containers): awaited, for a bounded time, before the harness exits on a signal. */
const liveAsync = new Set<() => Promise<void>>();
let signalsHandled = false;
const ASYNC_STOP_MS = 10_000;

/** Registers a target that stops asynchronously; the returned function unregisters it. */
export function onStopSignal(stop: () => Promise<void>): () => void {
  stopTargetsOnSignal();
  liveAsync.add(stop);
  return () => liveAsync.delete(stop);
}

/**
 * The harness itself told to stop (SIGTERM, SIGINT: a CI job cancelled, a test's timeout, Ctrl-C):
 * the targets and mocks it started go with it, rather than living on as orphans.
 */
export function stopTargetsOnSignal(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    process.once(signal, () => {
      for (const signalGroup of live) signalGroup('SIGKILL');
      const pending = [...liveAsync].map((stop) => stop().catch(() => undefined));
      const bound = new Promise((resolve) => setTimeout(resolve, ASYNC_STOP_MS).unref());
      void Promise.race([Promise.all(pending), bound]).finally(() => process.exit(code));
    });
  }
  // However the process ends (a test worker closed by its runner, an uncaught error), nothing it started lives on.
  process.once('exit', () => {
    for (const signalGroup of live) signalGroup('SIGKILL');
  });
}

export function startProcess(command: string, cwd: string, env: Record<string, string>): { child: ChildProcess; started: StartedProcess } {
  const stdout = new LogTail();
  const stderr = new LogTail();
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', command], { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    throw new HarnessError('HARNESS_ERR_TARGET_START', `cannot start the target command: ${(cause as Error).message}`, { cause });
  }
  child.stdout!.setEncoding('utf8').on('data', (c: string) => stdout.append(c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.append(c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => stderr.append(`\n[proxyspec] spawn error: ${err.message}\n`));

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  live.add(signalGroup);
  const stop = async () => {
    live.delete(signalGroup);
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    // Whatever the group's other members still are, they go too.
    signalGroup('SIGKILL');
  };
  // The shell that runs the command may die of the signal before the proxy does: done is when the whole group is gone.
  const terminate = async () => {
    signalGroup('SIGTERM');
    await exited;
    while (await processGroupAlive(child.pid!)) await new Promise((resolve) => setTimeout(resolve, 25));
  };
  const kill = async () => {
    signalGroup('SIGKILL');
    await exited;
    while (await processGroupAlive(child.pid!)) await new Promise((resolve) => setTimeout(resolve, 25));
  };
  return { child, started: { pid: child.pid, stdout, stderr, stop, terminate, kill } };
}

/** Resolves when the target answers; throws a setup error when it exits first or time runs out. */
export async function waitReady(options: ReadyOptions, child?: ChildProcess, stderr?: LogTail): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const target = new URL(options.url);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new HarnessError(
        'HARNESS_ERR_TARGET_EXITED',
        `the target exited before it was ready (${child.exitCode !== null ? `exit code ${child.exitCode}` : child.signalCode}). Last lines of its stderr:\n${stderr?.tail() || '(nothing)'}`,
      );
    }
    const gone = options.gone?.();
    if (gone) throw new HarnessError('HARNESS_ERR_TARGET_EXITED', `the target exited before it was ready (${gone}). Last lines of its output:\n${stderr?.tail() || '(nothing)'}`);
    if (options.readyUrl ? await answers(options.readyUrl) : await acceptsTcp(target.hostname, port)) return;
    if (Date.now() > deadline) {
      throw new HarnessError(
        'HARNESS_ERR_TARGET_NOT_READY',
        `the target did not ${options.readyUrl ? `answer ${options.readyUrl}` : `accept connections on ${target.host}`} within ${options.timeoutMs} ms.${stderr ? ` Last lines of its stderr:\n${stderr.tail() || '(nothing)'}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
    await res.body.dump();
    return true;
  } catch {
    return false;
  }
}
