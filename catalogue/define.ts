/**
 * How a check is declared: one object per check, in `catalogue/checks/<suite>.ts`. A leaf module (no
 * vitest, nothing of the harness), so that `list`, the README's tables and the reports can read every
 * declaration without loading a test runner. A check's suite is the first part of its id, and its
 * strength the first keyword of its title: neither is written twice.
 */
import { MECHANISMS, revisionsWith, type Mechanism } from '../wire/index.ts';
import { SUITES, type CheckDef, type SpecRef, type Strength, type SuiteName } from './types.ts';

/** A check as its declaration states it: what it needs of a revision, not a list of revisions; no suite or strength, which follow from its id and title. */
export type CheckDeclaration = Omit<CheckDef, 'revisions' | 'needs' | 'suite' | 'strength'> & {
  /** The protocol mechanisms the check's scenario uses; it applies to every revision that has them all. */
  needs: readonly Mechanism[];
};

/** The suite a check id names: `<suite>/<slug>`. */
export function suiteOf(id: string): SuiteName {
  const suite = id.split('/')[0];
  if (!(SUITES as readonly string[]).includes(suite) || !/^[a-z]+\/[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) throw new Error(`check ${id}: an id is <suite>/<kebab-slug> with a known suite`);
  return suite as SuiteName;
}

/** The first RFC 2119 keyword of a title: the check's strength. */
export function strengthOf(id: string, title: string): Strength {
  const keyword = /\b(MUST|SHOULD)\b/.exec(title)?.[1];
  if (!keyword) throw new Error(`check ${id}: its title names no MUST or SHOULD`);
  return keyword as Strength;
}

/** A suite's checks, with suite, strength and the revisions each applies to worked out, frozen: ids, levels and requirements never change at run time. */
export function defineChecks(declarations: readonly CheckDeclaration[]): readonly CheckDef[] {
  return Object.freeze(
    declarations.map((d) => {
      for (const m of d.needs) if (!(m in MECHANISMS)) throw new Error(`check ${d.id} needs the unknown mechanism ${m}`);
      const revisions = revisionsWith(d.needs);
      if (revisions.length === 0) throw new Error(`check ${d.id} needs ${d.needs.join(', ')}, which no revision has together`);
      if (d.provenBy.length === 0) throw new Error(`check ${d.id} names no defect that proves it can fail`);
      for (const proof of d.provenBy) {
        const outside = proof.revisions.filter((r) => !revisions.includes(r));
        if (proof.revisions.length === 0 || outside.length > 0) throw new Error(`check ${d.id} is proven by ${proof.defect} in ${outside.join(', ') || 'no revision'}, where it is not judged`);
      }
      if (!/^[a-z]+\/[a-z0-9.-]+\.test\.ts$/.test(d.scenario)) throw new Error(`check ${d.id}: its scenario is a suite file, <suite>/<name>.test.ts`);
      return Object.freeze({ ...d, suite: suiteOf(d.id), strength: strengthOf(d.id, d.title), revisions });
    }),
  );
}

/** A property of the compliance model (README, "Level N …"), cited where MCP says it in no MUST. */
function levelRef(anchor: string): (requirement: string, quote: string) => SpecRef {
  return (requirement, quote) => ({ requirement, revision: 'proxyspec', url: `README.md#${anchor}`, quote, strength: 'MUST' });
}

/**
 * Level 1 ("Level 1 Basic"), where MCP says only that a server MAY do what a proxy must then relay (a
 * notification before the result, a message on the GET stream, a stream closed early), or an older
 * revision lacks the sentence.
 */
export const level1Ref = levelRef('level-1-basic');
/** Level 2 ("Level 2 Production"), in a revision where MCP does not say it in a MUST. */
export const level2Ref = levelRef('level-2-production');
/** Level 3 ("Level 3 Enterprise"), where MCP itself says nothing. */
export const level3Ref = levelRef('level-3-enterprise');
