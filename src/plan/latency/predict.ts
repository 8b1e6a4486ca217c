/**
 * Monte Carlo in virtual time: a job of the given segments (in dispatch order) under a fitted model.
 * Each draw schedules the segments on min(k, concurrency) servers, the first wave paying cold starts
 * as often as history says, every segment drawn around its modelled service (model.segmentNoise) and
 * all but the first waiting for the backend's look at the recording (model.prepareSec), and adds the
 * client's time; the wall is then scaled by the history's
 * unexplained spread (model.wallSigma). With a hedging policy, each draw runs the job through
 * hedge-sim.ts instead (k servers, hedges queued behind the originals). Seeded, so the same inputs
 * give the same answer.
 */
import { hedgeAfterSec, predictedQueueSec, type HedgePolicy } from './hedge-policy.js';
import { simulateHedgedJob } from './hedge-sim.js';
import { clientBeforeSec, clientSec, segmentSigma, warmServiceSec, type LatencyModel } from './model.js';
import { lognormalDraw, seededRandom, standardNormal } from './random.js';
import { listSchedule } from './schedule.js';
import { quantileSorted } from './stats.js';

export interface PredictOptions {
  draws?: number;
  seed?: number;
  /** The hedging the job will get (absent: none). */
  hedge?: HedgePolicy;
}

export interface Prediction {
  wallSec: { medianSec: number; p10Sec: number; p90Sec: number };
  /** Median time from the job's start to the first segment's result (the first words, in order). */
  firstResultSec: number;
  /** Servers the segments were scheduled on: min(k, concurrency). */
  slots: number;
  /** With a hedging policy: hedges per job and the compute their losers spent, as a share of the job's (means). */
  hedging?: { hedgesPerJob: number; extraComputeShare: number };
}

export const DEFAULT_DRAWS = 500;

export function predictJob(model: LatencyModel, lengthsSec: readonly number[], concurrency: number, options: PredictOptions = {}): Prediction {
  if (lengthsSec.length === 0) throw new RangeError('predictJob: no segments');
  const draws = options.draws ?? DEFAULT_DRAWS;
  const random = seededRandom(options.seed ?? 1);
  // A stream of its own, so draw i scales every candidate alike (common random numbers keep the ranking).
  const noise = seededRandom((options.seed ?? 1) + 0x9e3779b9);
  // Per-segment noise (model.segmentNoise) draws from a third stream, so a model without it predicts as before.
  const segmentRandom = seededRandom((options.seed ?? 1) + 0x7f4a7c15);
  const slots = Math.max(1, Math.min(model.k, Math.floor(concurrency)));
  const durationSec = lengthsSec.reduce((s, d) => s + d, 0);
  const client = clientSec(model, durationSec);
  const before = clientBeforeSec(model, durationSec);
  const warm = lengthsSec.map((d) => warmServiceSec(model, d));
  const sigmas = warm.map((sec) => segmentSigma(model, sec));
  const noisy = sigmas.some((sigma) => sigma > 0);
  const prepareSec = model.prepareSec ?? 0;
  const cold = model.coldStart;
  const walls: number[] = [];
  const firsts: number[] = [];
  const hedged = options.hedge ? hedgedSpans(model, lengthsSec, concurrency, options.hedge, draws, random, segmentRandom) : undefined;
  for (let draw = 0; draw < draws; draw++) {
    if (hedged) {
      const scale = model.wallSigma > 0 ? Math.exp(model.wallSigma * standardNormal(noise)) : 1;
      walls.push((client + hedged.spansSec[draw]!) * scale);
      firsts.push((before + hedged.firstsSec[draw]!) * scale);
      continue;
    }
    const drawn = noisy ? warm.map((sec, i) => sec * Math.exp(sigmas[i]! * standardNormal(segmentRandom) - sigmas[i]! ** 2 / 2)) : warm;
    const services =
      cold.kind !== 'lognormal'
        ? drawn
        : drawn.map((sec, i) => {
            const probability = i < slots ? cold.firstWaveProbability : cold.laterProbability;
            return random() < probability ? sec + lognormalDraw(cold.medianSec, cold.sigma, random) : sec;
          });
    const completions = listSchedule(services, slots, prepareSec);
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
    ...(hedged ? { hedging: hedged.hedging } : {}),
  };
}

