/**
 * `npm run docs:checks`: writes the README's generated tables (checks, hints) and the image example's
 * features and config from the catalogue. harness/test/docs.test.ts fails while any of them is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_REVISION, LATEST_REVISION } from '../wire/index.ts';
import { checksMarkdown, hintsMarkdown, notApplicableMarkdown, referenceImageExample } from '../harness/src/cli/checks-doc.ts';

const root = new URL('../', import.meta.url);

/** `text` with what stands between `<!-- name:start -->` and `<!-- name:end -->` replaced by `body`. */
export function between(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->\n`;
  const end = `<!-- ${name}:end -->`;
  if (!text.includes(start) || !text.includes(end)) throw new Error(`README.md lacks the ${name} markers`);
  return `${text.slice(0, text.indexOf(start) + start.length)}${body}${text.slice(text.indexOf(end))}`;
}

const readme = new URL('README.md', root);
let text = readFileSync(readme, 'utf8');
text = between(text, 'checks', checksMarkdown(DEFAULT_REVISION));
text = between(text, 'hints', hintsMarkdown());
text = between(text, 'not-applicable', notApplicableMarkdown(LATEST_REVISION));
writeFileSync(readme, text);
const example = new URL('examples/targets/reference-image.yaml', root);
writeFileSync(example, referenceImageExample(readFileSync(example, 'utf8')));
process.stdout.write('README.md (checks, hints, what 2026-07-28 removed) and examples/targets/reference-image.yaml\n');
