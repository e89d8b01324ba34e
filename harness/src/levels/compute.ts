/**
 * Compliance levels from verdicts. Cumulative: a level is `success` when every MUST check of it and of
 * the levels below passed and every check there was judged; `partial` when none failed but a MUST
 * was skipped, blocked or errored, or any check is untested (it applies, and a hint or fixture to
 * judge it is missing); `failure` when a MUST failed (or the level needs a feature the target does not
 * claim). A level with no check in this version of the harness is `untested` and cannot be achieved.
 */
import type { Feature, Level } from '../../../catalogue/types.ts';

export const LEVEL_NAMES: Record<Level, string> = { 1: 'Basic', 2: 'Production', 3: 'Enterprise' };

/** Features a target must claim to reach each level (cumulative). */
export const LEVEL_FEATURES: Record<Level, readonly Feature[]> = { 1: [], 2: ['auth'], 3: ['failover', 'circuit-breaker', 'resumability', 'rate-limit', 'metrics'] };

export interface LevelInput {
  id?: string;
  level: number;
  strength: 'MUST' | 'SHOULD';
  verdict: string;
}

export interface LevelOutcome {
  level: Level;
  name: string;
  state: 'success' | 'partial' | 'failure' | 'untested';
  missingFeatures: string[];
  reason: string;
  counts: Record<string, number>;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function computeLevels(checks: LevelInput[], claimed: readonly string[]): { levels: LevelOutcome[]; achieved: number } {
  const levels: LevelOutcome[] = [];
  let below: LevelOutcome | undefined;
  for (const level of [1, 2, 3] as Level[]) {
    const own = checks.filter((c) => c.level === level);
    const upTo = checks.filter((c) => c.level <= level);
    const musts = upTo.filter((c) => c.strength === 'MUST');
    const counts: Record<string, number> = {};
    for (const c of own) counts[c.verdict] = (counts[c.verdict] ?? 0) + 1;
    const missingFeatures = ([1, 2, 3] as Level[]).filter((l) => l <= level).flatMap((l) => LEVEL_FEATURES[l]).filter((f) => !claimed.includes(f));
    const name = LEVEL_NAMES[level];
    const failed = musts.filter((c) => c.verdict === 'fail');
    const unsettled = musts.filter((c) => ['skipped', 'blocked', 'error'].includes(c.verdict));
    // An untested check of either strength keeps its level from success: the level would claim a judgement nobody made.
    const untested = upTo.filter((c) => c.verdict === 'untested');
    let state: LevelOutcome['state'];
    let reason: string;
    if (own.length === 0) {
      state = 'untested';
      reason = 'this version of proxyspec has no checks for this level yet';
    } else if (below && below.state === 'untested') {
      state = 'untested';
      reason = `L${level - 1} is untested`;
    } else if (failed.length || missingFeatures.length) {
      // Both reasons when both hold: fixing the failed checks alone would not reach the level.
      state = 'failure';
      const parts = [];
      if (failed.length) parts.push(`${plural(failed.length, 'MUST check', 'MUST checks')} failed at this level or below`);
      if (missingFeatures.length) parts.push(`needs the feature${missingFeatures.length > 1 ? 's' : ''} ${missingFeatures.join(', ')}, which the target does not claim`);
      reason = parts.join('; ');
    } else if (unsettled.length || untested.length) {
      state = 'partial';
      const parts = [];
      if (unsettled.length) parts.push(`${plural(unsettled.length, 'MUST check was', 'MUST checks were')} skipped, blocked or errored`);
      if (untested.length) parts.push(`${plural(untested.length, 'check', 'checks')} untested (for want of a hint or fixture, or not judged in this revision yet)${untested.every((c) => c.id) ? ` (${untested.map((c) => c.id).join(', ')})` : ''}`);
      reason = parts.join('; ');
    } else if (musts.every((c) => c.verdict === 'n/a')) {
      state = 'partial';
      reason = 'no MUST check of this level applied to the target';
    } else {
      state = 'success';
      reason = 'every MUST check at this level and below passed';
    }
    below = { level, name, state, missingFeatures, reason, counts };
    levels.push(below);
  }
  let achieved = 0;
  for (const l of levels) {
    if (l.state !== 'success') break;
    achieved = l.level;
  }
  return { levels, achieved };
}
