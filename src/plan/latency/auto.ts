/**
 * segmentSec 'auto': the plan for one recording, from the backend's fitted latency model when its
 * history allows one, else the configured fixed size. Returns targets for the planner
 * (`PlanOptions.targetsSec`), the dispatch concurrency the prediction assumed, and everything
 * `parascribe plan --explain` shows.
 */
import { fixedSegmentSec, type Config } from '../../config/schema.js';
import type { JobStore } from '../../store/jobs.js';
import { choosePlan, type Choice, type PlanObjective } from './choose.js';
import { fitLatencyModel, type FitResult } from './fit.js';
import { loadHistory, type History } from './history.js';
import { predictJob, type Prediction } from './predict.js';
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
}

export interface AutoPlanExplain {
  backend: string;
  durationSec: number;
  cap: SegmentCap & { capSec: number };
  fit: FitResult;
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

export function settingsFromConfig(config: Config): AutoPlanSettings {
  const { maxSegmentSec, maxSegmentShare, minCapSec, minJobs, objective } = config.autoPlan;
  return {
    objective,
    cap: { maxSegmentSec, maxSegmentShare, minCapSec },
    minJobs,
    fixedSegmentSec: fixedSegmentSec(config),
    concurrencyLimit: config.concurrency,
    minSegmentSec: config.planning.minSegmentSec,
  };
}

/** Pure: the plan for `durationSec` seconds of audio given the backend's history. */
export function autoPlanFromHistory(history: History, settings: AutoPlanSettings, durationSec: number): AutoPlan {
  const fit = fitLatencyModel(history, { minJobs: settings.minJobs });
  const fixedTargets = [settings.fixedSegmentSec];
  const explain: AutoPlanExplain = {
    backend: history.backend,
    durationSec,
    cap: { ...settings.cap, capSec: capSec(durationSec, settings.cap) },
    fit,
    choice: null,
    fixed: { segmentSec: settings.fixedSegmentSec, lengthsSec: lengthsFromTargets(durationSec, fixedTargets, settings.minSegmentSec), prediction: null },
  };
  const fixed = (why: string): AutoPlan => ({ targetsSec: fixedTargets, source: 'fixed', reason: `${why}; fixed ${settings.fixedSegmentSec} s segments`, explain });
  if (!fit.ok) return fixed(`no latency model: ${fit.message}`);
  if (!(durationSec > 0)) return fixed('the recording has no duration');
  const options = {
    cap: settings.cap,
    concurrencyLimit: settings.concurrencyLimit,
    minSegmentSec: settings.minSegmentSec,
    ...(settings.draws ? { draws: settings.draws } : {}),
    seed: settings.seed ?? 1,
    ...(settings.objective ? { objective: settings.objective } : {}),
  };
  const choice = choosePlan(fit.model, durationSec, options);
  explain.choice = choice;
  explain.fixed.prediction = predictJob(fit.model, explain.fixed.lengthsSec, choice.chosen.concurrency, options);
  const { chosen } = choice;
  const wall = chosen.prediction.wallSec;
  return {
    targetsSec: chosen.targetsSec,
    concurrency: chosen.concurrency,
    source: 'model',
    reason:
      `${chosen.label}: lowest predicted ${settings.objective === 'p90' ? 'p90' : 'median'} wall of ${choice.candidates.length} plans, median ${wall.medianSec.toFixed(1)} s ` +
      `(p10–p90 ${wall.p10Sec.toFixed(1)}–${wall.p90Sec.toFixed(1)} s), from ${fit.quality.jobs} jobs (R² ${fit.quality.r2.toFixed(2)})`,
    explain,
  };
}

/** The plan for a recording of `durationSec` on `backendId`, from the job store's history. */
export async function resolveAutoPlan(store: JobStore, config: Config, backendId: string, durationSec: number, signal?: AbortSignal): Promise<AutoPlan> {
  signal?.throwIfAborted();
  const history = await loadHistory(store, backendId, config.autoPlan.historyJobs);
  signal?.throwIfAborted();
  return autoPlanFromHistory(history, settingsFromConfig(config), durationSec);
}
