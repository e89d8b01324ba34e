/**
 * The peers of a proxy under test, started for one run: the recorder and its control channel, and the
 * primary mock upstream over Streamable HTTP. Its placeholders wire a target to them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { shellQuote, type PlaceholderValues } from '../targets/placeholders.ts';
// The harness starts the mocks; the mocks import only the wire types.
import { Recorder, startControlServer, startHttpUpstream, type ControlServer, type HttpUpstream, type UpstreamEra } from '../../../mocks/upstream/index.ts';
import { PROXYSPEC_BIN } from '../paths.ts';

export interface MockEnvironment {
  recorder: Recorder;
  control: ControlServer;
  upstream: HttpUpstream;
  /** Backup upstreams, in `{upstream_urls}` after the primary (none unless asked for). */
  backups: HttpUpstream[];
  workdir: string;
  placeholders(port: number): PlaceholderValues;
  close(): Promise<void>;
}

/** The shell command that runs the mock upstream over stdio, reporting to this run's control channel. */
export function stdioUpstreamCommand(controlUrl: string): string {
  return `${shellQuote(process.execPath)} ${shellQuote(PROXYSPEC_BIN)} mock upstream --stdio --control ${shellQuote(controlUrl)}`;
}

/** `era` narrows the primary upstream to one era (for a version-bridging proxy); default both. */
export async function startMockEnvironment(options: { backups?: number; era?: UpstreamEra } = {}): Promise<MockEnvironment> {
  const recorder = new Recorder();
  let control: ControlServer | undefined;
  const started: HttpUpstream[] = [];
  try {
    control = await startControlServer(recorder);
    const upstream = await startHttpUpstream({ recorder, name: 'primary', era: options.era });
    started.push(upstream);
    const backups: HttpUpstream[] = [];
    for (let i = 1; i <= (options.backups ?? 0); i++) {
      const backup = await startHttpUpstream({ recorder, name: `backup-${i}` });
      started.push(backup);
      backups.push(backup);
    }
    const workdir = await mkdtemp(join(tmpdir(), 'proxyspec-'));
    const controlUrl = control.url;
    return {
      recorder,
      control,
      upstream,
      backups,
      workdir,
      placeholders: (port) => ({
        port: String(port),
        upstream_url: upstream.url,
        upstream_url_encoded: encodeURIComponent(upstream.url),
        upstream_urls: [upstream, ...backups].map((u) => u.url).join(','),
        upstream_backup_urls: backups.map((u) => u.url).join(','),
        upstream_command: stdioUpstreamCommand(controlUrl),
        workdir,
      }),
      async close() {
        await Promise.all(started.map((u) => u.close()));
        await control!.close();
        await rm(workdir, { recursive: true, force: true });
      },
    };
  } catch (cause) {
    await Promise.all(started.map((u) => u.close()));
    await control?.close();
    throw new HarnessError('HARNESS_ERR_MOCK_START', `a mock could not start: ${(cause as Error).message}`, { cause });
  }
}
