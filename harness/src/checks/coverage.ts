/**
 * How much of a revision's catalogue the checks judge. For every requirement that concerns a proxy
 * and is observable on the wire: the checks that cite it (and apply to the revision), or a reviewed
 * exclusion with its reason (catalogue/requirements/<revision>.exclusions.yaml), or `untested`.
 */
import { z } from 'zod';
import type { Revision } from '../../../wire/index.ts';
import { CHECKS } from '../../../catalogue/index.ts';
import { catalogueFile, requirementsOf, specUrl, type Requirement } from '../../../catalogue/requirements.ts';

export type CoverageState = 'traced' | 'excluded' | 'untested';

export interface CoverageRow {
  id: string;
  strength: string;
  quote: string;
  url: string;
  state: CoverageState;
  /** The checks that cite the requirement and apply to the revision. */
  checks: string[];
  /** Why no check judges it, for an excluded requirement. */
  reason?: string;
}

export interface CoverageCounts {
  total: number;
  traced: number;
  excluded: number;
  untested: number;
}

export interface Coverage {
  revision: Revision;
  must: CoverageCounts;
  should: CoverageCounts;
  rows: CoverageRow[];
}

const ExclusionsSchema = z.array(z.strictObject({ id: z.string().min(1), reason: z.string().min(10) }));

/** The reviewed exclusions of a revision (none when it has no file); an exclusion of an unknown requirement is an error. */
export function exclusionsOf(revision: Revision): Map<string, string> {
  const list = ExclusionsSchema.parse(catalogueFile(revision).exclusions);
  const known = requirementsOf(revision);
  for (const e of list) if (!known.has(e.id)) throw new Error(`${revision}.exclusions.yaml excludes ${e.id}, which the catalogue does not have`);
  return new Map(list.map((e) => [e.id, e.reason]));
}

/** MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT. */
export const isMustStrength = (strength: string) => /^(MUST|REQUIRED|SHALL)/.test(strength);
const isMust = (r: Requirement) => isMustStrength(r.strength);
const isShould = (r: Requirement) => /^(SHOULD|RECOMMENDED)/.test(r.strength);
/** A requirement a proxy's behaviour on the wire can show: it concerns the proxy, and it is observable. */
const inScope = (r: Requirement) => r.proxy !== 'n/a' && r.observable === 'yes';

function count(rows: CoverageRow[]): CoverageCounts {
  return {
    total: rows.length,
    traced: rows.filter((r) => r.state === 'traced').length,
    excluded: rows.filter((r) => r.state === 'excluded').length,
    untested: rows.filter((r) => r.state === 'untested').length,
  };
}

export function coverageOf(revision: Revision): Coverage {
  const exclusions = exclusionsOf(revision);
  const citing = new Map<string, Array<{ id: string; must: boolean }>>();
  for (const check of CHECKS) {
    // A check that does not apply to this revision traces nothing there.
    if (!check.revisions.includes(revision)) continue;
    for (const id of check.requirements) citing.set(id, [...(citing.get(id) ?? []), { id: check.id, must: check.strength === 'MUST' }]);
  }
  const rows: CoverageRow[] = [];
  const musts: CoverageRow[] = [];
  const shoulds: CoverageRow[] = [];
  for (const r of requirementsOf(revision).values()) {
    if (!inScope(r) || !(isMust(r) || isShould(r))) continue;
    // Traced only by a check at least as strong: a SHOULD check's warn cannot stand for a MUST.
    const checks = (citing.get(r.id) ?? []).filter((c) => c.must || !isMust(r)).map((c) => c.id);
    const reason = exclusions.get(r.id);
    const row: CoverageRow = { id: r.id, strength: r.strength, quote: r.quote, url: specUrl(revision, r.page, r.anchor), state: checks.length ? 'traced' : reason ? 'excluded' : 'untested', checks, ...(reason && !checks.length && { reason }) };
    rows.push(row);
    (isMust(r) ? musts : shoulds).push(row);
  }
  return { revision, must: count(musts), should: count(shoulds), rows };
}

/** The MUSTs no check judges and no reviewed reason excludes. */
export function untestedMusts(c: Coverage): CoverageRow[] {
  return c.rows.filter((r) => r.state === 'untested' && isMustStrength(r.strength));
}

/** The share traced: excluded requirements are shown apart, never counted as judged. */
export const tracedPercent = (c: CoverageCounts) => (c.total === 0 ? '—' : `${Math.round((100 * c.traced) / c.total)} %`);

/** One line per strength: how many a check judges (the headline), then apart those excluded with a reason and those untested. */
export function coverageSummary(c: Coverage): string[] {
  return (['must', 'should'] as const).map((k) => {
    const n = c[k];
    return `${k === 'must' ? 'MUST  ' : 'SHOULD'} ${n.traced} of ${n.total} traced to a check (${tracedPercent(n)}); apart from those, ${n.excluded} excluded with a reason and ${n.untested} untested`;
  });
}

export function coverageText(c: Coverage): string {
  const lines = [`Coverage of MCP ${c.revision}: ${tracedPercent(c.must)} of the MUSTs that concern a proxy and show on the wire are traced to a check`, ...coverageSummary(c), '', 'Untested MUSTs:'];
  for (const r of untestedMusts(c)) lines.push(`  ${r.id.padEnd(44)} ${r.quote.slice(0, 110)}`);
  return `${lines.join('\n')}\n`;
}

export function coverageMarkdown(c: Coverage): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`## Coverage of MCP ${c.revision}`, '', ...coverageSummary(c).map((l) => `- ${l}`), '', '| requirement | strength | state | checks or reason |', '|---|---|---|---|'];
  for (const r of c.rows) lines.push(`| [${r.id}](${r.url}) | ${r.strength} | ${r.state} | ${cell(r.checks.length ? r.checks.map((x) => `\`${x}\``).join(', ') : (r.reason ?? ''))} |`);
  return `${lines.join('\n')}\n`;
}
