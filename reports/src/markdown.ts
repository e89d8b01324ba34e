/**
 * summary.md: the report for humans in a CI step summary. Level states first, then what did not pass
 * with expected vs observed and the spec sentence, then every check in one table.
 */
import { headline } from './headline.ts';
import { oneLine } from './terminal.ts';
import type { CheckReport, Report } from './schema.ts';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', warn: '⚠️', 'n/a': '➖', skipped: '⏭️', blocked: '⛔', untested: '❔', error: '💥' };
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(report: Report): string {
  const first = headline(report);
  const lines: string[] = first.length ? [...first.map((l) => `> **${oneLine(l)}**`), ''] : [];
  lines.push(`# proxyspec: ${report.target.name}${report.target.version ? ` ${report.target.version}` : ''}`);
  lines.push('');
  lines.push(`**Achieved level: ${report.level === 0 ? 'none' : `L${report.level} ${report.levels[report.level - 1].name}`}** · spec ${report.spec} · ${report.checks.length} checks in ${(report.durationMs / 1000).toFixed(1)} s`);
  if (report.requiredLevel) lines.push(`\nGate (require L${report.requiredLevel}): **${report.gate.passed ? 'passed' : 'failed'}**${report.gate.reasons.length ? ` — ${report.gate.reasons.join('; ')}` : ''}`);
  lines.push('');
  lines.push('| level | state | why |');
  lines.push('|---|---|---|');
  for (const l of report.levels) lines.push(`| L${l.level} ${l.name} | ${l.state} | ${cell(l.reason)} |`);
  lines.push('');
  lines.push(`Verdicts: ${Object.entries(report.summary).filter(([, n]) => n > 0).map(([v, n]) => `${ICON[v] ?? ''} ${v} ${n}`).join(' · ')}`);

  const notPassed = report.checks.filter((c) => ['fail', 'warn', 'error', 'blocked', 'untested'].includes(c.verdict));
  if (notPassed.length) {
    lines.push('', '## Not passed', '');
    for (const c of notPassed) lines.push(...detail(c));
  }
  lines.push('', '## All checks', '', '| check | level | strength | verdict | message |', '|---|---|---|---|---|');
  for (const c of report.checks) {
    lines.push(`| \`${c.id}\` | L${c.level} | ${c.strength} | ${ICON[c.verdict] ?? ''} ${c.verdict}${c.baseline ? ` (${c.baseline})` : ''} | ${cell(c.message).slice(0, 200)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function detail(c: CheckReport): string[] {
  // Wire text on one line each, so that a raw stream or page cannot break the list apart.
  const out = [`### ${ICON[c.verdict] ?? ''} \`${c.id}\` — ${c.verdict}${c.baseline ? ` (${c.baseline})` : ''}`, '', c.title, '', `- ${oneLine(c.message)}`];
  if (c.expected) out.push(`- expected: ${oneLine(c.expected)}`);
  if (c.observed) out.push(`- observed: ${oneLine(c.observed)}`);
  for (const ref of c.specRefs) out.push(`- spec: [${ref.requirement}](${ref.url}) — “${ref.quote}”`);
  out.push('');
  return out;
}
