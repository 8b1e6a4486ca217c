/**
 * Candidate plans for a recording and the one to run. Candidates: even splits into n segments (among
 * them always the whole waves: a multiple of the servers), leads (whole waves whose first segment is longer by what
 * the first server computes while the others wait for the backend's look at the recording), the
 * usual round sizes, and boot waves: one short segment per server first (cheap cold starts, first words
 * early, cheap to hedge), then m large ones that land on servers already warm. Each is predicted by
 * Monte Carlo (predict.ts, common random numbers: one seed for all), with the hedging the job will get;
 * the lowest p90 wall wins (the default objective: the turnaround one can promise; 'median' ranks by
 * the median first), then the other of the two, the earlier first words, fewer segments. Plans with a
 * segment over the blast-radius cap never win. With hedging, every segment is dispatched at once (up
 * to the configured concurrency), so that the backend queues a hedge behind the originals, not ahead.
 */
import { jobConcurrency } from './concurrency.js';
import type { HedgePolicy } from './hedge-policy.js';
import type { LatencyModel } from './model.js';
import { contentDraws, DEFAULT_DRAWS, predictJob, wallFloorSec, type PredictOptions, type Prediction } from './predict.js';
import { capSec, lengthsFromTargets, type SegmentCap } from './targets.js';

export type CandidateKind = 'even' | 'lead' | 'round' | 'boot-wave';

export interface CandidatePlan {
  kind: CandidateKind;
  label: string;
  /** For the planner: segment i's target length, the last entry repeating. */
  targetsSec: number[];
  /** The lengths the prediction assumed (cuts before they move to pauses). */
  lengthsSec: number[];
  concurrency: number;
}

export interface Candidate extends CandidatePlan {
  prediction: Prediction;
  withinCap: boolean;
}

export interface Choice {
  chosen: Candidate;
  candidates: Candidate[];
  capSec: number;
}

export interface ChooseOptions {
  cap: SegmentCap;
  /** The most segments the client may dispatch at once (config.concurrency); absent: k. */
  concurrencyLimit?: number | undefined;
  /** The planner's configured minimum segment length, if any. */
  minSegmentSec?: number | undefined;
  /**
   * Audio seconds the first server computes while the others wait for the backend's look at the
   * recording (model.prepareSec): 'lead' candidates give the first segment that much more. Set by
   * choosePlan from the model.
   */
  headStartSec?: number | undefined;
  draws?: number;
  seed?: number;
  /** What "fastest" means: the lowest p90 wall (default) or the lowest median. */
  objective?: PlanObjective;
  /** The hedging the job will get; absent: none. */
  hedge?: HedgePolicy | undefined;
  /**
   * With hedging, skip the (slower) hedged prediction of candidates that cannot win, and screen the rest
   * with fewer draws before the finalists get all of them. Default true; false predicts every candidate
   * hedged with all the draws (for tests).
   */
  pruneHedged?: boolean;
}

export type PlanObjective = 'p90' | 'median';

export const ROUND_SIZES_SEC = [60, 90, 120, 180, 240, 300, 360, 420, 480, 600, 900, 1200, 1800] as const;
export const BOOT_SEGMENT_SEC = [15, 30, 45, 60] as const;
const MAX_SEGMENTS = 64;
/** Even splits into up to this many waves of the servers are always candidates. */
const WHOLE_WAVES = 8;

const whole = (sec: number): string => `${Math.round(sec)}`;

