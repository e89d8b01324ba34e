/** The generated docs stay in step with the check catalogue. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { DEFAULT_REVISION, LATEST_REVISION } from '../../wire/index.ts';
import { checksMarkdown, hintsMarkdown, notApplicableMarkdown, readmeSection, referenceImageExample } from '../src/cli/checks-doc.ts';
import { REFERENCE_FEATURES, REFERENCE_HINTS } from '../../catalogue/reference.ts';
import { loadProfile } from '../src/targets/profile.ts';
import { CHECKS } from '../../catalogue/index.ts';
import { findRequirement } from '../../catalogue/requirements.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = (name: string) => readmeSection(readme, name);

test('the README\'s table of checks is what `npm run docs:checks` generates', () => {
  // `list --markdown` links each check to the default revision's pages (a check that does not apply there, to its latest).
  expect(section('checks')).toBe(checksMarkdown(DEFAULT_REVISION));
});

test('the README\'s table of hints is what `npm run docs:checks` generates, one row per hint, with the reference proxy\'s values', () => {
  expect(section('hints')).toBe(hintsMarkdown());
  expect(section('hints')).toContain('| `allowedOrigin` |');
  expect(section('hints')).toContain('`{ failures: 5, openMs: 2000 }`');
});

test('the README lists every check that does not apply under the newest revision, with the changelog item that removed what it needs', () => {
  expect(section('not-applicable')).toBe(notApplicableMarkdown(LATEST_REVISION));
  expect(section('not-applicable')).toMatch(/`session\/isolation`: needs protocol-level sessions .*; 2026-07-28 removed it \(its changelog, major change 1/);
  // Checks whose behaviour the revision keeps are judged there, not listed.
  expect(section('not-applicable')).not.toContain('`resilience/failover-keeps-session`');
});

test('the image example states the reference proxy\'s features and hints as catalogue/reference.ts does', async () => {
  const file = fileURLToPath(new URL('../../examples/targets/reference-image.yaml', import.meta.url));
  const text = readFileSync(file, 'utf8');
  expect(text).toBe(referenceImageExample(text));
  const { profile } = await loadProfile(file);
  expect(profile.features).toEqual([...REFERENCE_FEATURES.http]);
  expect(profile.config).toEqual(REFERENCE_HINTS);
});

test('every check cites requirements that exist in the vendored catalogue for each of its revisions, or a later one', () => {
  for (const check of CHECKS) {
    expect(check.requirements.length + (check.externalRefs?.length ?? 0), check.id).toBeGreaterThan(0);
    for (const id of check.requirements) {
      for (const revision of check.revisions) expect(findRequirement(id, revision), `${check.id} → ${id} @ ${revision}`).toBeDefined();
    }
    expect(check.id).toMatch(new RegExp(`^${check.suite}/[a-z0-9-]+$`));
    expect(check.title).toMatch(/\b(MUST|SHOULD)\b/);
  }
});
