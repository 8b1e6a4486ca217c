/**
 * segmentSec 'auto': the plan for one recording, from the backend's latency model: its prior
 * (prior.ts, supplied by the backend) refined by its job history, or history alone, or, with neither,
 * the configured fixed size. Returns targets for the planner (`PlanOptions.targetsSec`), the dispatch
 * concurrency the prediction assumed, and everything `parascribe plan --explain` shows.
 */
import { fixedSegmentSec, type Config } from '../../config/schema.js';
import type { JobStore } from '../../store/jobs.js';
import { choosePlan, type Choice, type PlanObjective } from './choose.js';
import { jobConcurrency } from './concurrency.js';
import { fitLatencyModel, type FitResult } from './fit.js';
import type { HedgePolicy } from './hedge-policy.js';
import { loadHistory, type History } from './history.js';
import type { LatencyModel } from './model.js';
import { predictJob, type Prediction } from './predict.js';
import { combineWithPrior, type LatencyPrior, type ModelBasis } from './prior.js';
import { capSec, lengthsFromTargets, type SegmentCap } from './targets.js';

export interface AutoPlanSettings {
  cap: SegmentCap;
  minJobs: number;
  /** The fixed size: the fallback, and the baseline the explanation compares with. */
  fixedSegmentSec: number;
  /** config.concurrency: the most segments the client may dispatch at once. */
  concurrencyLimit?: number | undefined;
  minSegmentSec?: number | undefined;
  draws?: number;
  seed?: number;
  objective?: PlanObjective;
  /** The hedging the job will get (config.hedging, when enabled). */
  hedge?: HedgePolicy | undefined;
  /** The backend's own limit, already part of `cap.maxSegmentSec` (for the explanation). */
  backendMaxSegmentSec?: number | undefined;
  /** The backend's latency prior (`latencyPrior()`): a model before any history, refined by it. */
  prior?: LatencyPrior | undefined;
}

export interface AutoPlanExplain {
  backend: string;
  durationSec: number;
  cap: SegmentCap & { capSec: number; backendMaxSegmentSec?: number };
  fit: FitResult;
  /** The model the candidates were predicted with, and where it came from; null without one. */
  model: LatencyModel | null;
  basis: ModelBasis | null;
  /** With a prior: where its numbers come from, and history's share of the model (0 … 1). */
  prior: { source: string; weightJobs: number; historyWeight: number } | null;
  /** One line: the prior, history, or both (and their weights). */
  modelSummary: string | null;
  /** Every candidate with its prediction; null without a model. */
  choice: Choice | null;
  /** What the fixed size would do (predicted too when there is a model). */
  fixed: { segmentSec: number; lengthsSec: number[]; prediction: Prediction | null };
}

export interface AutoPlan {
  targetsSec: number[];
  /** Set when the model chose: the dispatch concurrency its prediction assumed. */
  concurrency?: number;
  source: 'model' | 'fixed';
  reason: string;
  explain: AutoPlanExplain;
}

/**
 * `backendMaxSegmentSec`: the primary backend's limit (`capabilities.maxSegmentSec`), which tightens the
 * cap; `prior`: its latency prior (`latencyPrior()`).
 */
export function settingsFromConfig(config: Config, backendMaxSegmentSec?: number, prior?: LatencyPrior): AutoPlanSettings {
  const { minJobs, objective, maxSegmentShare, minCapSec } = config.autoPlan;
  const maxSegmentSec = Math.min(config.autoPlan.maxSegmentSec, backendMaxSegmentSec ?? Infinity);
  const { enabled, quantile, maxExtraShare, afterSec, backend } = config.hedging;
  return {
    objective,
    // A fixed hedging.afterSec, or hedges sent to another backend, are not what the model predicts.
    ...(enabled && afterSec === undefined && backend === undefined ? { hedge: { quantile, maxExtraShare } } : {}),
    // A backend limit below minCapSec wins too: such a segment would be refused.
    cap: { maxSegmentSec, maxSegmentShare, minCapSec: Math.min(minCapSec, maxSegmentSec) },
    minJobs,
    fixedSegmentSec: Math.min(fixedSegmentSec(config), maxSegmentSec),
    concurrencyLimit: config.concurrency,
    minSegmentSec: config.planning.minSegmentSec,
    ...(backendMaxSegmentSec !== undefined ? { backendMaxSegmentSec } : {}),
    ...(prior ? { prior } : {}),
  };
}

