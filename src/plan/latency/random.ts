/**
 * A seeded PRNG for the Monte Carlo predictions: the same seed gives the same draws, so a plan and its
 * explanation are reproducible (and testable). mulberry32: tiny, fast, good enough for sampling.
 */

export type Random = () => number;

/** Uniform in [0, 1), deterministic for a seed. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller); 1 - random() is in (0, 1], so the log is finite. */
export function standardNormal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** exp(N(ln medianSec, sigma²)): a lognormal draw given its median. */
export function lognormalDraw(medianSec: number, sigma: number, random: Random): number {
  return medianSec * Math.exp(sigma * standardNormal(random));
}
