/**
 * Choosing Rice parameters (RFC 9639 §9.2.7). A residual r is zigzag-folded to u ≥ 0 and coded as
 * u >>> k in unary plus the low k bits of u: count·(k + 1) + Σ (u >>> k) bits for a partition.
 */

/** 2^-k for k = 0..31. */
const SCALE = Float64Array.from({ length: 32 }, (_, k) => 2 ** -k);

/**
 * The Rice parameter k ≤ kmax that minimises the estimated size of `count` residuals whose folded
 * values sum to `sum`. Σ floor(u / 2^k) is taken as Σ u / 2^k less the average lost fraction
 * (1 - 2^-k) / 2, so the size is c·(k + ½) + (S + c/2)·2^-k: least near k = log2((S + c/2)·ln 2 / c),
 * so only the two integers around that are compared.
 */
export function riceParameter(count: number, sum: number, kmax: number): number {
  const t = sum + 0.5 * count;
  let k = t * 0.6931 < count ? 0 : 31 - Math.clz32((t * 0.6931) / count);
  if (k >= kmax) return kmax;
  // Going from k to k + 1 saves t·2^-(k+1) bits of unary code and costs c bits.
  if (t * SCALE[k + 1]! > count) k++;
  return k;
}

/** The estimated size in bits of Rice-coding with parameter k, as above. */
export function riceBits(count: number, sum: number, k: number): number {
  return count * (k + 0.5) + (sum + 0.5 * count) * SCALE[k]!;
}

/** A residual zigzag-folded to a non-negative integer: 0, -1, 1, -2, … → 0, 1, 2, 3, … (|r| < 2^30). */
export function fold(r: number): number {
  return (r << 1) ^ (r >> 31);
}
