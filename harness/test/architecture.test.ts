/**
 * The import rules of the README's "Architecture", read off the sources: who may import whom. A
 * rule broken here is a folder that can no longer be read, shipped or changed on its own.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT } from './cli-helpers.ts';
// @ts-expect-error: a script of the project's own, in JavaScript, with no types.
import { functionLengths } from '../../scripts/function-lengths.mjs';

/** Every TypeScript file under `folder` (relative to the root), tests included unless said. */
function sources(folder: string, withTests = true): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && (withTests || !(f.includes('test/') || f.endsWith('.test.ts'))))
    .map((f) => join(folder, f));
}

/** The files of ours a file imports, statically or dynamically, relative to the root. */
const imports = new Map<string, string[]>();

function importsOf(file: string): string[] {
  let found = imports.get(file);
  if (!found) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    found = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1])));
    imports.set(file, found);
  }
  return found;
}

/** Each import of `files` that leaves `folder` for somewhere `allowed` does not name, as `file -> target`. */
function strays(files: string[], folder: string, allowed: string[]): string[] {
  return files.flatMap((f) => importsOf(f).filter((t) => !t.startsWith(`${folder}/`) && !allowed.some((a) => t.startsWith(`${a}/`) || t === a)).map((t) => `${f} -> ${t}`));
}

/** The cycles of a graph given as edges, each as its path (empty when there is none). */
function cycles(edges: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      found.push([...path.slice(path.indexOf(node)), node].join(' -> '));
      return;
    }
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of edges.keys()) visit(node, []);
  return found;
}

function graph(files: string[], nodeOf: (file: string) => string | undefined): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const f of files) {
    const from = nodeOf(f);
    if (!from) continue;
    for (const t of importsOf(f)) {
      const to = nodeOf(t);
      if (!to || to === from) continue;
      edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  return edges;
}

describe('who may import whom', () => {
  test('wire/ (the revisions and the wire vocabulary) imports nothing of ours outside itself', () => {
    expect(strays(sources('wire'), 'wire', [])).toEqual([]);
  });

  test('the catalogue imports only wire/', () => {
    expect(strays(sources('catalogue'), 'catalogue', ['wire'])).toEqual([]);
  });

  test('the reference proxy imports nothing of the judge: nothing of ours outside proxy/', () => {
    expect(strays(sources('proxy/src'), 'proxy/src', [])).toEqual([]);
  });

  test('the mocks import neither the harness nor the suites (the catalogue, wire/ and the proxy they break, yes)', () => {
    expect(strays(sources('mocks', false), 'mocks', ['wire', 'catalogue', 'proxy/src'])).toEqual([]);
  });

  test('the report model imports nothing of ours outside reports/src', () => {
    expect(strays(sources('reports/src'), 'reports/src', [])).toEqual([]);
  });

  test('suite files reach the harness only through its public API, harness/src/index.ts', () => {
    const outside = sources('suites').flatMap((f) => importsOf(f).filter((t) => t.startsWith('harness/') && t !== 'harness/src/index.ts').map((t) => `${f} -> ${t}`));
    expect(outside).toEqual([]);
  });
});

describe('no cycles', () => {
  test('between the top-level folders', () => {
    const top = (f: string) => (f.startsWith('reports/') || f.startsWith('proxy/') ? f.split('/').slice(0, 2).join('/') : f.split('/')[0]);
    const files = ['wire', 'catalogue', 'harness/src', 'suites', 'mocks', 'proxy/src', 'reports/src'].flatMap((d) => sources(d, false));
    expect(cycles(graph(files, top))).toEqual([]);
  });

  test('inside harness/src: no import points to a folder (or a file of the root) that imports its own', () => {
    const node = (f: string) => {
      if (!f.startsWith('harness/src/')) return undefined;
      const rest = f.slice('harness/src/'.length);
      return rest.includes('/') ? rest.split('/')[0] : rest;
    };
    expect(cycles(graph(sources('harness/src'), node))).toEqual([]);
  });

  test('the finders find what they look for', () => {
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['a'])]]))).toEqual(['a -> b -> a']);
    expect(strays(['harness/src/cli/main.ts'], 'harness/src', ['wire'])).toContain('harness/src/cli/main.ts -> catalogue/index.ts');
  });
});

describe('functions a reader can hold in their head', () => {
  // The HTML templates are long by nature: one page, read top to bottom.
  const TEMPLATES = ['perfHtml', 'toHtml', 'compareHtml'];
  // Every source file parsed once, for both tests.
  const lengths = functionLengths() as Array<{ lines: number; where: string; name: string }>;

  test('no function of the sources is over 120 lines (node scripts/function-lengths.mjs lists them)', () => {
    const long = lengths.filter((f) => f.lines > 120 && !TEMPLATES.includes(f.name));
    expect(long.map((f) => `${f.name} (${f.where}): ${f.lines} lines`)).toEqual([]);
  });

  test('the measure sees the long ones', () => {
    expect(lengths.length).toBeGreaterThan(500);
    expect(lengths[0].lines).toBeGreaterThan(90);
  });
});
