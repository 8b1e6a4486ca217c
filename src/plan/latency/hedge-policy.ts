/**
 * When a segment is hedged, from the fitted model. One rule for the runtime hedger
 * (src/pipeline/latency-plan.ts) and for the predictor (predict.ts), so a plan is chosen for the
 * hedging it will really get.
 */
import { listSchedule } from './schedule.js';
import { warmServiceSec, type LatencyModel } from './model.js';

export interface HedgePolicy {
  /** A segment is hedged once it runs past this quantile of its predicted time. */
  quantile: number;
  /** Duplicated audio may not exceed this share of the recording (worst-case extra compute). */
  maxExtraShare: number;
}

/** z for the normal quantile q (a table with linear interpolation is accurate enough here). */
export function normalQuantile(q: number): number {
  const table: Array<[number, number]> = [[0.5, 0], [0.6, 0.253], [0.75, 0.674], [0.8, 0.842], [0.85, 1.036], [0.9, 1.282], [0.95, 1.645], [0.975, 1.96], [0.99, 2.326]];
  for (const [i, [p, z]] of table.entries()) {
    if (q <= p) {
      if (i === 0) return z;
      const [p0, z0] = table[i - 1]!;
      return z0 + ((z - z0) * (q - p0)) / (p - p0);
    }
  }
  return 2.326;
}

/** The cold start's q-quantile (0 when the model has no separate cold start). */
export function coldQuantileSec(model: LatencyModel, quantile: number): number {
  const cold = model.coldStart;
  return cold.kind === 'lognormal' ? cold.medianSec * Math.exp(cold.sigma * normalQuantile(quantile)) : 0;
}

/**
 * Seconds after its dispatch when a segment is hedged. `ordinal` counts the backend's segments in
 * dispatch order; `queuedSec` is the model's wait between its dispatch and a server taking it (when
 * more segments are in flight than there are servers). A segment of the first wave (one per server)
 * may boot a cold server: its threshold is its warm service time plus the cold start's q-quantile. A
 * later one finds a warm server: it is hedged at half again its warm service time plus a second.
 */
export function hedgeAfterSec(model: LatencyModel, audioSec: number, ordinal: number, slots: number, quantile: number, queuedSec = 0): number {
  const cold = model.coldStart;
  const warmSec = warmServiceSec(model, audioSec);
  const coldPossible = cold.kind === 'lognormal' && (ordinal < slots || cold.laterProbability > 0.05);
  return queuedSec + (coldPossible ? warmSec + coldQuantileSec(model, quantile) : warmSec * 1.5 + 1);
}

/**
 * The model's wait between each segment's dispatch and its start on a server, when the first wave's
 * cold starts take their q-quantile: 0 while the client dispatches no more than the servers take
 * (the wait is then before dispatch, which the hedger does not count).
 */
export function predictedQueueSec(model: LatencyModel, lengthsSec: readonly number[], concurrency: number, quantile: number): number[] {
  const servers = Math.max(1, model.k);
  const inFlight = Math.max(1, Math.floor(concurrency));
  if (inFlight <= servers || lengthsSec.length === 0) return lengthsSec.map(() => 0);
  const coldSec = coldQuantileSec(model, quantile);
  const services = lengthsSec.map((d, i) => warmServiceSec(model, d) + (i < servers ? coldSec : 0));
  const completions = listSchedule(services, servers);
  return completions.map((doneSec, i) => {
    const dispatchSec = i < inFlight ? 0 : completions[i - inFlight]!;
    return Math.max(0, doneSec - services[i]! - dispatchSec);
  });
}
