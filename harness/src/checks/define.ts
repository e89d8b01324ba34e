/**
 * How a suite declares its checks: one object per check, in `suites/<suite>/checks.ts` beside the
 * scenarios that judge it. A leaf module (no vitest), so that `list`, the README table and the reports
 * can read every declaration without loading a test runner.
 */
import type { Revision } from '../wire/index.ts';
import type { CheckDef, SpecRef } from './types.ts';

/** The Streamable HTTP revisions with sessions, which every check of this version judges. */
export const STREAMABLE: readonly Revision[] = ['2025-03-26', '2025-06-18', '2025-11-25'];
/** The revisions whose clients send MCP-Protocol-Version after initialization. */
export const WITH_VERSION_HEADER: readonly Revision[] = ['2025-06-18', '2025-11-25'];

/** A suite's checks, frozen: ids, levels and requirements never change at run time. */
export function defineChecks<const T extends readonly CheckDef[]>(checks: T): T {
  for (const check of checks) Object.freeze(check);
  return Object.freeze(checks);
}

/** A Level 3 property as the compliance model states it (README, "Level 3 Enterprise"), where MCP itself says nothing. */
export function level3Ref(requirement: string, quote: string): SpecRef {
  return { requirement, revision: 'proxyspec', url: 'README.md#level-3-enterprise', quote, strength: 'MUST' };
}