export function candidatePlans(durationSec: number, slots: number, options: Pick<ChooseOptions, 'cap' | 'minSegmentSec' | 'headStartSec'>): CandidatePlan[] {
  const cap = capSec(durationSec, options.cap);
  const plans: CandidatePlan[] = [];
  const seen = new Set<string>();
  const add = (kind: CandidateKind, label: string, targetsSec: number[]) => {
    const lengthsSec = lengthsFromTargets(durationSec, targetsSec, options.minSegmentSec);
    const key = lengthsSec.map((l) => l.toFixed(1)).join(',');
    if (lengthsSec.length > MAX_SEGMENTS || seen.has(key)) return;
    seen.add(key);
    plans.push({ kind, label, targetsSec, lengthsSec, concurrency: slots });
  };
  // Enough even splits to get under the cap and to fill several waves of the servers.
  const maxSegments = Math.max(1, Math.floor(durationSec / 10));
  const maxEven = Math.min(MAX_SEGMENTS, Math.max(Math.ceil(durationSec / cap) + slots, 4 * slots, 12), maxSegments);
  const even = (n: number) => add('even', `even ${n} × ${whole(durationSec / n)} s`, [durationSec / n]);
  for (let n = 1; n <= maxEven; n++) even(n);
  // Whole waves: near-equal segments, a multiple of the servers, so that every one is busy to the end.
  for (let n = slots; n <= Math.min(MAX_SEGMENTS, maxSegments, WHOLE_WAVES * slots); n += slots) even(n);
  // Whole waves with a lead: while the other servers wait for the preparation, the first one computes a
  // longer first segment, so that all of them still finish together.
  const headStartSec = options.headStartSec ?? 0;
  if (headStartSec > 0 && slots > 1) {
    for (let n = slots; n <= Math.min(MAX_SEGMENTS, maxSegments, WHOLE_WAVES * slots); n += slots) {
      const restSec = (durationSec - headStartSec) / n;
      if (restSec < Math.max(10, headStartSec)) break;
      add('lead', `lead ${whole(restSec + headStartSec)} s + ${n - 1} × ${whole(restSec)} s`, [restSec + headStartSec, restSec]);
    }
  }
  for (const sizeSec of ROUND_SIZES_SEC) if (sizeSec < durationSec) add('round', `${sizeSec} s`, [sizeSec]);
  for (const bootSec of BOOT_SEGMENT_SEC) {
    const restSec = durationSec - slots * bootSec;
    if (restSec < 4 * bootSec) continue;
    const maxLarge = Math.min(MAX_SEGMENTS - slots, slots + Math.ceil(restSec / cap));
    for (let m = 1; m <= maxLarge; m++) {
      const largeSec = restSec / m;
      if (largeSec <= 2 * bootSec) break;
      add('boot-wave', `boot ${slots} × ${bootSec} s + ${m} × ${whole(largeSec)} s`, [...Array<number>(slots).fill(bootSec), largeSec]);
    }
    // Large segments of a fixed size, the last one shorter: the cap itself and the round sizes.
    for (const largeSec of [cap, ...ROUND_SIZES_SEC.filter((r) => r < cap)]) {
      if (largeSec <= 2 * bootSec || largeSec >= restSec) continue;
      add('boot-wave', `boot ${slots} × ${bootSec} s + ${whole(largeSec)} s`, [...Array<number>(slots).fill(bootSec), largeSec]);
    }
  }
  return plans;
}

