/**
 * A job's latency decisions, made once its length is known (docs/planning.md): the segment targets
 * (fixed, or 'auto' from the backend's fitted latency model), the dispatch concurrency, fast first
 * words (a short first segment, optionally served by another backend), and the hedging policy.
 */
import type { Config } from '../config/schema.js';
import { fixedSegmentSec } from '../config/schema.js';
import { autoPlanFromHistory, settingsFromConfig, type AutoPlan } from '../plan/latency/auto.js';
import { jobConcurrency } from '../plan/latency/concurrency.js';
import { fitLatencyModel } from '../plan/latency/fit.js';
import { loadHistory } from '../plan/latency/history.js';
import { hedgeAfterSec, predictedQueueSec } from '../plan/latency/hedge-policy.js';
import type { LatencyModel } from '../plan/latency/model.js';
import { combineWithPrior, type LatencyPrior } from '../plan/latency/prior.js';
import { lengthsFromTargets } from '../plan/latency/targets.js';
import type { JobStore } from '../store/jobs.js';
import { Hedger, type HedgeRecord, type HedgeThreshold } from './hedge.js';

export interface LatencyPlan {
  /** Target length of each segment in order (the last repeats), for the planner. */
  targetsSec: number[];
  /**
   * Segments in flight at once (plan/latency/concurrency.ts `jobConcurrency`): the model's choice when
   * it chose the plan (plus one for a first segment served elsewhere), else the configured, the
   * backend's own or one per core; a remote queue's in-flight limit in distributed mode.
   */
  concurrency: number;
  /** Chain of segment 0 when fast first words send it to another backend. */
  firstSegmentChain?: string[];
  hedger?: Hedger;
  /** The primary backend's latency model (its prior, refined by history), when there is one. */
  model?: LatencyModel;
  /** How the plan was chosen, for the job row and `jobs show`. */
  note: { source: 'fixed' | 'model'; reason: string; targetsSec: number[] };
}

/**
 * The model's hedging rule (src/plan/latency/hedge-policy.ts) for this job's segments of the model's
 * backend, in dispatch order; `plannedLengthsSec` are the lengths the plan expects (for the queue wait
 * of segments dispatched beyond the servers), the real task's length sets its service time.
 */
export function modelHedgeThreshold(model: LatencyModel, quantile: number, slots: number, plannedLengthsSec: readonly number[] = [], concurrency = slots): HedgeThreshold {
  const queuedSec = predictedQueueSec(model, plannedLengthsSec, concurrency, quantile);
  let ordinal = 0; // among this backend's segments (a first-words segment elsewhere does not count)
  return (task) => {
    if (task.chain[0] !== model.backend) return undefined; // served by another backend: no model for it
    const i = ordinal++;
    return hedgeAfterSec(model, task.endSec - task.startSec, i, slots, quantile, queuedSec[Math.min(i, queuedSec.length - 1)] ?? 0);
  };
}

export interface LatencyPlanInput {
  config: Config;
  store: JobStore;
  /** The job's backend chain; [0] is the primary. */
  chain: string[];
  /** The recording's length (probed). */
  durationSec: number;
  /** The primary backend's longest segment (`capabilities.maxSegmentSec`): no plan cuts longer ones. */
  maxSegmentSec?: number | undefined;
  /** The primary backend's own concurrency (`capabilities.maxConcurrency`): the pool's, when nothing else sets it. */
  maxConcurrency?: number | undefined;
  /** The primary backend's latency prior (`latencyPrior()`): the model before its history allows a fit. */
  prior?: LatencyPrior | undefined;
  /** Segments go to a remote queue (distributed mode) that takes this many at once (`config.distributed.maxSegmentsInFlight`). */
  remoteInFlight?: number | undefined;
  /** Hedging needs a dispatcher that can run two copies of a segment (the embedded one). */
  canHedge: boolean;
  onHedge?: (record: HedgeRecord) => void;
  signal: AbortSignal;
}

