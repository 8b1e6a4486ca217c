/**
 * A job's latency decisions, made once its length is known (docs/planning.md): the segment targets
 * (fixed, or 'auto' from the backend's fitted latency model), the dispatch concurrency, fast first
 * words (a short first segment, optionally served by another backend), and the hedging policy.
 */
import type { Config } from '../config/schema.js';
import { fixedSegmentSec } from '../config/schema.js';
import { autoPlanFromHistory, settingsFromConfig, type AutoPlan } from '../plan/latency/auto.js';
import { fitLatencyModel } from '../plan/latency/fit.js';
import { loadHistory } from '../plan/latency/history.js';
import { warmServiceSec, type LatencyModel } from '../plan/latency/model.js';
import type { JobStore } from '../store/jobs.js';
import { Hedger, type HedgeRecord, type HedgeThreshold } from './hedge.js';

export interface LatencyPlan {
  /** Target length of each segment in order (the last repeats), for the planner. */
  targetsSec: number[];
  /** Segments in flight at once, when the model chose it (plus one for a first segment served elsewhere). */
  concurrency?: number;
  /** Chain of segment 0 when fast first words send it to another backend. */
  firstSegmentChain?: string[];
  hedger?: Hedger;
  /** The fitted model of the primary backend, when its history allows one. */
  model?: LatencyModel;
  /** How the plan was chosen, for the job row and `jobs show`. */
  note: { source: 'fixed' | 'model'; reason: string; targetsSec: number[] };
}

/** z for the normal quantile q (Acklam's rational approximation is overkill here: a table suffices). */
function normalQuantile(q: number): number {
  const table: Array<[number, number]> = [[0.5, 0], [0.75, 0.674], [0.8, 0.842], [0.85, 1.036], [0.9, 1.282], [0.95, 1.645], [0.975, 1.96], [0.99, 2.326]];
  for (const [i, [p, z]] of table.entries()) {
    if (q <= p) {
      if (i === 0) return z;
      const [p0, z0] = table[i - 1]!;
      return z0 + ((z - z0) * (q - p0)) / (p - p0);
    }
  }
  return 2.326;
}

/**
 * From the model: a segment of the first wave (one per server) may find its server cold, so its
 * threshold is the warm service time plus the cold start's q-quantile; a later one is hedged when
 * it takes half again its warm service time (plus a second of slack for the client).
 */
export function modelHedgeThreshold(model: LatencyModel, quantile: number, slots: number): HedgeThreshold {
  const cold = model.coldStart;
  const coldQuantileSec = cold.kind === 'lognormal' ? cold.medianSec * Math.exp(cold.sigma * normalQuantile(quantile)) : 0;
  let ordinal = 0; // among this backend's segments (a first-words segment elsewhere does not count)
  return (task) => {
    if (task.chain[0] !== model.backend) return undefined; // served by another backend: no model for it
    const warmSec = warmServiceSec(model, task.endSec - task.startSec);
    const coldPossible = cold.kind === 'lognormal' && (ordinal++ < slots || cold.laterProbability > 0.05);
    return coldPossible ? warmSec + coldQuantileSec : warmSec * 1.5 + 1;
  };
}

export interface LatencyPlanInput {
  config: Config;
  store: JobStore;
  /** The job's backend chain; [0] is the primary. */
  chain: string[];
  /** The recording's length (probed). */
  durationSec: number;
  /** Hedging needs a dispatcher that can run two copies of a segment (the embedded one). */
  canHedge: boolean;
  onHedge?: (record: HedgeRecord) => void;
  signal: AbortSignal;
}

export async function latencyPlan(input: LatencyPlanInput): Promise<LatencyPlan> {
  const { config, chain, durationSec } = input;
  const primary = chain[0]!;
  const wantsModel = config.segmentSec === 'auto' || (config.hedging.enabled && config.hedging.afterSec === undefined && input.canHedge);
  let auto: AutoPlan | undefined;
  if (wantsModel) {
    const history = await loadHistory(input.store, primary, config.autoPlan.historyJobs);
    input.signal.throwIfAborted();
    if (config.segmentSec === 'auto') auto = autoPlanFromHistory(history, settingsFromConfig(config), durationSec);
    else {
      const fit = fitLatencyModel(history, { minJobs: config.autoPlan.minJobs });
      auto = { targetsSec: [fixedSegmentSec(config)], source: 'fixed', reason: 'fixed size', explain: { fit } as AutoPlan['explain'] };
    }
  }
  const fit = auto?.explain.fit;
  const model = fit?.ok ? fit.model : undefined;
  let targetsSec = config.segmentSec === 'auto' && auto ? auto.targetsSec : [fixedSegmentSec(config)];
  let concurrency = config.segmentSec === 'auto' ? auto?.concurrency : undefined;
  const note: LatencyPlan['note'] = { source: auto?.source ?? 'fixed', reason: auto?.reason ?? 'fixed size', targetsSec };

  let firstSegmentChain: string[] | undefined;
  const firstWords = config.firstWords;
  if (firstWords.enabled && durationSec > firstWords.segmentSec * 2) {
    targetsSec = [firstWords.segmentSec, ...targetsSec];
    if (firstWords.backend && firstWords.backend !== primary) {
      firstSegmentChain = [firstWords.backend, ...chain.filter((id) => id !== firstWords.backend)];
      // The first segment does not take one of the primary's slots.
      if (concurrency !== undefined) concurrency += 1;
    }
    note.reason += `; first words: a ${firstWords.segmentSec} s first segment${firstSegmentChain ? ` on ${firstWords.backend}` : ''}`;
  }
  note.targetsSec = targetsSec;

  let hedger: Hedger | undefined;
  const hedging = config.hedging;
  if (hedging.enabled && input.canHedge) {
    const slots = Math.max(1, Math.min(model?.k ?? Infinity, concurrency ?? config.concurrency ?? Infinity));
    const threshold: HedgeThreshold | undefined =
      hedging.afterSec !== undefined ? (task) => (task.chain[0] === primary ? hedging.afterSec : undefined) : model ? modelHedgeThreshold(model, hedging.quantile, slots) : undefined;
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
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(firstSegmentChain ? { firstSegmentChain } : {}),
    ...(hedger ? { hedger } : {}),
    ...(model ? { model } : {}),
    note,
  };
}
