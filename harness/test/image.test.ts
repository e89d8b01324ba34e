/**
 * Image targets for real: the reference proxy built as an image (`npm run image`) and run through
 * testcontainers on the engine DOCKER_HOST names (Podman's API service here: scripts/start-podman.sh).
 * It must reach what `--target reference` reaches, leave no container behind, and put the
 * container's output in the report. `npm run test:image`; it needs an engine, which .ci/run starts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cli, runTarget } from './cli-helpers.ts';

const run = promisify(execFile);
const PROFILE = 'examples/targets/reference-image.yaml';

/** Containers the harness labelled as targets and left behind. */
async function leftovers(): Promise<string> {
  const { stdout } = await run('podman', ['ps', '--all', '--filter', 'label=dev.proxyspec.target', '--format', '{{.ID}} {{.Status}}']);
  return stdout.trim();
}

describe('an image target', () => {
  beforeAll(async () => {
    await run(process.execPath, ['scripts/build-image.mjs'], { cwd: ROOT });
  }, 180_000);

  test('the reference proxy\'s image passes every Level 1 and Level 2 check, as --target reference does, and is removed afterwards', async () => {
    const { code, report, stderr } = await runTarget(PROFILE, ['--require-level', '2'], 400_000);
    const notPassed = report.checks.filter((c) => c.verdict !== 'pass' && c.verdict !== 'n/a').map((c) => `${c.id}: ${c.verdict} ${c.message}`);
    expect(notPassed, stderr.slice(-1000)).toEqual([]);
    expect(code).toBe(0);
    expect(report.level).toBe(3);
    // What the proxy printed inside its container is in the report, like a command's output.
    expect(report.target.logs.stdout).toContain('Server listening at http://127.0.0.1:');
    expect(await leftovers()).toBe('');
  }, 420_000);

  test('an image that does not exist is a setup error (exit 3) that names it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proxyspec-image-'));
    const profile = join(dir, 'missing.yaml');
    await writeFile(profile, (await readFile(join(ROOT, PROFILE), 'utf8')).replace('proxyspec-reference:local', 'proxyspec-no-such-image:local'));
    const result = await cli(['run', '--target', profile, '--out', join(dir, 'out')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('proxyspec-no-such-image:local');
    expect(await leftovers()).toBe('');
  }, 60_000);
});
