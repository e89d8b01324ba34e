#!/usr/bin/env node
/**
 * The longest functions of the sources, measured with TypeScript's own parser:
 * `node scripts/function-lengths.mjs [min-lines]` lists those of at least that many lines (default 80),
 * longest first. harness/test/architecture.test.ts holds every function to about 120 lines with the
 * same measure.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ts = createRequire(import.meta.url)('typescript');
const root = fileURLToPath(new URL('../', import.meta.url));

/** Every function of the tracked sources (tests aside) with its length in lines, where it starts and its name. */
export function functionLengths() {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' }).trim().split('\n').filter((f) => f && !f.includes('/test/') && !f.endsWith('.test.ts'));
  const rows = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(new URL(file, `file://${root}`), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
        const lines = source.getLineAndCharacterOfPosition(node.end).line - start + 1;
        const name = node.name?.getText() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '(anonymous)');
        rows.push({ lines, where: `${file}:${start + 1}`, name });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return rows.sort((a, b) => b.lines - a.lines);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const min = Number(process.argv[2] ?? 80);
  for (const { lines, where, name } of functionLengths().filter((r) => r.lines >= min)) console.log(`${String(lines).padStart(4)}  ${name}  ${where}`);
}
