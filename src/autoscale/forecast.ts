/**
 * Demand forecast for the predictive part of `parascribe_desired_workers`, as pure functions a reviewer
 * can check by hand: a seasonal profile blended with the recent level.
 *
 *   bins        arrivals binned `binSec` wide (audio seconds and jobs per bin, aligned to the epoch)
 *   season      a week when the history holds ≥ 14 days, else a day
 *   profile[k]  mean of bin k of the season over the past seasons that cover it (seasonal-naive,
 *               averaged so one odd day does not decide)
 *   level       r = (actual audio over the last `recentSec`) ÷ (profile over the same bins), clamped to
 *               [1/maxLevelRatio, maxLevelRatio]; effective = 1 + levelWeight × (r − 1)
 *   forecast(t) = profile[bin of t] × effective level
 *
 * The error is measured on the last day of the history: the profile fitted without that day against
 * what arrived in it (MAPE over bins with arrivals, and WAPE = Σ|error| ÷ Σ actual, which empty night
 * bins cannot blow up).
 */

/** One job's arrival (from the job store: created_at and the probed duration). */
export interface Arrival {
  atSec: number;
  audioSec: number;
}

export interface Bin {
  startSec: number;
  audioSec: number;
  jobs: number;
}

export interface ForecastOptions {
  binSec: number;
  recentSec: number;
  levelWeight: number;
  maxLevelRatio: number;
}

export const DAY_SEC = 86_400;
export const WEEK_SEC = 7 * DAY_SEC;
/** A weekly profile needs two weeks of history (one past value per slot is seasonal-naive at its noisiest). */
export const WEEKLY_MIN_DAYS = 14;

export interface ForecastError {
  /** Mean of |forecast − actual| ÷ actual over the held-out day's bins with arrivals (audio seconds). */
  mape: number;
  /** Σ|forecast − actual| ÷ Σ actual over the held-out day (audio seconds). */
  wape: number;
  bins: number;
}

export interface ForecastModel {
  kind: 'model';
  binSec: number;
  fittedAtSec: number;
  /** Whole days between the first arrival read and the fit. */
  historyDays: number;
  seasonSec: number;
  /** Per bin of the season: mean audio seconds and jobs. */
  profile: Array<{ audioSec: number; jobs: number }>;
  /** Effective level factor (after clamp and weight). */
  level: number;
  /** undefined: under two days of history, nothing to hold out. */
  error: ForecastError | undefined;
}

export interface NoForecast {
  kind: 'none';
  reason: string;
  historyDays: number;
}

/** Bins [fromSec, toSec) aligned to multiples of binSec; arrivals outside are ignored. */
export function binArrivals(arrivals: readonly Arrival[], binSec: number, fromSec: number, toSec: number): Bin[] {
  const first = Math.floor(fromSec / binSec);
  const count = Math.max(0, Math.ceil(toSec / binSec) - first);
  const bins: Bin[] = Array.from({ length: count }, (_, i) => ({ startSec: (first + i) * binSec, audioSec: 0, jobs: 0 }));
  for (const a of arrivals) {
    if (!(a.atSec >= fromSec && a.atSec < toSec)) continue;
    const bin = bins[Math.floor(a.atSec / binSec) - first];
    if (!bin) continue;
    bin.audioSec += Math.max(0, a.audioSec);
    bin.jobs += 1;
  }
  return bins;
}

/** Slot of a time within the season (bins aligned to the epoch; epoch day 0 was a Thursday, which only shifts the week). */
export function seasonSlot(atSec: number, binSec: number, seasonSec: number): number {
  const perSeason = Math.round(seasonSec / binSec);
  return ((Math.floor(atSec / binSec) % perSeason) + perSeason) % perSeason;
}

/** Mean per slot over complete history bins (bins of the history only; slots never seen are 0). */
export function seasonalProfile(bins: readonly Bin[], binSec: number, seasonSec: number): Array<{ audioSec: number; jobs: number }> {
  const perSeason = Math.round(seasonSec / binSec);
  const sums = Array.from({ length: perSeason }, () => ({ audioSec: 0, jobs: 0, n: 0 }));
  for (const bin of bins) {
    const s = sums[seasonSlot(bin.startSec, binSec, seasonSec)]!;
    s.audioSec += bin.audioSec;
    s.jobs += bin.jobs;
    s.n += 1;
  }
  return sums.map((s) => (s.n > 0 ? { audioSec: s.audioSec / s.n, jobs: s.jobs / s.n } : { audioSec: 0, jobs: 0 }));
}

