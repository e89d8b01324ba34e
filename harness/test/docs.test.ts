/** The generated docs stay in step with the check catalogue. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { DEFAULT_REVISION } from '../../wire/index.ts';
import { checksMarkdown } from '../src/cli/checks-doc.ts';
import { CHECKS } from '../../catalogue/index.ts';
import { findRequirement } from '../../catalogue/requirements.ts';

test('the README\'s table of checks is what `npm run docs:checks` generates', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = '<!-- checks:start -->\n';
  const section = readme.slice(readme.indexOf(start) + start.length, readme.indexOf('<!-- checks:end -->'));
  // `list --markdown` links each check to the default revision's pages (a check that does not apply there, to its latest).
  expect(section).toBe(checksMarkdown(DEFAULT_REVISION));
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