/**
 * A floor under every draw of `predictJob` for these segments, hedged or not: no server ever cold, so
 * nothing for a hedge to win back, each segment 3 σ faster than modelled (segment noise), and the
 * widest downward scaling by the unexplained spread (3 σ).
 */
export function wallFloorSec(model: LatencyModel, lengthsSec: readonly number[], concurrency: number): number {
  if (lengthsSec.length === 0) return 0;
  const slots = Math.max(1, Math.min(model.k, Math.floor(concurrency)));
  const fastest = lengthsSec.map((d) => {
    const sec = warmServiceSec(model, d);
    return sec * Math.exp(-3 * segmentSigma(model, sec));
  });
  const spanSec = Math.max(...listSchedule(fastest, slots, model.prepareSec ?? 0));
  const durationSec = lengthsSec.reduce((s, d) => s + d, 0);
  return (clientSec(model, durationSec) + spanSec) * Math.exp(-3 * model.wallSigma);
}

/** Each draw's span (first dispatch to last answer) and first answer, with hedging. */
function hedgedSpans(model: LatencyModel, lengthsSec: readonly number[], concurrency: number, policy: HedgePolicy, draws: number, random: () => number, segmentRandom: () => number) {
  const servers = Math.max(1, model.k);
  const inFlight = Math.max(1, Math.floor(concurrency));
  const slots = Math.min(servers, inFlight);
  const cold = model.coldStart;
  const queued = predictedQueueSec(model, lengthsSec, inFlight, policy.quantile);
  const computeSec = lengthsSec.map((d) => model.rtf * d);
  const base = {
    servers,
    concurrency: inFlight,
    serviceSec: lengthsSec.map((d) => warmServiceSec(model, d)),
    computeSec,
    audioSec: lengthsSec,
    hedgeAfterSec: lengthsSec.map((d, i) => hedgeAfterSec(model, d, i, slots, policy.quantile, queued[i])),
    hedgeBudgetAudioSec: policy.maxExtraShare * lengthsSec.reduce((s, d) => s + d, 0),
  };
  const totalComputeSec = computeSec.reduce((s, c) => s + c, 0);
  const spansSec: number[] = [];
  const firstsSec: number[] = [];
  let hedges = 0;
  let extraSec = 0;
  const lognormal = cold.kind === 'lognormal' ? cold : undefined;
  const coldDraw = (probability: number) => (lognormal && random() < probability ? lognormalDraw(lognormal.medianSec, lognormal.sigma, random) : 0);
  // The per-job preparation holds every server but the first that long (an approximation of listSchedule's rule).
  const prepareSec = model.prepareSec ?? 0;
  const sigmas = base.serviceSec.map((sec) => segmentSigma(model, sec));
  const noisy = sigmas.some((sigma) => sigma > 0);
  for (let draw = 0; draw < draws; draw++) {
    const bootSec = Array.from({ length: servers }, (_, i) => coldDraw(lognormal?.firstWaveProbability ?? 0) + (i > 0 ? prepareSec : 0));
    const laterColdSec = lengthsSec.map((_, i) => (i < slots ? 0 : coldDraw(lognormal?.laterProbability ?? 0)));
    const serviceSec = noisy ? base.serviceSec.map((sec, i) => sec * Math.exp(sigmas[i]! * standardNormal(segmentRandom) - sigmas[i]! ** 2 / 2)) : base.serviceSec;
    const result = simulateHedgedJob({ ...base, serviceSec, bootSec, laterColdSec });
    spansSec.push(Math.max(...result.completionsSec));
    firstsSec.push(result.completionsSec[0]!);
    hedges += result.hedges;
    extraSec += result.extraComputeSec;
  }
  return { spansSec, firstsSec, hedging: { hedgesPerJob: hedges / draws, extraComputeShare: totalComputeSec > 0 ? extraSec / draws / totalComputeSec : 0 } };
}
