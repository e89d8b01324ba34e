/** The report writers: schema validity, the published JSON Schema, JUnit and Markdown mapping. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ReportSchema, reportJsonSchema, toJson, toJunit, toMarkdown, type Report } from '../src/index.ts';

function report(verdicts: Array<[string, Report['checks'][number]['verdict']]>): Report {
  return {
    schemaVersion: 1,
    harness: { name: 'proxyspec', version: '0.0.0' },
    startedAt: new Date(0).toISOString(),
    durationMs: 1234,
    spec: '2025-11-25',
    target: { name: 't', kind: 'profile', url: 'http://127.0.0.1:1/mcp', upstream: 'http', features: [], logs: { stdout: '', stderr: '' } },
    selection: { suites: [], only: [], exclude: [] },
    levels: [
      { level: 1, name: 'Basic', state: 'failure', missingFeatures: [], reason: '1 MUST check failed', counts: {} },
      { level: 2, name: 'Production', state: 'untested', missingFeatures: ['auth'], reason: 'none yet', counts: {} },
      { level: 3, name: 'Enterprise', state: 'untested', missingFeatures: [], reason: 'none yet', counts: {} },
    ],
    level: 0,
    gate: { passed: true, reasons: [] },
    summary: { pass: 0, fail: 0, warn: 0, 'n/a': 0, skipped: 0, blocked: 0, error: 0 },
    checks: verdicts.map(([id, verdict]) => ({
      id,
      title: `title of ${id}`,
      suite: id.split('/')[0],
      level: 1,
      strength: 'MUST',
      revisions: ['2025-11-25'],
      dependsOn: [],
      requirements: ['r'],
      verdict,
      message: `message <${verdict}> & more`,
      expected: 'x',
      observed: 'y',
      specRefs: [{ requirement: 'r', revision: '2025-11-25', url: 'https://modelcontextprotocol.io/specification/2025-11-25/basic#r', quote: 'It MUST.', strength: 'MUST' }],
      durationMs: 5,
      evidence: [],
    })),
    machine: { node: 'v20', platform: 'linux x64', cpus: 2, cpuModel: 'cpu' },
  };
}

describe('reports', () => {
  test('the published JSON Schema is the one the model generates', () => {
    const published = JSON.parse(readFileSync(new URL('../report.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(reportJsonSchema())));
  });

  test('report.json refuses a report that breaks the schema', () => {
    const bad = { ...report([['a/b', 'pass']]), level: 7 };
    expect(() => toJson(bad)).toThrow();
    expect(ReportSchema.parse(JSON.parse(toJson(report([['a/b', 'pass']]))))).toBeTruthy();
  });

  test('JUnit: fail → failure, error → error, n/a, skipped and blocked → skipped; names are check ids', () => {
    const xml = toJunit(report([['s/pass', 'pass'], ['s/fail', 'fail'], ['s/error', 'error'], ['s/na', 'n/a'], ['s/skip', 'skipped'], ['s/blocked', 'blocked'], ['s/warn', 'warn']]));
    expect(xml).toMatch(/name="s\/fail"[^>]*>\s*<failure/);
    expect(xml).toMatch(/name="s\/error"[^>]*>\s*<error/);
    for (const id of ['na', 'skip', 'blocked']) expect(xml).toMatch(new RegExp(`name="s/${id}"[^>]*>\\s*<skipped`));
    expect(xml).toMatch(/name="s\/pass"[^>]*><\/testcase>/);
    expect(xml).toContain('tests="7" failures="1" errors="1" skipped="3"');
    expect(xml).toContain('&lt;fail&gt; &amp; more');
  });

  test('summary.md lists what did not pass with expected, observed and the spec quote', () => {
    const md = toMarkdown(report([['s/pass', 'pass'], ['s/fail', 'fail']]));
    expect(md).toMatch(/## Not passed[\s\S]*`s\/fail`/);
    expect(md).not.toMatch(/## Not passed[\s\S]*### .*`s\/pass`/);
    expect(md).toContain('expected: x');
    expect(md).toContain('observed: y');
    expect(md).toContain('“It MUST.”');
    expect(md).toContain('| L1 Basic | failure |');
  });
});
