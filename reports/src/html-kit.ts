/**
 * What the HTML pages share: escaping, the page shell (inline CSS for light, dark and print; inline
 * script), badges. Every page is one self-contained file: no network, no CDN, nothing to install.
 */

export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An id usable as an HTML id and URL fragment. */
export function anchor(id: string): string {
  return `c-${id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

export const VERDICT_ICON: Record<string, string> = {
  pass: '✓',
  fail: '✗',
  warn: '!',
  'n/a': '–',
  skipped: '⤼',
  blocked: '⊘',
  untested: '?',
  error: '⚠',
};

export function verdictBadge(verdict: string): string {
  return `<span class="badge v-${esc(verdict.replace('/', ''))}"><span aria-hidden="true">${VERDICT_ICON[verdict] ?? '?'}</span> ${esc(verdict)}</span>`;
}

const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--na:#6e7781;--error:#8250df;--accent:#0969da;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--panel:#161b22;--pass:#3fb950;--fail:#f85149;--warn:#d29922;--na:#8b949e;--error:#a371f7;--accent:#4493f8}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px}h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.25rem;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:1.05rem;margin:16px 0 6px}
a{color:var(--accent)}code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}pre{white-space:pre-wrap;word-break:break-word;background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px;margin:4px 0;max-height:360px;overflow:auto}
.meta{color:var(--muted);margin:0}.row{display:flex;flex-wrap:wrap;gap:16px;align-items:center}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}th{font-weight:600;background:var(--panel)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:999px;padding:0 8px;font-size:12px;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.v-pass,.s-success{color:var(--pass)}.v-fail,.s-failure{color:var(--fail)}.v-warn,.s-partial{color:var(--warn)}.v-na,.v-skipped,.v-untested,.s-untested{color:var(--na)}.v-blocked,.v-error{color:var(--error)}
.level{font-size:2.4rem;font-weight:700;border:3px solid currentColor;border-radius:12px;padding:4px 18px;line-height:1.2}
.level small{display:block;font-size:.8rem;font-weight:500}
button.toggle{font:inherit;background:none;border:0;color:var(--accent);cursor:pointer;padding:0;text-align:left}button.toggle::before{content:"▸ ";display:inline-block;width:1em}button.toggle[aria-expanded=true]::before{content:"▾ "}
button:focus-visible,a:focus-visible,summary:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
tr.detail>td{background:var(--panel);padding:12px 16px}.js tr.detail[hidden]{display:none}
.legs{display:grid;grid-template-columns:1fr 1fr;gap:12px}@media (max-width:800px){.legs{grid-template-columns:1fr}}
.ev{border-left:3px solid var(--line);padding-left:8px;margin:6px 0}.ev.client{border-color:var(--accent)}.ev.upstream{border-color:var(--warn)}
.ev summary{cursor:pointer}.t{color:var(--muted);font-variant-numeric:tabular-nums}
blockquote{margin:4px 0;padding:4px 12px;border-left:3px solid var(--line);color:var(--muted)}
.toolbar{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}.toolbar button{font:inherit;border:1px solid var(--line);background:var(--panel);color:var(--fg);border-radius:6px;padding:2px 10px;cursor:pointer}
.toolbar button[aria-pressed=true]{border-color:var(--accent);color:var(--accent)}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}svg .grid{stroke:var(--line)}svg .axis{stroke:var(--muted)}
.chart{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px;align-items:start}@media (max-width:900px){.chart{grid-template-columns:1fr}}
@media print{body{font-size:11px}.toolbar,button.toggle::before{display:none}tr.detail[hidden]{display:table-row!important}pre{max-height:none}main{max-width:none;padding:0}a{color:inherit}}
`;

export function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
<script>${TOGGLE_SCRIPT}${script}</script>
</body>
</html>
`;
}

/** Buttons with aria-controls open and close the row they name; printing opens them all. */
const TOGGLE_SCRIPT = `
document.documentElement.classList.add('js');
for (const b of document.querySelectorAll('button.toggle')) {
  const row = document.getElementById(b.getAttribute('aria-controls'));
  if (row) row.hidden = true;
  b.addEventListener('click', () => { const open = b.getAttribute('aria-expanded') !== 'true'; b.setAttribute('aria-expanded', String(open)); if (row) row.hidden = !open; });
}
window.addEventListener('beforeprint', () => { for (const r of document.querySelectorAll('tr.detail')) r.hidden = false; });
`;
