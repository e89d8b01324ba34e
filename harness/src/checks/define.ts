/**
 * How a suite declares its checks: one object per check, in `suites/<suite>/checks.ts` beside the
 * scenarios that judge it. A leaf module (no vitest), so that `list`, the README table and the reports
 * can read every declaration without loading a test runner.
 */
import { MECHANISMS, revisionsWith, type Mechanism } from '../../../wire/index.ts';
import type { CheckDef, SpecRef } from './types.ts';

/** A check as its suite declares it: what it needs of a revision, not a list of revisions. */
export type CheckDeclaration = Omit<CheckDef, 'revisions' | 'needs'> & {
  /** The protocol mechanisms the check's scenario uses; it applies to every revision that has them all. */
  needs: readonly Mechanism[];
};

/** A suite's checks, with the revisions each applies to worked out from its needs, frozen: ids, levels and requirements never change at run time. */
export function defineChecks(declarations: readonly CheckDeclaration[]): readonly CheckDef[] {
  return Object.freeze(
    declarations.map((d) => {
      for (const m of d.needs) if (!(m in MECHANISMS)) throw new Error(`check ${d.id} needs the unknown mechanism ${m}`);
      const revisions = revisionsWith(d.needs);
      if (revisions.length === 0) throw new Error(`check ${d.id} needs ${d.needs.join(', ')}, which no revision has together`);
      return Object.freeze({ ...d, revisions });
    }),
  );
}

/** A Level 3 property as the compliance model states it (README, "Level 3 Enterprise"), where MCP itself says nothing. */
export function level3Ref(requirement: string, quote: string): SpecRef {
  return { requirement, revision: 'proxyspec', url: 'README.md#level-3-enterprise', quote, strength: 'MUST' };
}
