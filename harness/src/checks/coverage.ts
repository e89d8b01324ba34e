/**
 * How much of a revision's catalogue the checks judge. For every requirement that concerns a proxy
 * and is observable on the wire: the checks that cite it (and apply to the revision), or a reviewed
 * exclusion of one of three kinds (catalogue/requirements/<revision>.exclusions.yaml), or `untested`.
 * The share traced is out of the requirements no exclusion removes: an exclusion says the
 * requirement is not a proxy's to meet in a way the wire shows, so it leaves the count, and is
 * shown apart; it is never counted as judged.
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
  /** The kind of exclusion, for an excluded requirement. */
  exclusion?: ExclusionKind;
}

export interface CoverageCounts {
  total: number;
  traced: number;
  excluded: number;
  untested: number;
  /** Those a proxy owes and the wire shows: total less excluded; the share traced is out of these. */
  judgeable: number;
}

export interface Coverage {
  revision: Revision;
  must: CoverageCounts;
  should: CoverageCounts;
  rows: CoverageRow[];
}

/**
 * The only reasons a requirement may be left out of the count:
 * - `removed`: the revision dropped what it asks (the reason cites the changelog item);
 * - `not-a-proxy-duty`: it binds a party a proxy never plays (the reason says which);
 * - `unobservable`: neither the client's leg nor the upstream's can show it (the reason says what
 *   would have to be seen).
 * "Covered in bulk" is not one (the check cites the requirement instead), nor is "no scenario yet"
 * (the requirement stays untested).
 */
export const EXCLUSION_KINDS = ['removed', 'not-a-proxy-duty', 'unobservable'] as const;
export type ExclusionKind = (typeof EXCLUSION_KINDS)[number];

export interface Exclusion {
  id: string;
  kind: ExclusionKind;
  reason: string;
}

const ExclusionsSchema = z.array(
  z
    .strictObject({ id: z.string().min(1), kind: z.enum(EXCLUSION_KINDS), reason: z.string().min(40) })
    .refine((e) => e.kind !== 'removed' || /changelog/i.test(e.reason), { message: 'a `removed` exclusion cites the changelog item that removed it' }),
);

/** The reviewed exclusions of a revision (none when it has no file); an exclusion of an unknown requirement, or of another kind, is an error. */
export function exclusionsOf(revision: Revision): Map<string, Exclusion> {
  return parseExclusions(revision, catalogueFile(revision).exclusions);
}

/** A revision's exclusions as its file gives them, checked: one of the three kinds, and a requirement the catalogue has. */
export function parseExclusions(revision: Revision, exclusions: unknown): Map<string, Exclusion> {
  const parsed = ExclusionsSchema.safeParse(exclusions);
  if (!parsed.success) throw new Error(`${revision}.exclusions.yaml: ${z.prettifyError(parsed.error)}`);
  const known = requirementsOf(revision);
  for (const e of parsed.data) if (!known.has(e.id)) throw new Error(`${revision}.exclusions.yaml excludes ${e.id}, which the catalogue does not have`);
  return new Map(parsed.data.map((e) => [e.id, e]));
}

/** MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT. */
export const isMustStrength = (strength: string) => /^(MUST|REQUIRED|SHALL)/.test(strength);
const isMust = (r: Requirement) => isMustStrength(r.strength);
const isShould = (r: Requirement) => /^(SHOULD|RECOMMENDED)/.test(r.strength);
/** A requirement a proxy's behaviour on the wire can show: it concerns the proxy, and it is observable. */
const inScope = (r: Requirement) => r.proxy !== 'n/a' && r.observable === 'yes';

function count(rows: CoverageRow[]): CoverageCounts {
  const excluded = rows.filter((r) => r.state === 'excluded').length;
  return {
    total: rows.length,
    traced: rows.filter((r) => r.state === 'traced').length,
    excluded,
    untested: rows.filter((r) => r.state === 'untested').length,
    judgeable: rows.length - excluded,
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
    const exclusion = exclusions.get(r.id);
    const row: CoverageRow = {
      id: r.id,
      strength: r.strength,
      quote: r.quote,
      url: specUrl(revision, r.page, r.anchor),
      state: checks.length ? 'traced' : exclusion ? 'excluded' : 'untested',
      checks,
      ...(exclusion && !checks.length && { reason: exclusion.reason, exclusion: exclusion.kind }),
    };
    rows.push(row);
    (isMust(r) ? musts : shoulds).push(row);
  }
  return { revision, must: count(musts), should: count(shoulds), rows };
}

/** The MUSTs no check judges and no reviewed reason excludes. */
export function untestedMusts(c: Coverage): CoverageRow[] {
  return c.rows.filter((r) => r.state === 'untested' && isMustStrength(r.strength));
}

/** The share traced, out of the requirements no exclusion removes: excluded ones are shown apart, never counted as judged. */
export const tracedPercent = (c: CoverageCounts) => (c.judgeable === 0 ? '—' : `${Math.round((100 * c.traced) / c.judgeable)} %`);

/** One line per strength: how many a check judges, out of those a proxy owes on the wire (the headline); then those untested, and apart those excluded. */
export function coverageSummary(c: Coverage): string[] {
  return (['must', 'should'] as const).map((k) => {
    const n = c[k];
    return `${k === 'must' ? 'MUST  ' : 'SHOULD'} ${n.traced} of ${n.judgeable} traced to a check (${tracedPercent(n)}), ${n.untested} untested; apart from those, ${n.excluded} excluded (not a proxy's duty, unobservable or removed)`;
  });
}

export function coverageText(c: Coverage): string {
  const lines = [`Coverage of MCP ${c.revision}: ${tracedPercent(c.must)} of the MUSTs a proxy owes and the wire shows are traced to a check`, ...coverageSummary(c), '', 'Untested MUSTs:'];
  for (const r of untestedMusts(c)) lines.push(`  ${r.id.padEnd(44)} ${r.quote.slice(0, 110)}`);
  return `${lines.join('\n')}\n`;
}

export function coverageMarkdown(c: Coverage): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`## Coverage of MCP ${c.revision}`, '', ...coverageSummary(c).map((l) => `- ${l}`), '', '| requirement | strength | state | checks or reason |', '|---|---|---|---|'];
  for (const r of c.rows) lines.push(`| [${r.id}](${r.url}) | ${r.strength} | ${r.state}${r.exclusion ? ` (${r.exclusion})` : ''} | ${cell(r.checks.length ? r.checks.map((x) => `\`${x}\``).join(', ') : (r.reason ?? ''))} |`);
  return `${lines.join('\n')}\n`;
}
