/** Where a run's time went: the scenario records summed per suite. */
import { describe, expect, test } from 'vitest';
import { suiteTimes } from '../src/run/aggregate.ts';

const scenario = (checks: string[], startedAt: number, endedAt: number) => ({ kind: 'scenario' as const, title: checks[0], checks, startedAt, endedAt, results: [] });

describe('time per suite', () => {
  test('each suite gets its scenarios\' summed time and wall span (side-by-side scenarios overlap), slowest first', () => {
    expect(
      suiteTimes([
        scenario(['session/idle-reaped'], 1000, 13000),
        scenario(['transparency/request-body-unchanged', 'transparency/response-body-unchanged'], 1000, 3000),
        scenario(['transparency/progress-streamed'], 2000, 5000),
      ]),
    ).toEqual([
      { suite: 'session', scenarios: 1, scenarioMs: 12000, wallMs: 12000 },
      { suite: 'transparency', scenarios: 2, scenarioMs: 5000, wallMs: 4000 },
    ]);
    expect(suiteTimes([])).toEqual([]);
  });
});