export function choosePlan(model: LatencyModel, durationSec: number, options: ChooseOptions): Choice {
  if (!(durationSec > 0)) throw new RangeError(`choosePlan: duration must be > 0, got ${durationSec}`);
  const slots = jobConcurrency({ configured: options.concurrencyLimit, model: { k: model.k } });
  const cap = capSec(durationSec, options.cap);
  const drawOptions = { ...(options.draws ? { draws: options.draws } : {}), seed: options.seed ?? 1 };
  // Every candidate is predicted on the same drawn recordings (common random numbers), drawn once.
  const content = contentDraws(model, durationSec, drawOptions);
  const predictOptions = { ...drawOptions, ...(content.length > 0 ? { content } : {}) };
  const servicePerAudioSec = model.rtf + model.overhead.perAudioSec;
  const headStartSec = (model.prepareSec ?? 0) > 0 && servicePerAudioSec > 0 ? model.prepareSec! / servicePerAudioSec : 0;
  const plans = candidatePlans(durationSec, slots, { ...options, headStartSec }).map((plan) =>
    options.hedge ? { ...plan, concurrency: jobConcurrency({ configured: options.concurrencyLimit, model: { k: model.k, hedgedSegments: plan.lengthsSec.length } }) } : plan,
  );
  const objective = options.objective ?? 'p90';
  const candidates: Candidate[] = plans.map((plan) => ({
    ...plan,
    prediction: predictJob(model, plan.lengthsSec, plan.concurrency, predictOptions),
    // A hair of slack: an even split into two is exactly half of the recording.
    withinCap: Math.max(...plan.lengthsSec) <= cap + 1e-6,
  }));
  if (options.hedge) predictHedged(model, candidates, { ...predictOptions, hedge: options.hedge }, objective, options.pruneHedged ?? true);
  const allowed = candidates.filter((c) => c.withinCap);
  const chosen = allowed.reduce((best, c) => (better(c, best, objective) ? c : best));
  return { chosen, candidates, capSec: cap };
}

/**
 * Predicts candidates again with hedging (the event simulation costs ~10× list scheduling, and this
 * runs at every job start). Cheapest floor first; a candidate whose floor is above the best hedged
 * objective so far cannot win (hedging never beats an all-warm run) and keeps its unhedged
 * prediction. The rest are screened with a fifth of the draws, and the best ones by the objective
 * are predicted again with all of them (the same seed: common random numbers keep the ranking).
 */
function predictHedged(model: LatencyModel, candidates: Candidate[], options: PredictOptions, objective: PlanObjective, prune: boolean): void {
  const key = (c: Candidate) => (objective === 'p90' ? c.prediction.wallSec.p90Sec : c.prediction.wallSec.medianSec);
  const draws = options.draws ?? DEFAULT_DRAWS;
  const screen = { ...options, draws: prune ? Math.max(50, Math.ceil(draws / 5)) : draws };
  const withFloor = candidates.map((c) => ({ c, floorSec: wallFloorSec(model, c.lengthsSec, c.concurrency) })).sort((a, b) => a.floorSec - b.floorSec);
  let bestSec = Infinity;
  const screened: Candidate[] = [];
  for (const { c, floorSec } of withFloor) {
    if (prune && floorSec > bestSec) continue;
    c.prediction = predictJob(model, c.lengthsSec, c.concurrency, screen);
    screened.push(c);
    if (c.withinCap) bestSec = Math.min(bestSec, key(c));
  }
  if (!prune) return;
  const finalists = screened.filter((c) => c.withinCap).sort((a, b) => key(a) - key(b)).slice(0, HEDGED_FINALISTS);
  for (const c of finalists) c.prediction = predictJob(model, c.lengthsSec, c.concurrency, options);
}

/** How many screened candidates get the full number of draws. */
const HEDGED_FINALISTS = 12;

const KIND_ORDER: Record<CandidateKind, number> = { even: 0, lead: 1, round: 2, 'boot-wave': 3 };

function better(a: Candidate, b: Candidate, objective: PlanObjective): boolean {
  // At an equal wall, earlier first words are free; then fewer segments, then the simpler kind.
  const walls = (c: Candidate) => (objective === 'p90' ? [c.prediction.wallSec.p90Sec, c.prediction.wallSec.medianSec] : [c.prediction.wallSec.medianSec, c.prediction.wallSec.p90Sec]);
  const keys = (c: Candidate) => [...walls(c), c.prediction.firstResultSec, c.lengthsSec.length, KIND_ORDER[c.kind]];
  const [ka, kb] = [keys(a), keys(b)];
  for (let i = 0; i < ka.length; i++) {
    const difference = ka[i]! - kb[i]!;
    if (Math.abs(difference) > 1e-9 * Math.max(1, Math.abs(kb[i]!))) return difference < 0;
  }
  return false;
}
