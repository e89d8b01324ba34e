/**
 * proxyspec as a user gets it: `npm pack`, the tarball installed with production dependencies only
 * into an empty folder, and the CLI run from there, with no repository around it. Then the same
 * installed package on the current Node releases (22 and 24, whose binaries come from the npm
 * registry as node-<platform>-<arch>), so that a break on a Node that users run shows here first.
 * `npm run test:package`; .ci/run runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT } from './cli-helpers.ts';

const run = promisify(execFile);
const NODES = ['22', '24'];

let scratch: string;
let app: string;
let bin: string;
/** What was seen of dist/ while `npm pack` rebuilt it: how often a new build was being written, and how often the old one was gone meanwhile. */
const rebuild = { writing: 0, missing: 0 };

/**
 * Watches dist/ until `done` is settled. dist/BUILT is looked at before the folder is listed: a
 * build half-written (dist.new-*) with no old one moved aside (dist.old-*, the moment of the swap)
 * and no dist/BUILT before it is a build that left nothing whole to load.
 */
async function watchRebuild(done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.finally(() => (settled = true)).catch(() => undefined);
  while (!settled) {
    const built = await stat(join(ROOT, 'dist/BUILT')).then(() => true, () => false);
    const entries = await readdir(ROOT);
    if (entries.some((e) => e.startsWith('dist.new-')) && !entries.some((e) => e.startsWith('dist.old-'))) {
      rebuild.writing++;
      if (!built) rebuild.missing++;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs the installed CLI with a given node binary; never throws, so a failure shows what it printed. */
async function proxyspec(node: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(node, [bin, ...args], { cwd: app, timeout: 240_000, env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 99, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the packed package', () => {
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'proxyspec-package-'));
    // npm pack rebuilds dist/ (prepack), which a run beside it may be loading.
    const packing = run('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: ROOT });
    await watchRebuild(packing);
    const { stdout } = await packing;
    const tarball = join(scratch, stdout.trim().split('\n').at(-1)!);
    app = join(scratch, 'app');
    await run('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'proxyspec-user', version: '1.0.0', private: true }));
    await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', tarball], { cwd: app, timeout: 300_000 });
    bin = join(app, 'node_modules/proxyspec/bin/proxyspec.js');
  }, 360_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('a rebuild leaves the previous build whole until the new one is: a run beside `npm pack` never loads half a dist/', () => {
    expect(rebuild.writing).toBeGreaterThan(0);
    expect(rebuild.missing).toBe(0);
  });

  test('holds what a user needs and nothing of the project\'s own tests', async () => {
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: app });
    // No compiler at run time: the package is JavaScript, compiled when it was packed.
    expect(stdout).not.toMatch(/node_modules\/(msw|playwright-core|supergateway|typescript|tsx)$/m);
    const installed = join(app, 'node_modules/proxyspec');
    for (const file of ['bin/proxyspec.js', 'dist/BUILT', 'dist/harness/src/cli/main.js', 'dist/suites/transparency/ids.test.js', 'catalogue/requirements/2026-07-28.json', 'catalogue/schemas/2026-07-28.json', 'proxy/configs/reference-http.yaml', 'reports/report.schema.json', 'examples/targets/reference-image.yaml', 'scripts/build-image.mjs']) {
      await expect(readFile(join(installed, file)).then(() => file)).resolves.toBe(file);
    }
    const { stdout: typescript } = await run('find', [installed, '-name', '*.ts', '-not', '-path', '*/node_modules/*']);
    expect(typescript.trim()).toBe('');
    await expect(readFile(join(installed, 'harness/test/cli.test.ts'))).rejects.toThrow();
  });

  test('runs `proxyspec run --target direct` and `--target reference --require-level 2` from the install', async () => {
    const direct = await proxyspec(process.execPath, ['run', '--target', 'direct', '--out', join(scratch, 'direct')]);
    expect(direct.code, direct.stderr.slice(-2000)).toBe(0);
    expect(direct.stdout).toMatch(/Achieved level: L1/);
    const reference = await proxyspec(process.execPath, ['run', '--target', 'reference', '--require-level', '2', '--out', join(scratch, 'reference')]);
    expect(reference.code, reference.stdout.slice(-3000) + reference.stderr.slice(-2000)).toBe(0);
    expect(reference.stdout).toMatch(/Achieved level: L3/);
  }, 300_000);

  test.each(NODES)('the quick start on Node %s: the installed package gates the reference proxy on L2', async (major) => {
    const nodes = join(scratch, `node${major}`);
    await run('mkdir', ['-p', nodes]);
    const pkg = `node-${process.platform}-${process.arch}`;
    await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', nodes, `${pkg}@${major}`], { timeout: 300_000 });
    const node = join(nodes, 'node_modules', pkg, 'bin/node');
    const { stdout: version } = await run(node, ['--version']);
    expect(version.trim()).toMatch(new RegExp(`^v${major}\\.`));
    const reference = await proxyspec(node, ['run', '--target', 'reference', '--require-level', '2', '--out', join(scratch, `reference-${major}`)]);
    expect(reference.code, reference.stdout.slice(-3000) + reference.stderr.slice(-2000)).toBe(0);
    expect(reference.stdout).toMatch(/Achieved level: L3/);
  }, 400_000);
});