/** Effective level: 1 + weight × (clamped actual ÷ profile − 1); 1 when the profile expects nothing and nothing came. */
export function levelFactor(actualAudioSec: number, profileAudioSec: number, options: Pick<ForecastOptions, 'levelWeight' | 'maxLevelRatio'>): number {
  if (profileAudioSec <= 0 && actualAudioSec <= 0) return 1;
  // One audio-minute of slack keeps a near-empty profile bin from turning one call into a huge ratio.
  const ratio = (actualAudioSec + 60) / (profileAudioSec + 60);
  const clamped = Math.min(options.maxLevelRatio, Math.max(1 / options.maxLevelRatio, ratio));
  return 1 + options.levelWeight * (clamped - 1);
}

export function forecastError(forecast: readonly number[], actual: readonly number[]): ForecastError {
  let absSum = 0;
  let actualSum = 0;
  let apeSum = 0;
  let apeBins = 0;
  for (let i = 0; i < Math.min(forecast.length, actual.length); i++) {
    const e = Math.abs(forecast[i]! - actual[i]!);
    absSum += e;
    actualSum += actual[i]!;
    if (actual[i]! > 0) {
      apeSum += e / actual[i]!;
      apeBins += 1;
    }
  }
  return { mape: apeBins > 0 ? apeSum / apeBins : NaN, wape: actualSum > 0 ? absSum / actualSum : NaN, bins: apeBins };
}

/**
 * Fits the forecast at `nowSec` from the arrivals of the history (those before nowSec). Under one
 * whole day of history there is no forecast: the reason says so.
 */
export function fitForecast(arrivals: readonly Arrival[], nowSec: number, options: ForecastOptions): ForecastModel | NoForecast {
  const past = arrivals.filter((a) => a.atSec < nowSec);
  if (past.length === 0) return { kind: 'none', reason: 'no arrivals in the job store', historyDays: 0 };
  const firstSec = past.reduce((m, a) => Math.min(m, a.atSec), Infinity);
  const historyDays = Math.floor((nowSec - firstSec) / DAY_SEC);
  if (historyDays < 1) return { kind: 'none', reason: `${((nowSec - firstSec) / 3600).toFixed(1)} h of arrivals, under one day`, historyDays };
  const { binSec } = options;
  const seasonSec = historyDays >= WEEKLY_MIN_DAYS ? WEEK_SEC : DAY_SEC;
  // Whole bins only: history starts at the first full day before now, ends at the last whole bin.
  const endSec = Math.floor(nowSec / binSec) * binSec;
  const startSec = endSec - historyDays * DAY_SEC;
  const bins = binArrivals(past, binSec, startSec, endSec);
  const profile = seasonalProfile(bins, binSec, seasonSec);
  const recentBins = bins.filter((b) => b.startSec >= endSec - options.recentSec);
  const actual = recentBins.reduce((s, b) => s + b.audioSec, 0);
  const expected = recentBins.reduce((s, b) => s + profile[seasonSlot(b.startSec, binSec, seasonSec)]!.audioSec, 0);
  const level = levelFactor(actual, expected, options);
  let error: ForecastError | undefined;
  if (historyDays >= 2) {
    // Hold out the last day: the profile of the days before it (daily: the hold-out has fewer days for a weekly one).
    const heldFrom = endSec - DAY_SEC;
    const trainBins = bins.filter((b) => b.startSec < heldFrom);
    const heldBins = bins.filter((b) => b.startSec >= heldFrom);
    const trainSeason = historyDays - 1 >= WEEKLY_MIN_DAYS ? WEEK_SEC : DAY_SEC;
    const trainProfile = seasonalProfile(trainBins, binSec, trainSeason);
    error = forecastError(
      heldBins.map((b) => trainProfile[seasonSlot(b.startSec, binSec, trainSeason)]!.audioSec),
      heldBins.map((b) => b.audioSec),
    );
  }
  return { kind: 'model', binSec, fittedAtSec: nowSec, historyDays, seasonSec, profile, level, error };
}

/** Forecast arrivals in the bin holding `atSec`: audio seconds and jobs per bin. */
export function forecastAt(model: ForecastModel, atSec: number): { audioSec: number; jobs: number } {
  const p = model.profile[seasonSlot(atSec, model.binSec, model.seasonSec)]!;
  return { audioSec: p.audioSec * model.level, jobs: p.jobs * model.level };
}

/** Highest forecast audio seconds per second over the bins overlapping [fromSec, toSec]. */
export function peakForecastRate(model: ForecastModel, fromSec: number, toSec: number): number {
  let peak = 0;
  for (let t = Math.floor(fromSec / model.binSec) * model.binSec; t <= toSec; t += model.binSec) {
    peak = Math.max(peak, forecastAt(model, t).audioSec / model.binSec);
  }
  return peak;
}
