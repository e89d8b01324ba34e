/**
 * `proxyspec report compare`: several runs side by side, checks as rows and targets as columns (the
 * way cache-tests.fyi shows browsers), each cell linking to that run's evidence; and, with a
 * baseline, what changed since a previous run of the same target.
 */
import { relative } from 'node:path';
import { anchor, esc, page, verdictBadge } from './html-kit.ts';
import type { Report } from './schema.ts';

export interface ComparedRun {
  report: Report;
  /** Folder of the run (where its index.html is), for the links. */
  dir: string;
}

export interface VerdictChange {
  target: string;
  id: string;
  before: string;
  after: string;
  kind: 'regressed' | 'improved' | 'changed';
}

const RANK: Record<string, number> = { pass: 0, 'n/a': 1, skipped: 1, warn: 2, blocked: 3, untested: 3, error: 3, fail: 4 };

/** Checks whose verdict differs between a baseline run and a new run of the same target. */
export function diffRuns(baseline: Report[], runs: Report[]): VerdictChange[] {
  const changes: VerdictChange[] = [];
  for (const run of runs) {
    const before = baseline.find((b) => b.target.name === run.target.name && b.spec === run.spec) ?? baseline.find((b) => b.target.name === run.target.name);
    if (!before) continue;
    const old = new Map(before.checks.map((c) => [c.id, c.verdict]));
    for (const check of run.checks) {
      const was = old.get(check.id);
      if (was === undefined || was === check.verdict) continue;
      const delta = (RANK[check.verdict] ?? 0) - (RANK[was] ?? 0);
      changes.push({ target: run.target.name, id: check.id, before: was, after: check.verdict, kind: delta > 0 ? 'regressed' : delta < 0 ? 'improved' : 'changed' });
    }
  }
  return changes;
}

function column(run: Report): string {
  return `${run.target.name}${run.target.version ? ` ${run.target.version}` : ''} · ${run.spec}`;
}

export function compareHtml(runs: ComparedRun[], outDir: string, changes: VerdictChange[] = []): string {
  const ids: string[] = [];
  const titles = new Map<string, string>();
  for (const { report } of runs) {
    for (const c of report.checks) {
      if (!titles.has(c.id)) {
        ids.push(c.id);
        titles.set(c.id, `${c.title} (L${c.level} ${c.strength})`);
      }
    }
  }
  const head = runs
    .map(({ report }) => `<th scope="col">${esc(column(report))}<br><span class="badge s-${report.level > 0 ? 'success' : 'failure'}">${report.level > 0 ? `L${report.level}` : 'no level'}</span></th>`)
    .join('');
  const rows = ids
    .map((id) => {
      const cells = runs
        .map(({ report, dir }) => {
          const check = report.checks.find((c) => c.id === id);
          if (!check) return '<td class="meta">—</td>';
          const href = `${relative(outDir, dir).split('\\').join('/') || '.'}/index.html#${anchor(id)}`;
          return `<td><a href="${esc(href)}" title="${esc(check.message)}">${verdictBadge(check.verdict)}</a></td>`;
        })
        .join('');
      return `<tr><th scope="row"><code title="${esc(titles.get(id))}">${esc(id)}</code></th>${cells}</tr>`;
    })
    .join('\n');
  const changed = changes.length
    ? `<section aria-labelledby="h-changes"><h2 id="h-changes">Changes since the baseline</h2><table><thead><tr><th scope="col">target</th><th scope="col">check</th><th scope="col">before</th><th scope="col">now</th><th scope="col">change</th></tr></thead><tbody>${changes
        .map((c) => `<tr><td>${esc(c.target)}</td><td><code>${esc(c.id)}</code></td><td>${verdictBadge(c.before)}</td><td>${verdictBadge(c.after)}</td><td class="${c.kind === 'regressed' ? 'v-fail' : c.kind === 'improved' ? 'v-pass' : ''}">${esc(c.kind)}</td></tr>`)
        .join('')}</tbody></table></section>`
    : '';
  const body = `<header><h1>proxyspec: ${runs.length} runs compared</h1><p class="meta">Each cell links to the check in that run's report, with its evidence.</p></header>
${changed}
<section aria-labelledby="h-matrix"><h2 id="h-matrix">Checks × targets</h2>
<table><thead><tr><th scope="col">check</th>${head}</tr></thead><tbody>
${rows}
</tbody></table></section>`;
  return page(`proxyspec compare: ${runs.map((r) => r.report.target.name).join(', ')}`, body);
}

export function compareTerminal(runs: Report[], changes: VerdictChange[]): string {
  const lines = runs.map((r) => `${column(r).padEnd(48)} ${r.level > 0 ? `L${r.level}` : 'no level'}  ${Object.entries(r.summary).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(', ')}`);
  if (changes.length) {
    lines.push('', 'Changes since the baseline:');
    for (const c of changes) lines.push(`  ${c.kind.padEnd(9)} ${c.target}: ${c.id} ${c.before} → ${c.after}`);
  }
  return `${lines.join('\n')}\n`;
}
