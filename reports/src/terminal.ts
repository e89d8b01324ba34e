/** The short summary printed at the end of `proxyspec run`. */
import { headline } from './headline.ts';
import type { Report } from './schema.ts';

const MARK: Record<string, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', 'n/a': 'N/A ', skipped: 'SKIP', blocked: 'BLKD', untested: 'UNTD', error: 'ERR ' };

/**
 * Wire text (a raw SSE stream, an HTML page, a body with control bytes) as one printable line: line
 * breaks shown as \\n, other control characters (an ANSI escape among them) as \\xNN, cut at `max`
 * characters. The JSON and HTML reports keep the text whole.
 */
export function oneLine(text: string, max = Infinity): string {
  const escaped = text.replace(/\r\n|\n|\r/g, '\\n').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length <= max ? escaped : `${escaped.slice(0, max - 1)}…`;
}

export function toTerminal(report: Report, options: { verbose?: boolean; outDir?: string } = {}): string {
  const lines: string[] = headline(report).map((l) => oneLine(l));
  lines.push(`proxyspec ${report.harness.version} — target ${report.target.name} (${report.target.url}), spec ${report.spec}`);
  for (const c of report.checks) {
    if (!options.verbose && ['n/a', 'skipped'].includes(c.verdict)) continue;
    lines.push(`  ${MARK[c.verdict]}  ${c.id}${c.verdict === 'pass' ? '' : ` — ${oneLine(c.message, 160)}`}`);
    if (['fail', 'warn'].includes(c.verdict) && c.observed) lines.push(`        observed: ${oneLine(c.observed, 200)}`);
  }
  const suites = report.suites?.filter((s) => s.scenarios > 0) ?? [];
  if (suites.length) {
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    lines.push('', `Time per suite (scenario time, slowest first; the run took ${seconds(report.durationMs)} in all):`);
    lines.push(`  ${suites.map((s) => `${s.suite} ${seconds(s.scenarioMs)}`).join(', ')}`);
  }
  lines.push('');
  for (const l of report.levels) lines.push(`  L${l.level} ${l.name.padEnd(10)} ${l.state}${l.state === 'success' ? '' : ` — ${l.reason}`}`);
  lines.push('', `Achieved level: ${report.level === 0 ? 'none' : `L${report.level}`} (${verdictCounts(report)})`);
  if (report.requiredLevel) lines.push(`Gate L${report.requiredLevel}: ${report.gate.passed ? 'passed' : `FAILED — ${report.gate.reasons.join('; ')}`}`);
  if (options.outDir) lines.push(`Reports: ${options.outDir}`);
  return `${lines.join('\n')}\n`;
}

/** "40 pass, 3 fail, 2 n/a": the verdicts a run gave, those it gave at all. */
export function verdictCounts(report: Report): string {
  return Object.entries(report.summary).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(', ');
}