export async function latencyPlan(input: LatencyPlanInput): Promise<LatencyPlan> {
  const { config, chain, durationSec } = input;
  // A fixed size over the backend's limit (an endpoint's upload size) would be refused: cut to the limit.
  const fixedSec = Math.min(fixedSegmentSec(config), input.maxSegmentSec ?? Infinity);
  const primary = chain[0]!;
  const wantsModel = config.segmentSec === 'auto' || (config.hedging.enabled && config.hedging.afterSec === undefined && input.canHedge);
  let auto: AutoPlan | undefined;
  if (wantsModel) {
    const history = await loadHistory(input.store, primary, config.autoPlan.historyJobs);
    input.signal.throwIfAborted();
    if (config.segmentSec === 'auto') auto = autoPlanFromHistory(history, settingsFromConfig(config, input.maxSegmentSec, input.prior), durationSec);
    else {
      const fit = fitLatencyModel(history, { minJobs: config.autoPlan.minJobs });
      const model = combineWithPrior(input.prior, fit, history)?.model ?? null;
      auto = { targetsSec: [fixedSec], source: 'fixed', reason: 'fixed size', explain: { fit, model } as AutoPlan['explain'] };
    }
  }
  const model = auto?.explain.model ?? undefined;
  let targetsSec = config.segmentSec === 'auto' && auto ? auto.targetsSec : [fixedSec];
  // The primary backend's segments as planned (before fast first words puts one in front).
  const plannedLengthsSec = auto?.explain.choice?.chosen.lengthsSec ?? lengthsFromTargets(durationSec, targetsSec);
  const concurrencyInput = { configured: config.concurrency, backendMax: input.maxConcurrency, planned: config.segmentSec === 'auto' ? auto?.concurrency : undefined };
  const primaryConcurrency = jobConcurrency(concurrencyInput);
  const note: LatencyPlan['note'] = { source: auto?.source ?? 'fixed', reason: auto?.reason ?? 'fixed size', targetsSec };

  let firstSegmentChain: string[] | undefined;
  const firstWords = config.firstWords;
  if (firstWords.enabled && durationSec > firstWords.segmentSec * 2) {
    targetsSec = [firstWords.segmentSec, ...targetsSec];
    if (firstWords.backend && firstWords.backend !== primary) {
      firstSegmentChain = [firstWords.backend, ...chain.filter((id) => id !== firstWords.backend)];
    }
    note.reason += `; first words: a ${firstWords.segmentSec} s first segment${firstSegmentChain ? ` on ${firstWords.backend}` : ''}`;
  }
  note.targetsSec = targetsSec;
  // The first segment on another backend does not take one of the primary's slots.
  const concurrency = jobConcurrency({
    ...concurrencyInput,
    firstSegmentElsewhere: firstSegmentChain !== undefined && concurrencyInput.planned !== undefined,
    remoteInFlight: input.remoteInFlight,
  });

  let hedger: Hedger | undefined;
  const hedging = config.hedging;
  if (hedging.enabled && input.canHedge) {
    const threshold: HedgeThreshold | undefined =
      hedging.afterSec !== undefined
        ? (task) => (task.chain[0] === primary ? hedging.afterSec : undefined)
        : model
          ? modelHedgeThreshold(model, hedging.quantile, Math.min(model.k, primaryConcurrency), plannedLengthsSec, primaryConcurrency)
          : undefined;
    if (threshold) {
      hedger = new Hedger({
        threshold,
        recordingSec: durationSec,
        maxExtraShare: hedging.maxExtraShare,
        ...(hedging.backend ? { chain: [hedging.backend, ...chain.filter((id) => id !== hedging.backend)] } : {}),
        ...(input.onHedge ? { onHedge: input.onHedge } : {}),
      });
    } else note.reason += '; hedging on, but no latency model yet (and no hedging.afterSec)';
  }
  return {
    targetsSec,
    concurrency,
    ...(firstSegmentChain ? { firstSegmentChain } : {}),
    ...(hedger ? { hedger } : {}),
    ...(model ? { model } : {}),
    note,
  };
}
