/** Small numeric helpers for the fit: least squares on one regressor, quantiles, a lognormal fit. */

export interface Line {
  interceptSec: number;
  slope: number;
}

export const sum = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0);
export const mean = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : sum(values) / values.length);

/**
 * Least squares y ≈ intercept + slope·x, both clamped at 0 (a negative overhead or per-second cost is
 * noise, not physics): a negative slope refits the mean alone, a negative intercept refits through the
 * origin. Fewer than two distinct x values cannot give a slope, so it is 0 then.
 */
export function nonNegativeLine(xs: readonly number[], ys: readonly number[]): Line {
  if (xs.length !== ys.length) throw new RangeError('nonNegativeLine: xs and ys differ in length');
  if (xs.length === 0) return { interceptSec: 0, slope: 0 };
  const mx = mean(xs);
  const my = mean(ys);
  const sxx = sum(xs.map((x) => (x - mx) ** 2));
  const flat = (): Line => ({ interceptSec: Math.max(0, my), slope: 0 });
  if (sxx <= 1e-12 * Math.max(1, mx * mx)) return flat();
  const slope = sum(xs.map((x, i) => (x - mx) * (ys[i]! - my))) / sxx;
  if (slope < 0) return flat();
  const interceptSec = my - slope * mx;
  if (interceptSec >= 0) return { interceptSec, slope };
  // Through the origin: slope = Σxy / Σx².
  const sx2 = sum(xs.map((x) => x * x));
  return { interceptSec: 0, slope: sx2 > 0 ? Math.max(0, sum(xs.map((x, i) => x * ys[i]!)) / sx2) : 0 };
}

/** The q-quantile of ascending values (nearest rank below, as the seed-table bench does). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))]!;
}

export function quantile(values: readonly number[], q: number): number {
  return quantileSorted([...values].sort((a, b) => a - b), q);
}

/** Median and σ of ln(x) over the positive samples: the lognormal that fits them. */
export function lognormalFit(samples: readonly number[]): { medianSec: number; sigma: number } | undefined {
  const logs = samples.filter((s) => s > 0).map(Math.log);
  if (logs.length === 0) return undefined;
  const mu = mean(logs);
  const sigma = logs.length > 1 ? Math.sqrt(sum(logs.map((l) => (l - mu) ** 2)) / (logs.length - 1)) : 0;
  return { medianSec: Math.exp(mu), sigma };
}

/** 1 − SSE / SST; 1 when SST is 0 and the fit is exact, 0 when SST is 0 and it is not. */
export function rSquared(measured: readonly number[], predicted: readonly number[]): number {
  const m = mean(measured);
  const sst = sum(measured.map((y) => (y - m) ** 2));
  const sse = sum(measured.map((y, i) => (y - predicted[i]!) ** 2));
  if (sst === 0) return sse === 0 ? 1 : 0;
  return 1 - sse / sst;
}
