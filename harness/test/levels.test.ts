/** Level computation and the gate, on hand-made verdicts. */
import { describe, expect, test } from 'vitest';
import { computeLevels } from '../src/levels/compute.ts';

const c = (level: number, verdict: string, strength: 'MUST' | 'SHOULD' = 'MUST') => ({ level, verdict, strength });

describe('levels', () => {
  test('L1 success when every L1 MUST passed; levels without checks are untested and not achieved', () => {
    const { levels, achieved } = computeLevels([c(1, 'pass'), c(1, 'n/a')], []);
    expect(levels.map((l) => l.state)).toEqual(['success', 'untested', 'untested']);
    expect(achieved).toBe(1);
  });

  test('a failed MUST fails its level and every level above', () => {
    const { levels, achieved } = computeLevels([c(1, 'fail'), c(2, 'pass'), c(3, 'pass')], ['auth', 'rate-limit', 'policy', 'metrics']);
    expect(levels.map((l) => l.state)).toEqual(['failure', 'failure', 'failure']);
    expect(achieved).toBe(0);
  });

  test('a SHOULD not met (warn) does not stop a level', () => {
    expect(computeLevels([c(1, 'pass'), c(1, 'warn', 'SHOULD')], []).achieved).toBe(1);
  });

  test('skipped, blocked or errored MUST checks make a level partial', () => {
    for (const verdict of ['skipped', 'blocked', 'error']) {
      const { levels, achieved } = computeLevels([c(1, 'pass'), c(1, verdict)], []);
      expect(levels[0].state).toBe('partial');
      expect(achieved).toBe(0);
    }
  });

  test('an untested check of either strength keeps its level and those above from success, and the reason names it', () => {
    for (const strength of ['MUST', 'SHOULD'] as const) {
      const { levels, achieved } = computeLevels([c(1, 'pass'), { id: 'errors/upstream-timeout-attributable', level: 1, verdict: 'untested', strength }, c(2, 'pass')], ['auth']);
      expect(levels.map((l) => l.state)).toEqual(['partial', 'partial', 'untested']);
      expect(levels[0].reason).toMatch(/1 check untested .*errors\/upstream-timeout-attributable/);
      expect(achieved).toBe(0);
    }
  });

  test('an untested L2 check leaves L1 achieved and L2 partial', () => {
    const { levels, achieved } = computeLevels([c(1, 'pass'), c(2, 'pass'), { id: 'session/idle-reaped', level: 2, verdict: 'untested', strength: 'MUST' }], ['auth']);
    expect(levels.map((l) => l.state)).toEqual(['success', 'partial', 'untested']);
    expect(achieved).toBe(1);
  });

  test('a failed MUST outweighs an untested check', () => {
    expect(computeLevels([c(1, 'fail'), c(1, 'untested')], []).levels[0].state).toBe('failure');
  });

  test('a level that needs an unclaimed feature is not achieved, and says which feature', () => {
    const { levels, achieved } = computeLevels([c(1, 'pass'), c(2, 'pass')], []);
    expect(levels[1].state).toBe('failure');
    expect(levels[1].missingFeatures).toEqual(['auth']);
    expect(levels[1].reason).toMatch(/auth/);
    expect(achieved).toBe(1);
  });
});
