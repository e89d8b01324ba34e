/** A per-unit figure from a trend, and when the trend is noise. */
import { describe, expect, test } from 'vitest';
import { fitLine, measurable, slope } from '../src/record/fit.ts';

describe('fitting a line', () => {
  test('a clean trend is measured, its slope exact and its spread nil', () => {
    const xs = [2000, 4000, 6000, 8000, 10000];
    const fit = fitLine(xs, xs.map((x) => 50e6 + 8 * 1024 * x));
    expect(fit.slope).toBeCloseTo(8192, 6);
    expect(fit.slopeStdErr).toBeCloseTo(0, 6);
    expect(measurable(fit, xs.length)).toBe(true);
  });

  test('readings that garbage collection moves more than the sessions do are not measurable, whatever their slope', () => {
    const xs = [2000, 4000, 6000, 8000, 10000];
    // Resident memory that falls and rises by megabytes: a slope of a few hundred bytes, drawn by the noise.
    const ys = [60e6, 52e6, 63e6, 55e6, 61e6];
    const fit = fitLine(xs, ys);
    expect(measurable(fit, xs.length)).toBe(false);
    // Falling memory is no figure either.
    expect(measurable(fitLine(xs, [60e6, 59e6, 58e6, 57e6, 56e6]), 5)).toBe(false);
    // Two points leave nothing to judge the spread by.
    expect(measurable(fitLine([1, 2], [1, 2]), 2)).toBe(false);
  });

  test('slope() fits against 0, 1, 2, …', () => {
    expect(slope([1, 3, 5, 7])).toBeCloseTo(2, 9);
  });
});
