/**
 * `npm run docs:checks`: writes the README's generated sections (checks, hints, what 2026-07-28
 * removed) and the image example's features and config from the catalogue.
 * harness/test/docs.test.ts fails while any of them is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { referenceImageExample, withReadmeSections } from '../harness/src/cli/checks-doc.ts';

const root = new URL('../', import.meta.url);
const readme = new URL('README.md', root);
writeFileSync(readme, withReadmeSections(readFileSync(readme, 'utf8')));
const example = new URL('examples/targets/reference-image.yaml', root);
writeFileSync(example, referenceImageExample(readFileSync(example, 'utf8')));
process.stdout.write('README.md (checks, hints, what 2026-07-28 removed) and examples/targets/reference-image.yaml\n');
