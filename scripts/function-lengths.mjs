#!/usr/bin/env node
/**
 * Lists the longest functions of the sources (TypeScript's own parser), longest first:
 * `node scripts/function-lengths.mjs [min-lines]`. What the README's "Architecture" asks of a
 * function (about 120 lines at most) is checked by harness/test/architecture.test.ts with the same
 * measure; this prints them for a reader.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const ts = createRequire(import.meta.url)('typescript');
const min = Number(process.argv[2] ?? 80);
const files = execFileSync('git', ['ls-files', '*.ts'], { encoding: 'utf8' }).trim().split('\n').filter((f) => !f.includes('/test/') && !f.endsWith('.test.ts'));
const rows = [];
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const lines = source.getLineAndCharacterOfPosition(node.end).line - source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      const name = node.name?.getText() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '(anonymous)');
      if (lines >= min) rows.push([lines, `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`, name]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const [lines, where, name] of rows.sort((a, b) => b[0] - a[0])) console.log(`${String(lines).padStart(4)}  ${name}  ${where}`);
