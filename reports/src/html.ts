/**
 * `index.html` of a run: the achieved level as a badge, each level's state, a table per suite, and
 * every check expandable to its requirement (quote and link), expected vs observed, and the wire
 * transcript of both legs with timestamps. One self-contained file.
 */
import { anchor, esc, page, verdictBadge } from './html-kit.ts';
import { headline } from './headline.ts';
import type { CheckReport, Report } from './schema.ts';

const PROBLEMS = new Set(['fail', 'warn', 'error', 'blocked', 'untested']);

function text(value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function headerLines(headers: unknown): string {
  if (!headers || typeof headers !== 'object') return '';
  return Object.entries(headers as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join('\n');
}

function evidenceItem(item: CheckReport['evidence'][number], t0: number): string {
  const d = item.detail as Record<string, any>;
  const when = `<span class="t">+${(item.at - t0).toFixed(1)} ms</span>`;
  let body = '';
  if (item.leg === 'client') {
    const req = d.request ?? {};
    const res = d.response ?? {};
    const events = Array.isArray(res.events) ? (res.events as Array<{ at: number; id?: string; data: string }>) : [];
    body = `<h4>request</h4><pre>${esc(headerLines(req.headers))}${req.body ? `\n\n${esc(text(req.body))}` : ''}</pre>
<h4>response ${esc(res.status ?? '')}${d.headersAt && d.startedAt ? ` <span class="t">headers after ${(d.headersAt - d.startedAt).toFixed(1)} ms</span>` : ''}</h4><pre>${esc(headerLines(res.headers))}${res.body ? `\n\n${esc(text(res.body))}` : ''}</pre>
${events.length ? `<h4>SSE events</h4><pre>${events.map((e) => `${esc(`+${(e.at - t0).toFixed(1)} ms`)}${e.id ? ` id: ${esc(e.id)}` : ''}\n${esc(e.data)}`).join('\n\n')}</pre>` : ''}
${d.error ? `<p class="v-fail">error: ${esc(d.error)}</p>` : ''}`;
  } else {
    body = `<pre>${esc(headerLines(d.headers))}${d.body ? `\n\n${esc(text(d.body))}` : ''}</pre>${d.connectionId !== undefined ? `<p class="meta">connection #${esc(d.connectionId)}</p>` : ''}`;
  }
  return `<details class="ev ${item.leg}"><summary>${when} ${esc(item.summary)}</summary>${body}</details>`;
}

function checkDetail(check: CheckReport): string {
  const t0 = check.evidence.length ? Math.min(...check.evidence.map((e) => e.at)) : 0;
  const legs = (leg: 'client' | 'upstream') => {
    const items = check.evidence.filter((e) => e.leg === leg);
    return items.length ? items.map((e) => evidenceItem(e, t0)).join('') : '<p class="meta">nothing recorded on this leg</p>';
  };
  const refs = check.specRefs
    .map(
      (r) => `<blockquote>${esc(r.quote)}<br><a href="${esc(r.url)}">${esc(r.requirement)}</a> <span class="meta">(${esc(r.revision)}, ${esc(r.strength)})</span></blockquote>`,
    )
    .join('');
  return `<p><strong>${esc(check.title)}</strong></p>
<p>${esc(check.message)}</p>
${check.expected !== undefined || check.observed !== undefined ? `<table><tbody>${check.expected !== undefined ? `<tr><th scope="row">expected</th><td>${esc(check.expected)}</td></tr>` : ''}${check.observed !== undefined ? `<tr><th scope="row">observed</th><td>${esc(check.observed)}</td></tr>` : ''}</tbody></table>` : ''}
<h3>Requirement</h3>${refs || '<p class="meta">no spec reference</p>'}
<p class="meta">requirement ids: ${check.requirements.map(esc).join(', ') || '—'} · took ${check.durationMs} ms${check.baseline ? ` · baseline: ${esc(check.baseline)}` : ''}</p>
${check.evidence.length ? `<h3>Wire transcript</h3><div class="legs"><section aria-label="client to proxy"><h4>client ↔ proxy</h4>${legs('client')}</section><section aria-label="proxy to upstream"><h4>proxy ↔ upstream</h4>${legs('upstream')}</section></div>` : ''}`;
}

function suiteTable(suite: string, checks: CheckReport[]): string {
  const rows = checks
    .map((c) => {
      const id = anchor(c.id);
      const problem = PROBLEMS.has(c.verdict);
      return `<tr id="${id}" data-verdict="${esc(c.verdict)}"${problem ? ' data-problem' : ''}>
<td><button class="toggle" aria-expanded="false" aria-controls="${id}-detail"><code>${esc(c.id)}</code></button></td>
<td>L${c.level}</td><td>${c.strength}</td><td>${verdictBadge(c.verdict)}</td><td>${esc(c.message)}</td></tr>
<tr class="detail" id="${id}-detail" data-verdict="${esc(c.verdict)}"><td colspan="5">${checkDetail(c)}</td></tr>`;
    })
    .join('\n');
  return `<section id="suite-${esc(suite)}" aria-labelledby="h-${esc(suite)}"><h2 id="h-${esc(suite)}">${esc(suite)}</h2>
<table><thead><tr><th scope="col">check</th><th scope="col">level</th><th scope="col">strength</th><th scope="col">verdict</th><th scope="col">message</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

const FILTER_SCRIPT = `
for (const b of document.querySelectorAll('[data-coverage]')) b.addEventListener('click', () => {
  for (const o of document.querySelectorAll('[data-coverage]')) o.setAttribute('aria-pressed', String(o === b));
  for (const r of document.querySelectorAll('#coverage-requirements tr[data-state]')) r.hidden = b.dataset.coverage !== 'all' && r.dataset.state !== b.dataset.coverage;
});
const rows = () => document.querySelectorAll('tbody tr[data-verdict]:not(.detail)');
const show = (onlyProblems) => {
  for (const b of document.querySelectorAll('[data-filter]')) b.setAttribute('aria-pressed', String((b.dataset.filter === 'problems') === onlyProblems));
  for (const r of rows()) { const hide = onlyProblems && !r.hasAttribute('data-problem'); r.style.display = hide ? 'none' : ''; const d = document.getElementById(r.id + '-detail'); if (d && hide) d.hidden = true; }
};
for (const b of document.querySelectorAll('[data-filter]')) b.addEventListener('click', () => show(b.dataset.filter === 'problems'));
document.querySelector('[data-expand]')?.addEventListener('click', () => {
  for (const r of rows()) if (r.hasAttribute('data-problem')) { const b = r.querySelector('button.toggle'); if (b && b.getAttribute('aria-expanded') !== 'true') b.click(); }
});
const target = location.hash && document.querySelector(location.hash);
if (target) target.querySelector('button.toggle')?.click();
`;

/** How much of the revision the checks judge: the counts, then each requirement with its state, filtered by state. */
function coverageSection(c: NonNullable<Report['coverage']>): string {
  // Out of those a proxy owes on the wire; a report written before `judgeable` existed gives the total.
  const owed = (n: NonNullable<Report['coverage']>['must']) => n.judgeable ?? n.total;
  const share = (n: NonNullable<Report['coverage']>['must']) => (owed(n) ? `${Math.round((100 * n.traced) / owed(n))} %` : '—');
  const row = (name: string, n: NonNullable<Report['coverage']>['must']) =>
    `<tr><th scope="row">${name}</th><td>${n.traced} (${share(n)})</td><td>${n.untested}</td><td>${owed(n)}</td><td>${n.excluded}</td></tr>`;
  const requirements = c.requirements ?? [];
  const list = requirements.length
    ? `<p role="group" aria-label="Show requirements">${['all', 'traced', 'excluded', 'untested'].map((state) => `<button type="button" data-coverage="${state}" aria-pressed="${state === 'all'}">${state === 'all' ? `all ${requirements.length}` : `${state} ${requirements.filter((r) => r.state === state).length}`}</button>`).join(' ')}</p>
<table id="coverage-requirements"><thead><tr><th scope="col">requirement</th><th scope="col">strength</th><th scope="col">state</th><th scope="col">checks, or why excluded</th></tr></thead><tbody>
${requirements.map((r) => `<tr data-state="${r.state}"><td><a href="${esc(r.url)}">${esc(r.id)}</a></td><td>${esc(r.strength)}</td><td>${r.state}${r.exclusion ? ` (${r.exclusion})` : ''}</td><td>${r.checks.length ? r.checks.map((id) => `<code>${esc(id)}</code>`).join(' ') : esc(r.reason ?? '')}</td></tr>`).join('\n')}
</tbody></table>`
    : c.untestedMusts.length
      ? `<details><summary>${c.untestedMusts.length} untested MUSTs</summary><p>${c.untestedMusts.map((id) => `<code>${esc(id)}</code>`).join(' ')}</p></details>`
      : '';
  return `<section aria-labelledby="h-coverage"><h2 id="h-coverage">Coverage of MCP ${esc(c.revision)}</h2>
<p>Requirements of this revision that concern a proxy and show on the wire: traced to a check or untested, out of those a proxy owes (the share in brackets); apart from those, the ones a reviewed exclusion leaves out (not a proxy's duty, unobservable, or removed by the revision), never counted as judged.</p>
<table><thead><tr><th scope="col"></th><th scope="col">traced</th><th scope="col">untested</th><th scope="col">of</th><th scope="col">excluded apart</th></tr></thead><tbody>${row('MUST', c.must)}${row('SHOULD', c.should)}</tbody></table>
${list}
</section>`;
}

export function toHtml(report: Report): string {
  const suites = [...new Set(report.checks.map((c) => c.suite))];
  const levelName = report.level > 0 ? `L${report.level}` : 'none';
  const badgeState = report.level > 0 ? 'success' : 'failure';
  const counts = Object.entries(report.summary)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${verdictBadge(v)} ${n}`)
    .join(' ');
  const levels = report.levels
    .map((l) => `<tr><th scope="row">L${l.level} ${esc(l.name)}</th><td><span class="badge s-${esc(l.state)}">${esc(l.state)}</span></td><td>${esc(l.reason)}</td></tr>`)
    .join('');
  const problems = report.checks.filter((c) => PROBLEMS.has(c.verdict));
  const body = `<header>
<div class="row">
<div class="level s-${badgeState}" role="img" aria-label="achieved level ${esc(levelName)}"><small>achieved level</small>${esc(levelName)}</div>
<div>
<h1>proxyspec report: ${esc(report.target.name)}${report.target.version ? ` ${esc(report.target.version)}` : ''}</h1>
<p class="meta">${esc(report.target.url)} · ${esc(report.target.kind)} · ${esc(report.target.upstream)} upstream · features: ${report.target.features.map(esc).join(', ') || 'none'}</p>
<p class="meta">spec ${esc(report.spec)} · proxyspec ${esc(report.harness.version)} · ${esc(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · ${esc(report.machine.cpuModel)} × ${report.machine.cpus}, Node ${esc(report.machine.node)}</p>
</div></div>
${headline(report).map((l) => `<p class="headline"><strong>${esc(l)}</strong></p>`).join('\n')}
</header>
<section aria-labelledby="h-levels"><h2 id="h-levels">Levels</h2>
<table><thead><tr><th scope="col">level</th><th scope="col">state</th><th scope="col">why</th></tr></thead><tbody>${levels}</tbody></table>
<p>${report.requiredLevel ? `Gate L${report.requiredLevel}: <strong class="${report.gate.passed ? 'v-pass' : 'v-fail'}">${report.gate.passed ? 'passed' : 'failed'}</strong>${report.gate.reasons.length ? ` — ${report.gate.reasons.map(esc).join('; ')}` : ''}` : 'No gate was required.'}</p>
<p>${counts}</p>
</section>
<section aria-labelledby="h-checks"><h2 id="h-checks">Checks</h2>
<div class="toolbar" role="group" aria-label="filter checks">
<button type="button" data-filter="all" aria-pressed="true">all ${report.checks.length}</button>
<button type="button" data-filter="problems" aria-pressed="false">problems ${problems.length}</button>
<button type="button" data-expand>expand problems</button>
</div>
<nav aria-label="suites"><p>${suites.map((s) => `<a href="#suite-${esc(s)}">${esc(s)}</a>`).join(' · ')}</p></nav>
</section>
${suites.map((s) => suiteTable(s, report.checks.filter((c) => c.suite === s))).join('\n')}
${report.coverage ? coverageSection(report.coverage) : ''}
${report.target.logs.stderr ? `<section aria-labelledby="h-logs"><h2 id="h-logs">Target stderr</h2><pre>${esc(report.target.logs.stderr)}</pre></section>` : ''}`;
  return page(`proxyspec: ${report.target.name} — ${levelName}`, body, FILTER_SCRIPT);
}
