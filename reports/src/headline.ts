/**
 * What a reader must see before anything else: where the target stopped relaying (the checks after
 * it are blocked, not failed), and what to add to the profile so that untested checks can be judged.
 * The terminal summary, summary.md and index.html all open with these lines.
 */
import type { Report } from './schema.ts';

export function headline(report: Report): string[] {
  const lines: string[] = [];
  if (report.relay && !report.relay.ok) {
    lines.push(report.relay.message);
    // The checks at work when it stopped can be left out, so that the rest is judged.
    const culprits = report.relay.stoppedAfter;
    if (culprits.length) lines.push(`To judge the other checks, run again with --exclude ${culprits.join(',')} (and fix what broke the relay).`);
  }
  for (const c of report.checks) if (c.verdict === 'untested') lines.push(`${c.id} is ${c.message}`);
  return lines;
}
