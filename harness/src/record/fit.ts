/**
 * A straight line through measurements, with how far to trust its slope: least squares, and the
 * slope's standard error from the residuals. Used wherever a per-unit figure is derived from a
 * trend (memory per session), so that one garbage collection does not decide it, and so that a
 * trend the noise could have drawn is said to be one.
 */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Standard error of the slope (0 with two points, where nothing is left to estimate it from). */
  slopeStdErr: number;
}

export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return { slope: 0, intercept: 0, slopeStdErr: Infinity };
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  if (sxx === 0) return { slope: 0, intercept: my, slopeStdErr: Infinity };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let residuals = 0;
  for (let i = 0; i < n; i++) residuals += (ys[i] - (intercept + slope * xs[i])) ** 2;
  const slopeStdErr = n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : 0;
  return { slope, intercept, slopeStdErr };
}

/** Least-squares slope of ys against 0, 1, 2, … */
export function slope(ys: readonly number[]): number {
  return fitLine(ys.map((_, i) => i), ys).slope;
}

/**
 * Whether a fitted slope is a figure or noise: it must be positive and at least twice its standard
 * error (the noise could not have drawn it by chance, at about 95 %), from three points or more.
 */
export function measurable(fit: LineFit, points: number): boolean {
  return points >= 3 && fit.slope > 0 && Number.isFinite(fit.slopeStdErr) && fit.slope >= 2 * fit.slopeStdErr;
}
