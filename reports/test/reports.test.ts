/** The report writers: schema validity, the published JSON Schema, JUnit and Markdown mapping. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PerfSchema, perfHtml, perfTerminal, perfJsonSchema, ReportSchema, reportJsonSchema, toHtml, toJson, toJunit, toMarkdown, toTerminal, type Perf, type Report } from '../src/index.ts';

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

/** A perf.json of a run on a test machine, with the given settings, targets and figures. */
function perfOf(figures: Pick<Perf, 'settings' | 'targets' | 'results' | 'summary' | 'memory' | 'notes'>): Perf {
  return PerfSchema.parse({
    schemaVersion: 1,
    harness: { name: 'proxyspec', version: '0.0.0' },
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
    environment: { cpuModel: 'Test CPU', cores: 2, node: 'v20', platform: 'linux', release: '6', totalMemoryBytes: 1, loadAverageBefore: [0, 0, 0], loadAverageAfter: [0, 0, 0] },
    ...figures,
  });
}

/** Every URL a page would load (not links a reader may follow): a self-contained page has none. */
function loads(html: string): string[] {
  return [...html.matchAll(/<(?:script|img|link|iframe|source)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

describe('HTML', () => {
  test('index.html: every check with its verdict, quote and link, escaped, and nothing loaded from elsewhere', () => {
    const html = toHtml(report([['s/pass', 'pass'], ['s/fail', 'fail'], ['t/warn', 'warn']]));
    expect(loads(html)).toEqual([]);
    for (const id of ['s/pass', 's/fail', 't/warn']) expect(html).toContain(`<code>${id}</code>`);
    expect(html).toContain('message &lt;fail&gt; &amp; more');
    expect(html).not.toContain('message <fail>');
    expect(html).toContain('href="https://modelcontextprotocol.io/specification/2025-11-25/basic#r"');
    expect(html).toMatch(/<section id="suite-s"[\s\S]*<section id="suite-t"/);
    expect(html).toMatch(/aria-label="achieved level none"/);
  });

  test('perf.html: a chart and a table per figure, the machine described, nothing loaded from elsewhere', () => {
    const summary = (target: string, connections: number, rps: number, p50: number) => ({ scenario: 'small-json', target, connections, rounds: 1, requestsPerSec: rps, latencyMs: { p50, p90: p50, p99: p50, mean: p50, max: p50 }, errorRate: 0 });
    const perf: Perf = perfOf({
      settings: { scenarios: ['small-json'], connections: [10, 100], durationSec: 1, rounds: 1 },
      targets: [{ name: 'direct', kind: 'direct', url: 'u', upstream: 'http' }, { name: 'ref<x>', kind: 'reference', url: 'u', upstream: 'http' }],
      results: [],
      summary: [summary('direct', 10, 1000, 1), { ...summary('ref<x>', 10, 500, 3), vsDirect: { throughputRatio: 0.5, addedP50Ms: 2, addedP99Ms: 2 } }, summary('direct', 100, 2000, 5), summary('ref<x>', 100, 900, 9)],
      memory: [{ target: 'ref<x>', sessions: 10, rssBeforeBytes: 1, rssAfterBytes: 10241, bytesPerSession: 1024 }],
      notes: [],
    });
    const html = perfHtml(perf);
    expect(loads(html)).toEqual([]);
    expect(html).toContain('Test CPU × 2');
    expect(html).toContain('ref&lt;x&gt;');
    expect((html.match(/<svg /g) ?? []).length).toBe(4);
    expect((html.match(/<table>/g) ?? []).length).toBeGreaterThanOrEqual(5);
  });

  test('perf.html and the terminal say "not measurable in this run" for a memory figure noise could have drawn, and print no number for it', () => {
    const perf: Perf = perfOf({
      settings: { scenarios: ['idle-sessions'], connections: [10], durationSec: 1, rounds: 1 },
      targets: [{ name: 'ref', kind: 'reference', url: 'u', upstream: 'http' }, { name: 'floor', kind: 'floor', url: 'u', upstream: 'http' }],
      results: [],
      summary: [],
      memory: [
        { target: 'ref', sessions: 10000, rssBeforeBytes: 1, rssAfterBytes: 2, bytesPerSession: null, slopeStdErrBytes: 3072, readings: [] },
        { target: 'floor', sessions: 10000, rssBeforeBytes: 1, rssAfterBytes: 2, bytesPerSession: 7782, slopeStdErrBytes: 512, readings: [] },
      ],
      notes: [],
    });
    const html = perfHtml(perf);
    // The row of the target whose figure is noise: no KB number in its cell, and no bar for it.
    expect(html).toMatch(/<th scope="row">ref<\/th>(<td class="num">[^<]*<\/td>){3}<td class="num">not measurable in this run<\/td>/);
    expect((html.match(/<svg /g) ?? []).length).toBe(1);
    const text = perfTerminal(perf);
    expect(text).toMatch(/ref\s+10000\s+not measurable in this run/);
    expect(text).toContain('7.6 ± 0.5 KB per session');
  });

  test('the published perf.json schema is the one the model generates', () => {
    const published = JSON.parse(readFileSync(new URL('../perf.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(perfJsonSchema())));
  });
});

describe('time per suite', () => {
  test('the terminal summary prints each suite\'s time, slowest first, when the report has them', () => {
    const suites = [
      { suite: 'session', scenarios: 1, scenarioMs: 12000, wallMs: 12000 },
      { suite: 'transparency', scenarios: 2, scenarioMs: 5000, wallMs: 4000 },
    ];
    const printed = toTerminal({ ...report([['session/idle-reaped', 'pass']]), suites });
    expect(printed).toContain('session 12.0 s, transparency 5.0 s');
    expect(printed).toContain('the run took 1.2 s in all');
    expect(toTerminal(report([['session/idle-reaped', 'pass']]))).not.toContain('Time per suite');
  });
});

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

describe('wire text in the summaries', () => {
  test('a raw SSE stream or a control byte in observed stays on one line, escaped, in the terminal and in Markdown; JSON keeps it whole', () => {
    const raw = 'HTTP 200: event: message\ndata: {"jsonrpc":"2.0"}\r\n\n\x1b[31mred\x1b[0m';
    const base = report([['transparency/call-relayed', 'fail']]);
    const failing: Report = { ...base, checks: base.checks.map((c) => ({ ...c, message: `first\nsecond`, observed: raw })) };
    const printed = toTerminal(failing).split('\n');
    expect(printed.find((l) => l.includes('FAIL'))).toContain('first\\nsecond');
    const observed = printed.find((l) => l.includes('observed:'))!;
    expect(observed).toContain('event: message\\ndata: {"jsonrpc":"2.0"}\\n\\n\\x1b[31mred\\x1b[0m');
    expect(observed).not.toContain('\x1b');
    expect(toMarkdown(failing)).toContain('- observed: HTTP 200: event: message\\ndata:');
    expect(JSON.parse(toJson(failing)).checks[0].observed).toBe(raw);
  });

  test('the terminal cuts a long observation, and says it did', () => {
    const base = report([['transparency/call-relayed', 'fail']]);
    const long: Report = { ...base, checks: base.checks.map((c) => ({ ...c, observed: 'x'.repeat(500) })) };
    const observed = toTerminal(long).split('\n').find((l) => l.includes('observed:'))!;
    expect(observed.endsWith('…')).toBe(true);
    expect(observed.length).toBeLessThan(220);
  });
});

describe('the headline', () => {
  test('a relay that stopped after named checks says how to leave them out', () => {
    const base = report([['transparency/call-relayed', 'fail']]);
    const lines = toTerminal({ ...base, relay: { ok: false, stoppedAfter: ['session/isolation', 'errors/x'], message: 'The target stopped relaying after session/isolation.' } }).split('\n');
    expect(lines[0]).toBe('The target stopped relaying after session/isolation.');
    expect(lines[1]).toBe('To judge the other checks, run again with --exclude session/isolation,errors/x (and fix what broke the relay).');
    expect(toTerminal({ ...base, relay: { ok: false, stoppedAfter: [], message: 'never relayed' } })).not.toContain('--exclude');
  });
});
