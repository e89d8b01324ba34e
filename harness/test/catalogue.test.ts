/**
 * The catalogue's own promises: from a check's declaration a reader reaches its scenario and its
 * proving defects, and every one of them exists; every broken proxy proves something.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CHECKS } from '../../catalogue/index.ts';
import { requirementsOf } from '../../catalogue/requirements.ts';
import { BROKEN_PROXIES } from '../../mocks/broken-proxies/profiles.ts';
import { DEFECTS } from '../../mocks/broken-proxies/defects.ts';
import { REFERENCE_DEFECTS } from '../../mocks/broken-proxies/reference-defects.ts';
import { ROOT } from './cli-helpers.ts';

/** Every suite file and its text, read once. */
const suiteFiles = readdirSync(join(ROOT, 'suites'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(ROOT, 'suites', f), 'utf8') }));

describe('a declaration names its scenario', () => {
  test('the scenario file it names judges it, and no other suite file names it', () => {
    for (const check of CHECKS) {
      const holders = suiteFiles.filter(({ text }) => text.includes(`'${check.id}'`)).map(({ file }) => file);
      expect(holders, check.id).toEqual([check.scenario]);
    }
  });
});

describe('a declaration names its proof', () => {
  test('every defect a check names is a broken proxy of the table', () => {
    for (const check of CHECKS) for (const proof of check.provenBy) expect(Object.keys(BROKEN_PROXIES), `${check.id} → ${proof.defect}`).toContain(proof.defect);
  });

  test('every broken proxy of the table proves some check, but the correct control', () => {
    const named = new Set(CHECKS.flatMap((c) => c.provenBy.map((p) => p.defect)));
    expect(Object.keys(BROKEN_PROXIES).filter((d) => !named.has(d))).toEqual(['none']);
  });

  test('the table has a row for every defect of the pass-through and of the reference proxy, and nothing else', () => {
    const rows = Object.keys(BROKEN_PROXIES).sort();
    const defects = [...DEFECTS, ...REFERENCE_DEFECTS.map((d) => `ref-${d}`), 'multiplex-clients', 'ref-replicas-no-store'].sort();
    expect(rows).toEqual(defects);
  });

  test('under 2026-07-28, every check judged there is proven there, whatever its level', () => {
    const STATELESS = '2026-07-28';
    const unproven = CHECKS.filter((c) => c.revisions.includes(STATELESS) && !c.provenBy.some((p) => p.revisions.includes(STATELESS)));
    expect(unproven.map((c) => c.id)).toEqual([]);
  });

  test('under 2025-11-25, every check judged there is proven there', () => {
    const SESSION_ERA = '2025-11-25';
    const unproven = CHECKS.filter((c) => c.revisions.includes(SESSION_ERA) && !c.provenBy.some((p) => p.revisions.includes(SESSION_ERA)));
    expect(unproven.map((c) => c.id)).toEqual([]);
  });

  test('the reference proxy\'s configs are where its profiles say', () => {
    for (const config of ['reference-http.yaml', 'reference-stdio.yaml']) expect(existsSync(join(ROOT, 'proxy/configs', config)), config).toBe(true);
  });
});

describe('a declaration is as strong as what it cites', () => {
  // A MUST check fails a proxy: something it cites must say MUST, in MCP or in the compliance model
  // (a proxyspec-l1/l2/l3 property), in every revision it judges. One that cites only MAY sentences
  // would fail a proxy for a choice MCP leaves open.
  test('every MUST check cites a MUST in every revision it applies to', () => {
    const weak = CHECKS.filter((c) => c.strength === 'MUST').flatMap((c) =>
      c.revisions.flatMap((revision) => {
        const strengths = [...c.requirements.map((id) => requirementsOf(revision).get(id)?.strength ?? ''), ...(c.externalRefs ?? []).map((e) => e.strength)];
        return strengths.some((s) => /^(MUST|REQUIRED|SHALL)/.test(s)) ? [] : [`${c.id} under ${revision}`];
      }),
    );
    expect(weak).toEqual([]);
  });
});
