/**
 * A backend's latency prior (docs/planning.md "Priors"): the model it brings before any job history
 * exists, so that `segmentSec: "auto"` plans from the model on the first run, and the way history
 * refines it. Each backend type supplies its own (backends/<type>/priors.ts, `latencyPrior()` on the
 * backend); this file only combines.
 *
 * The combination weighs history by how much of it there is: n usable jobs get the weight
 * n / (n + `weightJobs`), the prior the rest.
 * - No history: the prior as it is.
 * - History the fit can read (fit.ts: enough jobs, more than one segment count): every number of the
 *   model is the weighted mean of the prior's and the fit's (service time, overheads, client time,
 *   spread); k is the fit's when the history pins it down, else the larger of the two; the cold start
 *   is the fit's once history has at least half the weight (both lognormal: blended). What history
 *   does not measure (the content noise) stays the prior's; the preparation time is blended with the
 *   jobs' recorded `prepare_compute_sec`.
 * - Too little history for a fit: it still says how fast this machine or endpoint really is. The
 *   segments' measured service (replayed through the prior's k, as the fit does) against the prior's
 *   prediction gives a speed ratio r; RTF and overheads are scaled by r to the history's weight
 *   (geometric: r^w).
 */
import type { FitResult } from './fit.js';
import type { History } from './history.js';
import { warmServiceSec, type ColdStartModel, type LatencyModel } from './model.js';
import { maxOverlap, replayServiceStarts } from './schedule.js';
import { mean } from './stats.js';

export interface LatencyPrior {
  /** The model before any history (its `backend` is filled in when it is used). */
  model: Omit<LatencyModel, 'backend'>;
  /** How many jobs of history the prior counts as: n jobs get the weight n / (n + weightJobs). */
  weightJobs: number;
  /** Where the numbers come from, for `plan --explain` (e.g. "measured on a 2-core EPYC, …"). */
  source: string;
}

/** Where the model a plan used came from. */
export type ModelBasis = 'prior' | 'history' | 'prior+history';

export interface CombinedModel {
  model: LatencyModel;
  basis: ModelBasis;
  /** History's share of the model, 0…1 (1: no prior). */
  historyWeight: number;
  /** Usable history jobs. */
  historyJobs: number;
  /** One line for the plan's reason and `plan --explain`. */
  summary: string;
}

/** The share history gets with `jobs` usable jobs against a prior worth `weightJobs`. */
export function historyWeight(jobs: number, weightJobs: number): number {
  if (!(jobs > 0)) return 0;
  if (!(weightJobs > 0)) return 1;
  return jobs / (jobs + weightJobs);
}

/** A speed ratio from thin history is trusted only this far either way. */
const SPEED_RATIO_BOUNDS = [0.2, 5] as const;

/**
 * The model to plan with: the fit, the prior, or both combined (see the top of this file). Undefined
 * when there is neither a prior nor a fit.
 */
export function combineWithPrior(prior: LatencyPrior | undefined, fit: FitResult, history: History): CombinedModel | undefined {
  const backend = history.backend;
  if (!prior) {
    if (!fit.ok) return undefined;
    return { model: fit.model, basis: 'history', historyWeight: 1, historyJobs: fit.quality.jobs, summary: `from ${fit.quality.jobs} jobs of history (no prior)` };
  }
  const base: LatencyModel = { ...prior.model, backend };
  const jobs = fit.ok ? fit.quality.jobs : history.jobs.length;
  const w = historyWeight(jobs, prior.weightJobs);
  if (w === 0) return { model: base, basis: 'prior', historyWeight: 0, historyJobs: 0, summary: `from the ${backend} prior, no history yet (${prior.source})` };
  const percent = `${Math.round(w * 100)} %`;
  if (fit.ok) {
    return {
      model: blend(base, fit.model, w, mean(history.jobs.flatMap((j) => (j.prepareSec !== undefined ? [j.prepareSec] : [])))),
      basis: 'prior+history',
      historyWeight: w,
      historyJobs: jobs,
      summary: `from the ${backend} prior and ${jobs} jobs of history (history weight ${percent})`,
    };
  }
  const ratio = speedRatio(base, history);
  if (ratio === undefined) return { model: base, basis: 'prior', historyWeight: 0, historyJobs: jobs, summary: `from the ${backend} prior (${prior.source}); the history has no timed segments` };
  const scale = ratio ** w;
  return {
    model: { ...base, rtf: base.rtf * scale, overhead: { fixedSec: base.overhead.fixedSec * scale, perAudioSec: base.overhead.perAudioSec * scale } },
    basis: 'prior+history',
    historyWeight: w,
    historyJobs: jobs,
    summary: `from the ${backend} prior, its speed scaled ×${scale.toFixed(2)} by ${jobs} job(s) of history (measured ×${ratio.toFixed(2)}, history weight ${percent}; too few for a fit: ${fit.message})`,
  };
}

