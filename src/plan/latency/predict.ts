/**
 * Monte Carlo in virtual time: a job of the given segments (in dispatch order) under a fitted model.
 * Each draw schedules the segments on min(k, concurrency) servers, the first wave paying cold starts
 * as often as history says, and adds the client's time; the wall is then scaled by the history's
 * unexplained spread (model.wallSigma). Seeded, so the same inputs give the same answer.
 */
import { clientBeforeSec, clientSec, warmServiceSec, type LatencyModel } from './model.js';
import { lognormalDraw, seededRandom, standardNormal } from './random.js';
import { listSchedule } from './schedule.js';
import { quantileSorted } from './stats.js';

export interface PredictOptions {
  draws?: number;
  seed?: number;
}

export interface Prediction {
  wallSec: { medianSec: number; p10Sec: number; p90Sec: number };
  /** Median time from the job's start to the first segment's result (the first words, in order). */
  firstResultSec: number;
  /** Servers the segments were scheduled on: min(k, concurrency). */
  slots: number;
}

export const DEFAULT_DRAWS = 500;

export function predictJob(model: LatencyModel, lengthsSec: readonly number[], concurrency: number, options: PredictOptions = {}): Prediction {
  if (lengthsSec.length === 0) throw new RangeError('predictJob: no segments');
  const draws = options.draws ?? DEFAULT_DRAWS;
  const random = seededRandom(options.seed ?? 1);
  // A stream of its own, so draw i scales every candidate alike (common random numbers keep the ranking).
  const noise = seededRandom((options.seed ?? 1) + 0x9e3779b9);
  const slots = Math.max(1, Math.min(model.k, Math.floor(concurrency)));
  const durationSec = lengthsSec.reduce((s, d) => s + d, 0);
  const client = clientSec(model, durationSec);
  const before = clientBeforeSec(model, durationSec);
  const warm = lengthsSec.map((d) => warmServiceSec(model, d));
  const cold = model.coldStart;
  const walls: number[] = [];
  const firsts: number[] = [];
  for (let draw = 0; draw < draws; draw++) {
    const services =
      cold.kind !== 'lognormal'
        ? warm
        : warm.map((sec, i) => {
            const probability = i < slots ? cold.firstWaveProbability : cold.laterProbability;
            return random() < probability ? sec + lognormalDraw(cold.medianSec, cold.sigma, random) : sec;
          });
    const completions = listSchedule(services, slots);
    const scale = model.wallSigma > 0 ? Math.exp(model.wallSigma * standardNormal(noise)) : 1;
    walls.push((client + Math.max(...completions)) * scale);
    firsts.push((before + completions[0]!) * scale);
  }
  walls.sort((a, b) => a - b);
  firsts.sort((a, b) => a - b);
  return {
    wallSec: { medianSec: quantileSorted(walls, 0.5), p10Sec: quantileSorted(walls, 0.1), p90Sec: quantileSorted(walls, 0.9) },
    firstResultSec: quantileSorted(firsts, 0.5),
    slots,
  };
}
