#!/usr/bin/env node
// Runs the suites against one target N times in a row (default: reference, 20) and reports every
// check whose verdict changed between runs. Exit 1 when any did: a check must not flip.
// Usage: node scripts/flake-check.mjs [--target reference] [--runs 20] [--spec 2025-11-25]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { target: { type: 'string', default: 'reference' }, runs: { type: 'string', default: '20' }, spec: { type: 'string', default: '2025-11-25' } } });
const bin = new URL('../bin/proxyspec.js', import.meta.url).pathname;
const runs = Number(values.runs);
const seen = new Map();
const started = Date.now();
for (let i = 1; i <= runs; i++) {
  const out = mkdtempSync(join(tmpdir(), 'proxyspec-flake-'));
  try {
    execFileSync(process.execPath, [bin, 'run', '--target', values.target, '--spec', values.spec, '--out', out], { stdio: 'ignore' });
  } catch {
    // Exit 1 is a verdict, not a crash: the report says why.
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  for (const c of report.checks) {
    if (!seen.has(c.id)) seen.set(c.id, new Map());
    const counts = seen.get(c.id);
    counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  }
  process.stdout.write(`run ${i}/${runs}: level L${report.level}, ${report.summary.pass} pass, ${report.summary.fail} fail, ${report.summary.warn} warn, ${report.summary.error} error (${(report.durationMs / 1000).toFixed(1)} s)\n`);
}
const flipped = [...seen].filter(([, counts]) => counts.size > 1);
for (const [id, counts] of flipped) process.stdout.write(`FLIPPED ${id}: ${[...counts].map(([v, n]) => `${v}×${n}`).join(', ')}\n`);
process.stdout.write(`${flipped.length} of ${seen.size} checks changed verdict over ${runs} runs of ${values.target} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
process.exitCode = flipped.length ? 1 : 0;
