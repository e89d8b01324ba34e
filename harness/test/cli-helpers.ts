/** Runs the proxyspec CLI as a user would, in a child process, and reads what it wrote. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../reports/src/index.ts';
import { brokenProxyProfile, type BrokenProxyName, type Carrier } from '../../mocks/broken-proxies/profiles.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin/proxyspec.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, timeout: options.timeoutMs ?? 90_000, env: { ...process.env, CI: 'true', ...options.env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function runTarget(
  target: string,
  extra: string[] = [],
  timeoutMs = 150_000,
): Promise<CliResult & { report: Report; summary: string; outDir: string }> {
  const outDir = await mkdtemp(join(tmpdir(), 'proxyspec-selftest-'));
  const result = await cli(['run', '--target', target, '--out', outDir, ...extra], { timeoutMs });
  const written = await readFile(join(outDir, 'report.json'), 'utf8').catch(() => undefined);
  if (written === undefined) {
    // Say why, or a killed or crashed run reads as a missing file and nothing more.
    const how = result.code === 99 ? `was stopped after ${timeoutMs} ms` : `exited ${result.code}`;
    throw new Error(`proxyspec run --target ${target} ${how} without writing report.json; stderr ends:\n${result.stderr.slice(-2000)}`);
  }
  const report = JSON.parse(written) as Report;
  const summary = await readFile(join(outDir, 'summary.md'), 'utf8');
  return { ...result, report, summary, outDir };
}

export function verdicts(report: Report, wanted: string[]): string[] {
  return report.checks.filter((c) => wanted.includes(c.verdict)).map((c) => c.id).sort();
}

let profilesDir: Promise<string> | undefined;
const profileFiles = new Map<string, Promise<string>>();

/**
 * The profile file of one broken proxy of the defect matrix (mocks/broken-proxies/profiles.ts), in
 * its own carrier or the one given, written once per test process as JSON into a temporary folder,
 * with absolute paths. Runs of the same defect share the file, which is never rewritten while another
 * run's CLI may be reading it.
 */
export function brokenProfile(name: BrokenProxyName, carrier?: Carrier): Promise<string> {
  const key = carrier ? `${name}@${carrier}` : name;
  let file = profileFiles.get(key);
  if (!file) {
    file = (async () => {
      profilesDir ??= mkdtemp(join(tmpdir(), 'proxyspec-broken-'));
      const path = join(await profilesDir, `${key}.json`);
      const profile = brokenProxyProfile(name, { node: process.execPath, bin: BIN, configs: join(ROOT, 'proxy/configs') }, carrier);
      await writeFile(path, `${JSON.stringify(profile, null, 2)}\n`);
      return path;
    })();
    profileFiles.set(key, file);
  }
  return file;
}
