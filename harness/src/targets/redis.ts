/**
 * A Redis of the run's own (`{redis_url}`): `redis-server` from the system (Debian's package), on a
 * free loopback port, in a temporary folder, persisting nothing. Stopped with the target that uses it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { freePort } from './free-port.ts';
import { startProcess } from './process-target.ts';
import { shellQuote } from './placeholders.ts';

export interface StartedRedis {
  url: string;
  /** Process group of the server (for memory figures). */
  pid: number;
  stop(): Promise<void>;
}

const READY_MS = 10_000;

/** Whether Redis answers PING on the port. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let seen = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n')) done(seen.startsWith('+PONG'));
    });
  });
}

export async function startRedis(binary = process.env.PROXYSPEC_REDIS_SERVER ?? 'redis-server'): Promise<StartedRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'proxyspec-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', "''", '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'];
  const { child, started } = startProcess(`exec ${shellQuote(binary)} ${args.join(' ')}`, dir, {});
  const stop = async () => {
    await started.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_MS;
  while (!(await pong(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const said = started.stderr.toString().trim() || started.stdout.toString().trim();
      await stop();
      const missing = /not found|No such file/i.test(said);
      throw new HarnessError(
        'HARNESS_ERR_NO_REDIS',
        missing
          ? `{redis_url} needs redis-server, which is not installed here (${binary}): install it (Debian: apt-get install -y redis-server), or set PROXYSPEC_REDIS_SERVER to its path`
          : `redis-server did not answer PING on 127.0.0.1:${port} within ${READY_MS / 1000} s${said ? `: ${said.slice(-300)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, stop };
}
