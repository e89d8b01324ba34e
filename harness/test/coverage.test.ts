/** The coverage of the catalogue by the checks: counted from the declarations, shown by `proxyspec coverage`. */
import { describe, expect, test } from 'vitest';
import { CHECKS } from '../../catalogue/index.ts';
import { EXCLUSION_KINDS, coverageOf, coverageMarkdown, coverageSummary, exclusionsOf, isMustStrength, parseExclusions } from '../src/checks/coverage.ts';
import { requirementsOf } from '../../catalogue/requirements.ts';
import { execFile } from 'node:child_process';
import { BIN, ROOT, cli } from './cli-helpers.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REVISIONS } from '../../wire/index.ts';

describe('coverage', () => {
  test.each(REVISIONS)('the JSON catalogue of %s says what its YAML says (else run `npm run catalogue`)', async (revision) => {
    const folder = join(ROOT, 'catalogue/requirements');
    const yaml = async (name: string) => (existsSync(join(folder, name)) ? parse(await readFile(join(folder, name), 'utf8')) : undefined) ?? [];
    const json = JSON.parse(await readFile(join(folder, `${revision}.json`), 'utf8'));
    expect(json).toEqual({ requirements: await yaml(`${revision}.yaml`), exclusions: await yaml(`${revision}.exclusions.yaml`) });
  });

  test('every in-scope requirement is counted once, and a requirement a check of the revision cites is traced to it', () => {
    const coverage = coverageOf('2025-11-25');
    const { must, should, rows } = coverage;
    expect(must.total + should.total).toBe(rows.length);
    expect(must.traced + must.excluded + must.untested).toBe(must.total);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    const catalogue = requirementsOf('2025-11-25');
    for (const row of rows) {
      const r = catalogue.get(row.id)!;
      expect(r.proxy).not.toBe('n/a');
      expect(r.observable).toBe('yes');
    }
    const cited = CHECKS.find((c) => c.id === 'session/unknown-session-404')!;
    for (const id of cited.requirements) {
      const row = rows.find((r) => r.id === id);
      if (row) expect(row.checks).toContain(cited.id);
    }
    // A check that does not apply to a revision traces nothing there.
    const traced2026 = coverageOf('2026-07-28').rows.flatMap((r) => r.checks);
    expect(traced2026.filter((id) => !CHECKS.find((c) => c.id === id)!.revisions.includes('2026-07-28'))).toEqual([]);
    expect(traced2026).toContain('transparency/subscription-relayed');
  });

  // The headline is what a check judges: an exclusion is shown apart and never counted as judged, and
  // a MUST counts as traced only through a check that fails (not warns) when it is broken.
  test.each(['2025-11-25', '2026-07-28'] as const)('under %s the headline counts traced MUSTs alone, through MUST checks, and every exclusion is live', (revision) => {
    const coverage = coverageOf(revision);
    const { must, rows } = coverage;
    // Out of the MUSTs a proxy owes on the wire: the excluded ones leave the count, and are not added to traced.
    expect(must.judgeable).toBe(must.total - must.excluded);
    expect(must.traced + must.untested).toBe(must.judgeable);
    expect(coverageSummary(coverage)[0]).toBe(`MUST   ${must.traced} of ${must.judgeable} traced to a check (${Math.round((100 * must.traced) / must.judgeable)} %), ${must.untested} untested; apart from those, ${must.excluded} excluded (not a proxy's duty, unobservable or removed)`);
    const strength = new Map(CHECKS.map((c) => [c.id, c.strength]));
    for (const row of rows.filter((r) => isMustStrength(r.strength))) for (const id of row.checks) expect(strength.get(id), `${row.id} traced through ${id}`).toBe('MUST');
    // A MUST that only SHOULD checks of the revision cite is not traced.
    const applying = CHECKS.filter((c) => c.revisions.includes(revision));
    const byShouldOnly = rows.filter((r) => isMustStrength(r.strength) && applying.some((c) => c.strength === 'SHOULD' && c.requirements.includes(r.id)) && !applying.some((c) => c.strength === 'MUST' && c.requirements.includes(r.id)));
    for (const row of byShouldOnly) expect(row.state, row.id).not.toBe('traced');
    // An exclusion of a requirement that a check now cites, or that is out of scope, is stale: the file must say only what is true.
    const byId = new Map(rows.map((r) => [r.id, r]));
    const stale = [...exclusionsOf(revision).keys()].filter((id) => byId.get(id)?.state !== 'excluded');
    expect(stale).toEqual([]);
    for (const e of exclusionsOf(revision).values()) {
      expect(EXCLUSION_KINDS).toContain(e.kind);
      expect(e.reason.length).toBeGreaterThan(40);
    }
  });

  // Only three reasons take a requirement out of the count; "covered in bulk" and "no scenario yet" are not among them.
  test('an exclusion of any other kind, or a `removed` one that cites no changelog, fails the load', () => {
    const known = [...requirementsOf('2026-07-28').keys()][0]!;
    const load = (exclusions: unknown) => () => parseExclusions('2026-07-28', exclusions);
    expect(load([{ id: known, kind: 'not-a-proxy-duty', reason: 'Binds the author of a tool definition, which a proxy never writes.' }])).not.toThrow();
    expect(load([{ id: known, kind: 'covered-in-bulk', reason: 'Every check that relays a call exercises it without citing it.' }])).toThrow(/kind/);
    expect(load([{ id: known, reason: 'A reason with no kind at all, long enough to pass the length rule.' }])).toThrow(/kind/);
    expect(load([{ id: known, kind: 'removed', reason: 'The revision does not have this any more, trust us on that.' }])).toThrow(/changelog/);
    expect(load([{ id: 'no-such-requirement', kind: 'unobservable', reason: 'Neither leg could show it; a TLS handshake would have to be seen.' }])).toThrow(/does not have/);
  });

  test('somewhere a MUST is cited by a SHOULD check alone, so the rule above is exercised', () => {
    const found = (['2025-11-25', '2026-07-28'] as const).flatMap((revision) => {
      const applying = CHECKS.filter((c) => c.revisions.includes(revision));
      return coverageOf(revision).rows.filter((r) => isMustStrength(r.strength) && applying.some((c) => c.strength === 'SHOULD' && c.requirements.includes(r.id)) && !applying.some((c) => c.strength === 'MUST' && c.requirements.includes(r.id)));
    });
    expect(found.length).toBeGreaterThan(0);
  });

  test('the Markdown has one row per requirement, with its link and state', () => {
    const coverage = coverageOf('2025-11-25');
    const table = coverageMarkdown(coverage).split('\n').filter((l) => l.startsWith('| ['));
    expect(table).toHaveLength(coverage.rows.length);
    expect(table[0]).toMatch(/^\| \[[a-z0-9-]+\]\(https:\/\/modelcontextprotocol\.io\/.+#.+\) \| (MUST|SHOULD)[A-Z ]* \| (traced|excluded|untested) \|/);
  });

  test('`proxyspec coverage` prints the counts and the untested MUSTs, and --json the same data', async () => {
    const text = await cli(['coverage', '--spec', '2025-11-25']);
    expect(text.code).toBe(0);
    const c = coverageOf('2025-11-25');
    expect(text.stdout).toContain(coverageSummary(c)[0]);
    const json = await cli(['coverage', '--spec', '2025-11-25', '--json']);
    expect(JSON.parse(json.stdout).must).toEqual(c.must);
  });

  test('a long --json reaches a reader that is slow to start whole, not cut at the 64 KB a pipe holds', async () => {
    const whole = JSON.stringify(coverageOf('2026-07-28'), null, 2).length;
    expect(whole).toBeGreaterThan(65_536);
    // The reader starts once the CLI has long written its first 64 KB; a CLI that exits without
    // waiting for the pipe to drain loses the rest.
    const read = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} coverage --spec 2026-07-28 --json | (sleep 6; cat)`], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    expect(read.length).toBeGreaterThan(65_536);
    expect(JSON.parse(read).must).toEqual(coverageOf('2026-07-28').must);
  });
});
