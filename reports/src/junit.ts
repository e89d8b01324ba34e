/**
 * JUnit XML for CI test tabs: one testcase per check, named by its id. fail → failure,
 * error → error, n/a and skipped → skipped, blocked and untested → skipped with the reason; pass and
 * warn pass
 * (a warn is a SHOULD not met, reported in system-out).
 */
import type { Report } from './schema.ts';

function esc(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function toJunit(report: Report): string {
  const suites = [...new Set(report.checks.map((c) => c.suite))];
  const body = suites
    .map((suite) => {
      const checks = report.checks.filter((c) => c.suite === suite);
      const count = (v: string) => checks.filter((c) => c.verdict === v).length;
      const cases = checks
        .map((c) => {
          const detail = [c.message, c.expected && `expected: ${c.expected}`, c.observed && `observed: ${c.observed}`, ...c.specRefs.map((r) => `${r.url} — "${r.quote}"`)]
            .filter(Boolean)
            .join('\n');
          const time = (c.durationMs / 1000).toFixed(3);
          const open = `    <testcase classname="proxyspec.${esc(suite)}" name="${esc(c.id)}" time="${time}">`;
          switch (c.verdict) {
            case 'fail':
              return `${open}\n      <failure message="${esc(c.message)}" type="${c.strength}">${esc(detail)}</failure>\n    </testcase>`;
            case 'error':
              return `${open}\n      <error message="${esc(c.message)}">${esc(detail)}</error>\n    </testcase>`;
            case 'n/a':
            case 'skipped':
            case 'blocked':
            case 'untested':
              return `${open}\n      <skipped message="${esc(`${c.verdict}: ${c.message}`)}"/>\n    </testcase>`;
            case 'warn':
              return `${open}\n      <system-out>${esc(`warn (SHOULD not met): ${detail}`)}</system-out>\n    </testcase>`;
            default:
              return `${open}</testcase>`;
          }
        })
        .join('\n');
      const skipped = count('n/a') + count('skipped') + count('blocked') + count('untested');
      return `  <testsuite name="${esc(suite)}" tests="${checks.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${skipped}">\n${cases}\n  </testsuite>`;
    })
    .join('\n');
  const total = report.checks.length;
  const failures = report.checks.filter((c) => c.verdict === 'fail').length;
  const errors = report.checks.filter((c) => c.verdict === 'error').length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="proxyspec ${esc(report.target.name)}" tests="${total}" failures="${failures}" errors="${errors}" time="${(report.durationMs / 1000).toFixed(3)}">\n${body}\n</testsuites>\n`;
}
