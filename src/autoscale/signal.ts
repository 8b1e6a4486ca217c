/**
 * The fleet signal's state around the pure functions (forecast.ts, desired.ts): the forecast fitted
 * from the job store's arrivals, refitted every `refitSec`, and the recent recommendations of the
 * scale-down window. Time comes in as an argument, so the fleet simulator (bench/fleet-sim.ts) drives
 * this very class in virtual time. One instance per API server; its state is per process, so several
 * API servers each hold their own window (they see the same inputs, and KEDA takes the max).
 */
import { combineDesired, predictiveWorkers, type FleetDecision, type Recommendation } from './desired.js';
import { fitForecast, peakForecastRate, DAY_SEC, type Arrival, type ForecastModel, type NoForecast } from './forecast.js';

export interface FleetSignalPolicy {
  minWorkers: number;
  maxWorkers: number;
  scaleDownStabilisationSec: number;
  provisioningDelaySec: number;
  forecast: {
    enabled: boolean;
    binSec: number;
    refitSec: number;
    historyDays: number;
    recentSec: number;
    levelWeight: number;
    maxLevelRatio: number;
    targetUtilisation: number;
  };
}

export interface FleetSignalOptions {
  policy: FleetSignalPolicy;
  /** Arrivals since a time (the job store's `listArrivalsSince`). */
  loadArrivals: (sinceSec: number) => Promise<Arrival[]>;
  log?: (line: string) => void;
}

export interface ForecastStatus {
  /** 'model': the predictive part is in; 'none': reactive alone, `reason` says why. */
  kind: 'model' | 'none' | 'off';
  reason?: string;
  historyDays: number;
  /** Forecast audio seconds per second at now + provisioning delay (undefined without a model). */
  forecastAudioSecPerSec?: number;
  /** Held-out day's error of the last fit. */
  mape?: number;
  wape?: number;
  fittedAtSec?: number;
}

export interface SignalInput {
  nowSec: number;
  /** Reactive workers, before min/max bounds (queue/bullmq/autoscale.ts). */
  reactiveWorkers: number;
  /** Audio seconds per processing second of one slot over all backends; undefined: none measured. */
  slotSpeed: number | undefined;
  slotsPerWorker: number;
}

export type SignalDecision = FleetDecision & { forecast: ForecastStatus };

/** Arrivals read per refit at most (a month of a busy deployment; the fit is linear in them). */
const MAX_ARRIVALS = 500_000;

export class FleetSignal {
  readonly #options: FleetSignalOptions;
  #model: ForecastModel | NoForecast | undefined;
  #fittedAtSec = -Infinity;
  #fitting: Promise<void> | undefined;
  #window: Recommendation[] = [];
  #lastLogged = '';

  constructor(options: FleetSignalOptions) {
    this.#options = options;
  }

  /** Refits when the last fit is older than `refitSec` (single flight); resolves when that fit is done. */
  refitIfStale(nowSec: number): Promise<void> {
    const { forecast } = this.#options.policy;
    if (!forecast.enabled) return Promise.resolve();
    if (this.#fitting) return this.#fitting;
    if (nowSec - this.#fittedAtSec < forecast.refitSec) return Promise.resolve();
    this.#fitting = this.#refit(nowSec).finally(() => {
      this.#fitting = undefined;
    });
    return this.#fitting;
  }

  async #refit(nowSec: number): Promise<void> {
    const { forecast } = this.#options.policy;
    try {
      const arrivals = await this.#options.loadArrivals(nowSec - forecast.historyDays * DAY_SEC);
      this.#model = fitForecast(arrivals.slice(0, MAX_ARRIVALS), nowSec, forecast);
    } catch (error) {
      this.#model = { kind: 'none', reason: `the job store could not be read (${error instanceof Error ? error.message : String(error)})`, historyDays: 0 };
    }
    this.#fittedAtSec = nowSec;
    const m = this.#model;
    const line =
      m.kind === 'none'
        ? `autoscale: no forecast (${m.reason}); parascribe_desired_workers is the reactive signal alone`
        : `autoscale: forecast fitted on ${m.historyDays} days (${m.seasonSec === DAY_SEC ? 'daily' : 'weekly'} profile, level ×${m.level.toFixed(2)}${m.error ? `, held-out day WAPE ${(m.error.wape * 100).toFixed(0)} %` : ''})`;
    // Said once per change, not on every refit.
    const key = m.kind === 'none' ? line : 'model';
    if (key !== this.#lastLogged) this.#options.log?.(line);
    this.#lastLogged = key;
  }

  status(nowSec: number): ForecastStatus {
    const { policy } = this.#options;
    if (!policy.forecast.enabled) return { kind: 'off', reason: 'distributed.autoscale.forecast.enabled is false', historyDays: 0 };
    const m = this.#model;
    if (!m) return { kind: 'none', reason: 'not fitted yet', historyDays: 0 };
    if (m.kind === 'none') return { kind: 'none', reason: m.reason, historyDays: m.historyDays, fittedAtSec: this.#fittedAtSec };
    const aheadSec = nowSec + policy.provisioningDelaySec;
    return {
      kind: 'model',
      historyDays: m.historyDays,
      forecastAudioSecPerSec: peakForecastRate(m, aheadSec, aheadSec + m.binSec),
      fittedAtSec: this.#fittedAtSec,
      ...(m.error ? { mape: m.error.mape, wape: m.error.wape } : {}),
    };
  }

  /** The decision at `nowSec`; records it in the scale-down window. */
  decide(input: SignalInput): SignalDecision {
    const { policy } = this.#options;
    const forecast = this.status(input.nowSec);
    const predictive =
      forecast.forecastAudioSecPerSec === undefined
        ? undefined
        : predictiveWorkers({ forecastAudioSecPerSec: forecast.forecastAudioSecPerSec, slotSpeed: input.slotSpeed, slotsPerWorker: input.slotsPerWorker, targetUtilisation: policy.forecast.targetUtilisation });
    if (forecast.kind === 'model' && predictive === undefined) {
      forecast.kind = 'none';
      forecast.reason = 'no measured slot speed to turn the forecast into workers';
    }
    const decision = combineDesired(input.nowSec, input.reactiveWorkers, predictive, this.#window, policy);
    this.#window = decision.window;
    return { ...decision, forecast };
  }
}
