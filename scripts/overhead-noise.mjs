#!/usr/bin/env node
// Whether performance/overhead decides only when it can: runs it N times (default 10) against the
// reference proxy and against two slowed copies of it (ref-slow-5ms, ref-slow-2ms), optionally while
// the suites load the machine (--busy: full `proxyspec run --target reference` runs, one after another). The
// reference must never fail, and the slowed copies never pass; `blocked` (too noisy to judge) is
// allowed to both. Prints each verdict and the tally; exit 1 on a wrong verdict.
// A measurement for the developers (minutes long), not part of npm test. Needs `npm run build`.
// Usage: node scripts/overhead-noise.mjs [--runs 10] [--busy] [--spec 2026-07-28]
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, busy: { type: 'boolean', default: false }, spec: { type: 'string', default: '2026-07-28' } } });
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/proxyspec.js');
const { brokenProxyProfile } = await import(join(root, 'dist/mocks/broken-proxies/profiles.js'));
const work = mkdtempSync(join(tmpdir(), 'proxyspec-overhead-'));
const paths = { node: process.execPath, bin, configs: join(root, 'proxy/configs') };
const targets = {
  reference: { spec: 'reference', mayPass: true },
  'ref-slow-5ms': { spec: join(work, 'ref-slow-5ms.json'), mayPass: false },
  'ref-slow-2ms': { spec: join(work, 'ref-slow-2ms.json'), mayPass: false },
};
for (const name of ['ref-slow-5ms', 'ref-slow-2ms']) writeFileSync(targets[name].spec, JSON.stringify(brokenProxyProfile(name, paths)));

// The load: whole runs of every suite against the reference proxy, one after another. A run stopped
// with SIGTERM stops the target it started (the CLI test proves it), so nothing is left running.
let load;
let stopping = false;
const startLoad = () => {
  load = spawn(process.execPath, [bin, 'run', '--target', 'reference', '--spec', '2025-11-25', '--out', join(work, `load-${Date.now()}`)], { cwd: root, stdio: 'ignore' });
  load.on('exit', () => !stopping && startLoad());
};
if (values.busy) startLoad();

const tally = new Map(Object.keys(targets).map((name) => [name, new Map()]));
const wrong = [];
try {
  for (let i = 1; i <= Number(values.runs); i++) {
    for (const [name, target] of Object.entries(targets)) {
      const out = join(work, `${name}-${i}`);
      await promisify(execFile)(process.execPath, [bin, 'run', '--target', target.spec, '--spec', values.spec, '--only', 'performance/overhead', '--out', out]).catch(() => undefined);
      const check = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).checks.find((c) => c.id === 'performance/overhead');
      const counts = tally.get(name);
      counts.set(check.verdict, (counts.get(check.verdict) ?? 0) + 1);
      const bad = target.mayPass ? check.verdict === 'fail' : check.verdict === 'pass';
      if (bad || !['pass', 'fail', 'blocked'].includes(check.verdict)) wrong.push(`${name}, run ${i}: ${check.verdict}: ${check.message}`);
      process.stdout.write(`run ${i} ${name}: ${check.verdict}: ${check.observed ?? check.message}\n`);
    }
  }
} finally {
  stopping = true;
  if (load && load.exitCode === null) {
    const exited = new Promise((resolve) => load.once('exit', resolve));
    load.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
}
for (const [name, counts] of tally) process.stdout.write(`${name}: ${[...counts].map(([v, n]) => `${v}×${n}`).join(', ')}\n`);
for (const line of wrong) process.stdout.write(`WRONG ${line}\n`);
process.stdout.write(`${wrong.length} wrong verdicts in ${values.runs} runs${values.busy ? ', next to the suites' : ''}\n`);
process.exitCode = wrong.length ? 1 : 0;
