/**
 * The simulated endpoint's timing rules (test/fakes/serverless-sim.ts) as a pure function in virtual
 * time, for fitting its parameters to the seed study's table (bench/seed-fit.md) and for the
 * "model" column of bench/seed-table.ts. Assumes what the benchmark does: every segment is sent at
 * once, in plan order, to an endpoint scaled to zero; each of the first k starts a container (cold
 * start drawn per container), the rest queue FIFO and take the first container handed back.
 */
import { seededRandom } from '../test/fakes/openai-server.js';
import { drawColdStart, type ColdStartDistribution } from '../test/fakes/serverless-sim.js';

export interface SeedParams {
  k: number;
  coldStart: ColdStartDistribution;
  rttSec: number;
  uploadBytesPerSec: number;
  rtf: number;
}

/** The seed study's table (60-minute file on serverless GPU workers). */
export const STUDY: ReadonlyArray<{ segmentSec: number; segments: number; wallSec: number }> = [
  { segmentSec: 180, segments: 22, wallSec: 135 },
  { segmentSec: 300, segments: 13, wallSec: 95 },
  { segmentSec: 360, segments: 11, wallSec: 79 },
  { segmentSec: 420, segments: 9, wallSec: 75 },
];

/** FLAC of this 16 kHz speech: ~17.9 kB per audio second (parascribe's encoder, measured by seed-table.ts). */
export const FLAC_BYTES_PER_SEC = 17_900;

/** One job's wall in the model: client time outside the endpoint + the last container's finish. */
export function modelWall(segmentsSec: readonly number[], p: SeedParams, random: () => number, clientSec: number): number {
  const freeAt: number[] = [];
  for (const d of segmentsSec) {
    const busy = p.rttSec + (d * FLAC_BYTES_PER_SEC) / p.uploadBytesPerSec + p.rtf * d;
    if (freeAt.length < p.k) {
      freeAt.push(drawColdStart(p.coldStart, random) + busy);
      continue;
    }
    let first = 0;
    for (let i = 1; i < freeAt.length; i++) if (freeAt[i]! < freeAt[first]!) first = i;
    freeAt[first]! += busy;
  }
  return clientSec + Math.max(...freeAt);
}

export interface Quantiles {
  p10: number;
  median: number;
  p90: number;
}

export function modelQuantiles(segmentsSec: readonly number[], p: SeedParams, clientSec: number, draws = 2000, seed = 1): Quantiles {
  const random = seededRandom(seed);
  const walls = Array.from({ length: draws }, () => modelWall(segmentsSec, p, random, clientSec)).sort((a, b) => a - b);
  const at = (q: number) => walls[Math.min(draws - 1, Math.floor(q * draws))]!;
  return { p10: at(0.1), median: at(0.5), p90: at(0.9) };
}

export interface FitCandidate {
  params: SeedParams;
  /** Largest |ln(model median / study wall)| over the four sizes. */
  maxLogError: number;
  /** The model's 10–90 % range at 300 s, against the study's 84–109 s spread of identical runs. */
  spread300: number;
  score: number;
}

/**
 * Grid search: for each k and per-second cost (upload + compute), the fixed per-request time and the
 * cold-start lognormal (median, sigma) that bring the model's medians closest to the study's walls,
 * with the 10–90 % range at 300 s near the study's 25 s of run-to-run spread as a tie-breaker.
 */
export function fitGrid(plans: ReadonlyMap<number, readonly number[]>, clientSec: number, options: { ks: number[]; rtf: number; uploadBytesPerSec: number }): FitCandidate[] {
  const out: FitCandidate[] = [];
  for (const k of options.ks) {
    for (let rttSec = 0; rttSec <= 40; rttSec += 0.5) {
      for (const medianSec of [5, 10, 15, 20, 25, 30]) {
        for (const sigma of [0.2, 0.4, 0.6, 0.8]) {
          const params: SeedParams = { k, rttSec, rtf: options.rtf, uploadBytesPerSec: options.uploadBytesPerSec, coldStart: { kind: 'lognormal', medianSec, sigma } };
          const q = new Map(STUDY.map((s) => [s.segmentSec, modelQuantiles(plans.get(s.segmentSec)!, params, clientSec, 200)]));
          const maxLogError = Math.max(...STUDY.map((s) => Math.abs(Math.log(q.get(s.segmentSec)!.median / s.wallSec))));
          const spread300 = q.get(300)!.p90 - q.get(300)!.p10;
          out.push({ params, maxLogError, spread300, score: maxLogError + Math.abs(spread300 - 25) / 100 });
        }
      }
    }
  }
  return out.sort((a, b) => a.score - b.score);
}