/** Pure: the plan for `durationSec` seconds of audio given the backend's history (and prior, in the settings). */
export function autoPlanFromHistory(history: History, settings: AutoPlanSettings, durationSec: number): AutoPlan {
  const fit = fitLatencyModel(history, { minJobs: settings.minJobs });
  const combined = combineWithPrior(settings.prior, fit, history);
  const fixedTargets = [settings.fixedSegmentSec];
  const explain: AutoPlanExplain = {
    backend: history.backend,
    durationSec,
    cap: { ...settings.cap, capSec: capSec(durationSec, settings.cap), ...(settings.backendMaxSegmentSec !== undefined ? { backendMaxSegmentSec: settings.backendMaxSegmentSec } : {}) },
    fit,
    model: combined?.model ?? null,
    basis: combined?.basis ?? null,
    prior: settings.prior ? { source: settings.prior.source, weightJobs: settings.prior.weightJobs, historyWeight: combined?.historyWeight ?? 0 } : null,
    modelSummary: combined?.summary ?? null,
    choice: null,
    fixed: { segmentSec: settings.fixedSegmentSec, lengthsSec: lengthsFromTargets(durationSec, fixedTargets, settings.minSegmentSec), prediction: null },
  };
  const fixed = (why: string): AutoPlan => ({ targetsSec: fixedTargets, source: 'fixed', reason: `${why}; fixed ${settings.fixedSegmentSec} s segments`, explain });
  if (!combined) return fixed(`no latency model: ${fit.ok ? 'none' : fit.message}`);
  const model = combined.model;
  if (!(durationSec > 0)) return fixed('the recording has no duration');
  const options = {
    cap: settings.cap,
    concurrencyLimit: settings.concurrencyLimit,
    minSegmentSec: settings.minSegmentSec,
    ...(settings.draws ? { draws: settings.draws } : {}),
    seed: settings.seed ?? 1,
    ...(settings.objective ? { objective: settings.objective } : {}),
    ...(settings.hedge ? { hedge: settings.hedge } : {}),
  };
  const choice = choosePlan(model, durationSec, options);
  explain.choice = choice;
  // The fixed size as it runs: hedged too, its segments dispatched as the chosen plan's are.
  const fixedConcurrency = jobConcurrency({ configured: settings.concurrencyLimit, model: { k: model.k, hedgedSegments: settings.hedge ? explain.fixed.lengthsSec.length : undefined } });
  explain.fixed.prediction = predictJob(model, explain.fixed.lengthsSec, fixedConcurrency, options);
  const { chosen } = choice;
  const wall = chosen.prediction.wallSec;
  return {
    targetsSec: chosen.targetsSec,
    concurrency: chosen.concurrency,
    source: 'model',
    reason:
      `${chosen.label}: lowest predicted ${settings.objective === 'median' ? 'median' : 'p90'} wall of ${choice.candidates.length} plans, median ${wall.medianSec.toFixed(1)} s ` +
      `(p10–p90 ${wall.p10Sec.toFixed(1)}–${wall.p90Sec.toFixed(1)} s), ` +
      (combined.basis === 'history' && fit.ok ? `from ${fit.quality.jobs} jobs (R² ${fit.quality.r2.toFixed(2)})` : combined.summary),
    explain,
  };
}

/** The plan for a recording of `durationSec` on `backendId`, from the job store's history and the backend's prior. */
export async function resolveAutoPlan(
  store: JobStore,
  config: Config,
  backendId: string,
  durationSec: number,
  signal?: AbortSignal,
  backendMaxSegmentSec?: number,
  prior?: LatencyPrior,
): Promise<AutoPlan> {
  signal?.throwIfAborted();
  const history = await loadHistory(store, backendId, config.autoPlan.historyJobs);
  signal?.throwIfAborted();
  return autoPlanFromHistory(history, settingsFromConfig(config, backendMaxSegmentSec, prior), durationSec);
}
