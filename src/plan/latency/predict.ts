/**
 * Monte Carlo in virtual time: a job of the given segments (in dispatch order) under a fitted model.
 * Each draw schedules the segments on min(k, concurrency) servers, the first wave paying cold starts
 * as often as history says, the segments' compute drawn on one random recording (model.contentNoise)
 * and all but the first waiting for the backend's look at the recording (model.prepareSec), and adds
 * the client's time; the wall is then scaled by the history's unexplained spread (model.wallSigma). With a hedging policy, each draw runs the job through
 * hedge-sim.ts instead (k servers, hedges queued behind the originals). Seeded, so the same inputs
 * give the same answer.
 */
import { hedgeAfterSec, predictedQueueSec, type HedgePolicy } from './hedge-policy.js';
import { simulateHedgedJob } from './hedge-sim.js';
import { clientBeforeSec, clientSec, computeOnContent, drawContent, hasContentNoise, warmServiceSec, type LatencyModel } from './model.js';
import { lognormalDraw, seededRandom, standardNormal } from './random.js';
import { listSchedule } from './schedule.js';
import { quantileSorted } from './stats.js';

export interface PredictOptions {
  draws?: number;
  seed?: number;
  /** The hedging the job will get (absent: none). */
  hedge?: HedgePolicy;
  /**
   * The recordings drawn for model.contentNoise, one per draw (`contentDraws`): shared by every
   * candidate of a choice, which would draw the same ones from the same seed anyway (it saves the time).
   */
  content?: ReadonlyArray<Float64Array | undefined>;
}

/** The recordings `predictJob` draws for model.contentNoise with this seed: one per draw; empty without it. */
export function contentDraws(model: LatencyModel, durationSec: number, options: Pick<PredictOptions, 'draws' | 'seed'> = {}): Array<Float64Array | undefined> {
  if (!hasContentNoise(model)) return [];
  const random = seededRandom((options.seed ?? 1) + CONTENT_SEED);
  const normal = () => standardNormal(random);
  return Array.from({ length: options.draws ?? DEFAULT_DRAWS }, () => drawContent(model, durationSec, normal));
}

/** The content stream's offset from the seed: a stream of its own, so a model without content noise predicts as before. */
const CONTENT_SEED = 0x7f4a7c15;

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
  const slots = Math.max(1, Math.min(model.k, Math.floor(concurrency)));
  const durationSec = lengthsSec.reduce((s, d) => s + d, 0);
  const client = clientSec(model, durationSec);
  const before = clientBeforeSec(model, durationSec);
  const warm = lengthsSec.map((d) => warmServiceSec(model, d));
  const content = hasContentNoise(model) ? (options.content ?? contentDraws(model, lengthsSec.reduce((s, d) => s + d, 0), { draws, seed: options.seed ?? 1 })) : undefined;
  const prepareSec = model.prepareSec ?? 0;
  const cold = model.coldStart;
  const walls: number[] = [];
  const firsts: number[] = [];
  const hedged = options.hedge ? hedgedSpans(model, lengthsSec, concurrency, options.hedge, draws, random, content) : undefined;
  for (let draw = 0; draw < draws; draw++) {
    if (hedged) {
      const scale = model.wallSigma > 0 ? Math.exp(model.wallSigma * standardNormal(noise)) : 1;
      walls.push((client + hedged.spansSec[draw]!) * scale);
      firsts.push((before + hedged.firstsSec[draw]!) * scale);
      continue;
    }
    const drawn = content ? noisyServiceSec(model, lengthsSec, content[draw]) : warm;
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

/** Warm service times with the compute on one drawn recording (model.ts computeOnContent). */
function noisyServiceSec(model: LatencyModel, lengthsSec: readonly number[], content: Float64Array | undefined): number[] {
  return computeOnContent(model, lengthsSec, content).map((computeSec, i) => model.overhead.fixedSec + model.overhead.perAudioSec * lengthsSec[i]! + computeSec);
}

/**
 * A floor under (practically) every draw of `predictJob` for these segments, hedged or not: no server
 * ever cold, so nothing for a hedge to win back, each segment's compute 3 σ faster than modelled
 * (content noise, σ shrinking with its blocks), and the widest downward scaling by the unexplained
 * spread (3 σ).
 */
export function wallFloorSec(model: LatencyModel, lengthsSec: readonly number[], concurrency: number): number {
  if (lengthsSec.length === 0) return 0;
  const slots = Math.max(1, Math.min(model.k, Math.floor(concurrency)));
  const noise = hasContentNoise(model) ? model.contentNoise! : undefined;
  const fastest = lengthsSec.map((d) => {
    const sigma = noise ? noise.sigma * Math.sqrt(noise.blockSec / Math.max(d, noise.blockSec)) : 0;
    return warmServiceSec(model, d) - model.rtf * d * (1 - Math.exp(-3 * sigma));
  });
  const spanSec = Math.max(...listSchedule(fastest, slots, model.prepareSec ?? 0));
  const durationSec = lengthsSec.reduce((s, d) => s + d, 0);
  return (clientSec(model, durationSec) + spanSec) * Math.exp(-3 * model.wallSigma);
}

/** Each draw's span (first dispatch to last answer) and first answer, with hedging. */
function hedgedSpans(
  model: LatencyModel,
  lengthsSec: readonly number[],
  concurrency: number,
  policy: HedgePolicy,
  draws: number,
  random: () => number,
  content: ReadonlyArray<Float64Array | undefined> | undefined,
) {
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
  for (let draw = 0; draw < draws; draw++) {
    const bootSec = Array.from({ length: servers }, (_, i) => coldDraw(lognormal?.firstWaveProbability ?? 0) + (i > 0 ? prepareSec : 0));
    const laterColdSec = lengthsSec.map((_, i) => (i < slots ? 0 : coldDraw(lognormal?.laterProbability ?? 0)));
    const serviceSec = content ? noisyServiceSec(model, lengthsSec, content[draw]) : base.serviceSec;
    const result = simulateHedgedJob({ ...base, serviceSec, bootSec, laterColdSec });
    spansSec.push(Math.max(...result.completionsSec));
    firstsSec.push(result.completionsSec[0]!);
    hedges += result.hedges;
    extraSec += result.extraComputeSec;
  }
  return { spansSec, firstsSec, hedging: { hedgesPerJob: hedges / draws, extraComputeShare: totalComputeSec > 0 ? extraSec / draws / totalComputeSec : 0 } };
}