/**
 * Σ measured service / Σ the prior's service over the history's segments; each segment's service
 * starts when a server could take it (the replay of fit.ts with the prior's k). Clamped; undefined
 * without a segment to compare.
 */
export function speedRatio(prior: LatencyModel, history: History): number | undefined {
  let measuredSec = 0;
  let modelledSec = 0;
  for (const job of history.jobs) {
    if (job.segments.length === 0) continue;
    const t0 = job.segments[0]!.startedAtSec;
    const arrivals = job.segments.map((s) => s.startedAtSec - t0);
    const completions = job.segments.map((s) => s.completedAtSec - t0);
    const inFlight = Math.max(1, maxOverlap(job.segments.map((s) => ({ startSec: s.startedAtSec, endSec: s.completedAtSec }))));
    const starts = replayServiceStarts(arrivals, completions, Math.max(1, Math.min(prior.k, inFlight)));
    for (const [i, s] of job.segments.entries()) {
      measuredSec += Math.max(0, completions[i]! - starts[i]!);
      modelledSec += warmServiceSec(prior, s.audioSec);
    }
  }
  if (!(measuredSec > 0 && modelledSec > 0)) return undefined;
  return Math.min(SPEED_RATIO_BOUNDS[1], Math.max(SPEED_RATIO_BOUNDS[0], measuredSec / modelledSec));
}

const mix = (prior: number, fitted: number, w: number): number => (1 - w) * prior + w * fitted;

/** The weighted model (history weight `w`); `prepareSec`: the history's mean preparation (NaN: none recorded). */
function blend(prior: LatencyModel, fitted: LatencyModel, w: number, historyPrepareSec: number): LatencyModel {
  // k: the history's when it pins k down (it saw more in flight than k), else the larger.
  const k = fitted.kBound === 'exact' ? fitted.k : Math.max(fitted.k, prior.k);
  const prepare = Number.isFinite(historyPrepareSec) ? mix(prior.prepareSec ?? 0, historyPrepareSec, w) : prior.prepareSec;
  return {
    backend: fitted.backend,
    k,
    kBound: k === fitted.k ? fitted.kBound : 'exact',
    rtf: mix(prior.rtf, fitted.rtf, w),
    overhead: { fixedSec: mix(prior.overhead.fixedSec, fitted.overhead.fixedSec, w), perAudioSec: mix(prior.overhead.perAudioSec, fitted.overhead.perAudioSec, w) },
    coldStart: blendColdStart(prior.coldStart, fitted.coldStart, w),
    client: {
      fixedSec: mix(prior.client.fixedSec, fitted.client.fixedSec, w),
      perAudioSec: mix(prior.client.perAudioSec, fitted.client.perAudioSec, w),
      beforeFixedSec: mix(prior.client.beforeFixedSec, fitted.client.beforeFixedSec, w),
      beforePerAudioSec: mix(prior.client.beforePerAudioSec, fitted.client.beforePerAudioSec, w),
    },
    wallSigma: mix(prior.wallSigma, fitted.wallSigma, w),
    ...(prepare !== undefined && prepare > 0 ? { prepareSec: prepare } : {}),
    ...(prior.contentNoise ? { contentNoise: prior.contentNoise } : {}),
  };
}

/** Both lognormal: medians geometrically, the rest linearly. Otherwise whichever has the larger weight. */
export function blendColdStart(prior: ColdStartModel, fitted: ColdStartModel, w: number): ColdStartModel {
  if (prior.kind === 'lognormal' && fitted.kind === 'lognormal') {
    const medianSec = Math.exp(mix(Math.log(Math.max(prior.medianSec, 1e-9)), Math.log(Math.max(fitted.medianSec, 1e-9)), w));
    const sigma = mix(prior.sigma, fitted.sigma, w);
    return {
      kind: 'lognormal',
      medianSec,
      sigma,
      samplesSec: fitted.samplesSec,
      p90Sec: medianSec * Math.exp(1.2816 * sigma),
      firstWaveProbability: mix(prior.firstWaveProbability, fitted.firstWaveProbability, w),
      laterProbability: mix(prior.laterProbability, fitted.laterProbability, w),
    };
  }
  return w >= 0.5 ? fitted : prior;
}
