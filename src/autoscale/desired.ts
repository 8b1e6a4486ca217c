/**
 * The desired fleet, as pure functions: max(reactive, predictive), clamped, with scale-down held by a
 * stabilisation window.
 *
 *   predictive = ceil(forecast audio sec per sec ÷ slot speed ÷ (slots per worker × target utilisation))
 *                at the forecast's peak over [now + provisioning delay, now + delay + one bin], so a
 *                worker asked for now is warm when that load arrives (offered load, Little's law)
 *   raw        = max(reactive, predictive)            (predictive absent: reactive alone)
 *   desired    = clamp(max(raw, every raw of the last stabilisation window), minWorkers, maxWorkers)
 *
 * Scale-up follows at once; scale-down only once every recommendation of the window is lower (what
 * the HPA's `behavior.scaleDown.stabilizationWindowSeconds` does). The forecast can only add workers:
 * desired ≥ clamp(reactive) always holds (autoscale/desired.test.ts checks it over random inputs).
 */

export interface PredictiveInput {
  /** Forecast arrivals, audio seconds per second. */
  forecastAudioSecPerSec: number;
  /** Audio seconds one slot does per second; undefined: nothing measured. */
  slotSpeed: number | undefined;
  slotsPerWorker: number;
  targetUtilisation: number;
}

/** Float noise (e.g. 2.0000000001) must not cost a whole worker. */
const EPSILON = 1e-9;

/** Workers the forecast load needs; undefined when no speed was measured (the load cannot be converted). */
export function predictiveWorkers(input: PredictiveInput): number | undefined {
  const { slotSpeed } = input;
  if (slotSpeed === undefined || !Number.isFinite(slotSpeed) || slotSpeed <= 0) return undefined;
  const rate = Math.max(0, Number.isFinite(input.forecastAudioSecPerSec) ? input.forecastAudioSecPerSec : 0);
  const slots = Number.isFinite(input.slotsPerWorker) && input.slotsPerWorker >= 1 ? input.slotsPerWorker : 1;
  const utilisation = input.targetUtilisation > 0 && input.targetUtilisation <= 1 ? input.targetUtilisation : 1;
  return Math.max(0, Math.ceil(rate / slotSpeed / (slots * utilisation) - EPSILON));
}

export interface Recommendation {
  atSec: number;
  workers: number;
}

export interface CombinePolicy {
  minWorkers: number;
  maxWorkers: number;
  scaleDownStabilisationSec: number;
}

export type DesiredSource = 'reactive' | 'predictive' | 'stabilised' | 'bounds';

export interface FleetDecision {
  desiredWorkers: number;
  /** The reactive signal (backlog ÷ measured speed), unclamped by the window. */
  reactiveWorkers: number;
  /** undefined: no forecast (no history, or no measured speed). */
  predictiveWorkers: number | undefined;
  /** max(reactive, predictive) before the window and the bounds. */
  rawWorkers: number;
  /** What set the final number. */
  source: DesiredSource;
  /** Recommendations still inside the window, including this one (the caller keeps them for the next call). */
  window: Recommendation[];
}

/** Combines the two parts and applies the scale-down window; `recent` are earlier raw recommendations. */
export function combineDesired(nowSec: number, reactive: number, predictive: number | undefined, recent: readonly Recommendation[], policy: CombinePolicy): FleetDecision {
  const reactiveWorkers = Math.max(0, Number.isFinite(reactive) ? reactive : 0);
  const rawWorkers = predictive === undefined ? reactiveWorkers : Math.max(reactiveWorkers, predictive);
  const window = [...recent.filter((r) => r.atSec > nowSec - policy.scaleDownStabilisationSec && r.atSec <= nowSec), { atSec: nowSec, workers: rawWorkers }];
  const held = window.reduce((m, r) => Math.max(m, r.workers), 0);
  const desiredWorkers = Math.min(policy.maxWorkers, Math.max(policy.minWorkers, held));
  let source: DesiredSource;
  if (desiredWorkers !== held) source = 'bounds';
  else if (held > rawWorkers) source = 'stabilised';
  else if (predictive !== undefined && predictive > reactiveWorkers) source = 'predictive';
  else source = 'reactive';
  return { desiredWorkers, reactiveWorkers, predictiveWorkers: predictive, rawWorkers, source, window };
}
