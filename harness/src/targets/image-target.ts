/**
 * A proxy under test shipped as a container image, run through testcontainers on whatever engine
 * speaks Docker's API (Docker, or Podman's `podman system service`). The container shares the
 * host's network: the mock upstream, the authorization server and the harness all listen on
 * loopback only, and so does the proxy inside, on the run's `{port}`. Its output (stdout and stderr
 * as one stream, as the engine interleaves them) goes into the report like a command's; it is
 * stopped and removed after the run, on failure, and when the harness is told to stop. The run's
 * `{workdir}` is mounted at the same path, so files the proxy writes there can be read.
 */
import type { Readable } from 'node:stream';
import { HarnessError } from '../errors.ts';
import { LogTail, onStopSignal, waitReady, type ReadyOptions } from './process-target.ts';

export interface ImageSpec {
  image: string;
  args: string[];
  env: Record<string, string>;
  /** The target's name, as a label on its container. */
  name: string;
  /** The run's `{workdir}`, mounted at the same path inside (an audit log written there is read from outside). */
  workdir?: string;
}

export interface StartedImage {
  id: string;
  /** The host's pid of the container's first process, where the engine says (for the memory checks). */
  pid?: number;
  logs: LogTail;
  stop(): Promise<void>;
  /** Stops the container with SIGTERM and resolves once it has exited (graceful-shutdown checks). */
  terminate(): Promise<void>;
  /** Stops it at once (SIGKILL), as a crash. */
  kill(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

const ENGINE_HELP =
  'Set DOCKER_HOST to the socket of an engine that speaks Docker\'s API. With Podman: ' +
  '`podman system service --time=0 unix:///run/podman/podman.sock &` then ' +
  '`export DOCKER_HOST=unix:///run/podman/podman.sock TESTCONTAINERS_RYUK_DISABLED=true` (README, "Testing a proxy image").';

/** Whether testcontainers gave up for want of an engine (as opposed to the image or the container failing). */
function noEngine(err: unknown): boolean {
  return /container runtime strategy|ECONNREFUSED|ENOENT.*\.sock|connect EACCES/i.test(String((err as Error)?.message ?? err));
}

export async function startImage(spec: ImageSpec, ready: ReadyOptions): Promise<StartedImage> {
  // Ryuk, testcontainers' reaper, is an image pulled from Docker Hub, which a machine without a
  // registry cannot reach: the harness removes its containers itself, so it is off unless asked for.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  const logs = new LogTail();
  let ended = false;
  let stream: Readable | undefined;
  const container = new GenericContainer(spec.image)
    .withNetworkMode('host')
    .withEnvironment(spec.env)
    .withCommand(spec.args)
    .withLabels({ 'dev.proxyspec.target': spec.name })
    .withBindMounts(spec.workdir ? [{ source: spec.workdir, target: spec.workdir, mode: 'rw' as const }] : [])
    .withStartupTimeout(ready.timeoutMs)
    .withLogConsumer((s) => {
      stream = s;
      s.on('data', (chunk: Buffer | string) => logs.append(chunk.toString()));
      // The engine ends the log stream when the container exits.
      s.once('end', () => (ended = true));
    });
  let started: Awaited<ReturnType<typeof container.start>>;
  try {
    started = await container.start();
  } catch (err) {
    if (noEngine(err)) throw new HarnessError('HARNESS_ERR_NO_ENGINE', `target ${spec.name} is the image ${spec.image}, and no container engine is reachable (${(err as Error).message}). ${ENGINE_HELP}`, { cause: err });
    throw new HarnessError('HARNESS_ERR_TARGET_IMAGE', `the image ${spec.image} did not start (is it built, or can the engine pull it? the reference proxy's is built by \`npm run image\`): ${(err as Error).message}${logs.tail() ? `\nLast lines of its output:\n${logs.tail()}` : ''}`, { cause: err });
  }
  let stopped: Promise<void> | undefined;
  const stop = (timeout = STOP_GRACE_MS) =>
    (stopped ??= started
      .stop({ timeout, remove: true, removeVolumes: true })
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => {
        unregister();
        stream?.destroy();
      }));
  const unregister = onStopSignal(() => stop(1000));
  try {
    await waitReady({ ...ready, gone: () => (ended ? 'the container exited' : undefined) }, undefined, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  let pid: number | undefined;
  try {
    const client = await getContainerRuntimeClient();
    const found = (await client.container.inspect(client.container.getById(started.getId()))).State.Pid;
    if (found > 0) pid = found;
  } catch {
    // An engine that does not say: the memory checks are untested, as for a target the harness attached to.
  }
  return {
    id: started.getId(),
    pid,
    logs,
    stop: () => stop(),
    terminate: () => stop(60_000),
    kill: () => stop(0),
  };
}
