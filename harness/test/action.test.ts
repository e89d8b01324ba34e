/**
 * The composite action (action.yml) outside GitHub: its "Run proxyspec" step's script, taken from
 * the file, runs from a workspace of its own with the variables a runner sets, and must write the
 * outputs and the job summary and pass the gate's exit code on.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { brokenProfile, ROOT } from './cli-helpers.ts';

interface Step {
  id?: string;
  run?: string;
  env?: Record<string, string>;
}

interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

test('the action runs proxyspec from the workspace, writes level, passed, report and the summary, and fails the step below the level', async () => {
  const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as Action;
  expect(action.runs.using).toBe('composite');
  const step = action.runs.steps.find((s) => s.id === 'run')!;
  // Every output the action declares comes from that step, and the step's env covers every input it reads.
  for (const [name, { value }] of Object.entries(action.outputs)) expect(value, name).toBe(`\${{ steps.run.outputs.${name} }}`);
  for (const name of step.run!.match(/INPUT_[A-Z]+/g) ?? []) expect(Object.keys(step.env ?? {}), name).toContain(name);

  const dir = await mkdtemp(join(tmpdir(), 'proxyspec-action-'));
  const script = join(dir, 'run-step.sh');
  await writeFile(script, step.run!);
  const env = {
    ...process.env,
    CI: 'true',
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_OUTPUT: join(dir, 'outputs'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    INPUT_TARGET: await brokenProfile('stringify-ids'),
    INPUT_LEVEL: '1',
    INPUT_SPEC: action.inputs.spec.default!,
    INPUT_SUITE: 'transparency',
    INPUT_BASELINE: '',
    INPUT_OUT: 'proxyspec-reports',
  };
  await writeFile(env.GITHUB_OUTPUT, '');
  await writeFile(env.GITHUB_STEP_SUMMARY, '');
  const code = await new Promise<number>((resolve) => {
    execFile('bash', ['-e', script], { cwd: dir, env, timeout: 120_000 }, (err) => resolve(err ? Number((err as { code?: number }).code ?? 99) : 0));
  });
  // A proxy that turns ids into strings fails L1: the step fails, with the outputs written first.
  expect(code).toBe(1);
  expect((await readFile(env.GITHUB_OUTPUT, 'utf8')).trim().split('\n')).toEqual(['level=0', 'passed=false', 'report=proxyspec-reports/report.json']);
  expect(await readFile(env.GITHUB_STEP_SUMMARY, 'utf8')).toMatch(/Gate \(require L1\): \*\*failed\*\*/);
  const report = JSON.parse(await readFile(join(dir, 'proxyspec-reports/report.json'), 'utf8')) as { target: { name: string } };
  expect(report.target.name).toBe('broken-stringify-ids');
});
