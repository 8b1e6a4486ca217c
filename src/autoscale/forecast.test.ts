import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { binArrivals, DAY_SEC, fitForecast, forecastAt, forecastError, levelFactor, peakForecastRate, seasonalProfile, seasonSlot, WEEK_SEC, type Arrival } from './forecast.js';

const OPTIONS = { binSec: 300, recentSec: 3_600, levelWeight: 0.5, maxLevelRatio: 3 };
/** A Monday 00:00 UTC far from the epoch (bins align to the epoch). */
const DAY0 = 20_000 * DAY_SEC;

/** `perDay` arrivals of `audioSec` at hour `hour` of each of `days` days. */
function daily(days: number, hour: number, audioSec: number, perDay = 1): Arrival[] {
  const out: Arrival[] = [];
  for (let d = 0; d < days; d++) for (let i = 0; i < perDay; i++) out.push({ atSec: DAY0 + d * DAY_SEC + hour * 3600 + i, audioSec });
  return out;
}

describe('binArrivals', () => {
  const cases = [
    { name: 'empty range', arrivals: [], from: 0, to: 0, bins: [] },
    { name: 'one arrival in the first bin', arrivals: [{ atSec: 10, audioSec: 60 }], from: 0, to: 600, bins: [{ startSec: 0, audioSec: 60, jobs: 1 }, { startSec: 300, audioSec: 0, jobs: 0 }] },
    { name: 'two in one bin add up', arrivals: [{ atSec: 301, audioSec: 60 }, { atSec: 599, audioSec: 40 }], from: 300, to: 600, bins: [{ startSec: 300, audioSec: 100, jobs: 2 }] },
    { name: 'outside the range ignored', arrivals: [{ atSec: 600, audioSec: 60 }, { atSec: -1, audioSec: 5 }], from: 0, to: 600, bins: [{ startSec: 0, audioSec: 0, jobs: 0 }, { startSec: 300, audioSec: 0, jobs: 0 }] },
    { name: 'unaligned start rounds down to a bin', arrivals: [{ atSec: 450, audioSec: 7 }], from: 400, to: 600, bins: [{ startSec: 300, audioSec: 7, jobs: 1 }] },
    { name: 'negative audio counts as 0 s, 1 job', arrivals: [{ atSec: 1, audioSec: -5 }], from: 0, to: 300, bins: [{ startSec: 0, audioSec: 0, jobs: 1 }] },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(binArrivals(c.arrivals, 300, c.from, c.to), c.bins));
});

describe('seasonSlot and seasonalProfile', () => {
  test('slots wrap per day and week', () => {
    assert.equal(seasonSlot(DAY0, 300, DAY_SEC), 0);
    assert.equal(seasonSlot(DAY0 + DAY_SEC + 600, 300, DAY_SEC), 2);
    assert.equal(seasonSlot(DAY0 + 299, 300, DAY_SEC), 0);
    assert.equal(seasonSlot(DAY0 + DAY_SEC, 300, WEEK_SEC), seasonSlot(DAY0, 300, WEEK_SEC) + 288);
  });
  test('profile is the mean per slot over the seasons', () => {
    const bins = [
      { startSec: DAY0, audioSec: 100, jobs: 1 },
      { startSec: DAY0 + DAY_SEC, audioSec: 300, jobs: 3 },
      { startSec: DAY0 + 300, audioSec: 50, jobs: 1 },
    ];
    const p = seasonalProfile(bins, 300, DAY_SEC);
    assert.equal(p.length, 288);
    assert.deepEqual(p[0], { audioSec: 200, jobs: 2 });
    assert.deepEqual(p[1], { audioSec: 50, jobs: 1 });
    assert.deepEqual(p[2], { audioSec: 0, jobs: 0 });
  });
});

describe('levelFactor', () => {
  const cases = [
    { name: 'nothing expected, nothing came', actual: 0, expected: 0, weight: 0.5, level: 1 },
    { name: 'as expected', actual: 600, expected: 600, weight: 0.5, level: 1 },
    // (1260 + 60) / (600 + 60) = 2 → 1 + 0.5 × 1
    { name: 'double, half weight', actual: 1260, expected: 600, weight: 0.5, level: 1.5 },
    { name: 'double, full weight', actual: 1260, expected: 600, weight: 1, level: 2 },
    { name: 'weight 0 is seasonal-naive', actual: 1260, expected: 600, weight: 0, level: 1 },
    // 100 ×: clamped to 3 → 1 + 0.5 × 2
    { name: 'clamped above', actual: 60_000, expected: 540, weight: 0.5, level: 2 },
    // (0 + 60) / (1740 + 60) = 1/30 → clamped to 1/3 → 1 + 0.5 × (−2/3)
    { name: 'clamped below', actual: 0, expected: 1740, weight: 0.5, level: 1 - 1 / 3 },
  ];
  for (const c of cases) test(c.name, () => assert.ok(Math.abs(levelFactor(c.actual, c.expected, { levelWeight: c.weight, maxLevelRatio: 3 }) - c.level) < 1e-12));
});

describe('forecastError', () => {
  const cases = [
    { name: 'perfect', f: [1, 2], a: [1, 2], mape: 0, wape: 0, bins: 2 },
    { name: 'half off', f: [1, 3], a: [2, 2], mape: 0.5, wape: 0.5, bins: 2 },
    // zero-actual bins add to WAPE's numerator only, not to MAPE
    { name: 'zero actual bin', f: [1, 2], a: [0, 2], mape: 0, wape: 0.5, bins: 1 },
  ];
  for (const c of cases)
    test(c.name, () => {
      const e = forecastError(c.f, c.a);
      assert.deepEqual([e.mape, e.wape, e.bins], [c.mape, c.wape, c.bins]);
    });
  test('no actuals: NaN', () => assert.ok(Number.isNaN(forecastError([1], [0]).mape)));
});

describe('fitForecast', () => {
  const cases: Array<{ name: string; arrivals: Arrival[]; nowSec: number; none?: RegExp; days?: number; season?: number; at?: number; audioSec?: number; wape?: number }> = [
    { name: 'no arrivals: no forecast', arrivals: [], nowSec: DAY0, none: /no arrivals/ },
    { name: 'under a day: no forecast', arrivals: daily(1, 9, 60), nowSec: DAY0 + 20 * 3600, none: /11\.0 h of arrivals, under one day/ },
    { name: 'future arrivals do not count', arrivals: daily(3, 9, 60), nowSec: DAY0 + 10 * 3600, none: /under one day/ },
    // 3 days of one 600 s job at 09:00; now is day 3 at 08:00, recent hour empty as the profile expects.
    { name: 'daily profile: the 09:00 bin', arrivals: daily(3, 9, 600), nowSec: DAY0 + 3 * DAY_SEC + 8 * 3600, days: 2, season: DAY_SEC, at: DAY0 + 3 * DAY_SEC + 9 * 3600, audioSec: 600, wape: 0 },
    { name: 'daily profile: an empty bin', arrivals: daily(3, 9, 600), nowSec: DAY0 + 3 * DAY_SEC + 8 * 3600, at: DAY0 + 3 * DAY_SEC + 10 * 3600, audioSec: 0 },
    // 15 days: weekly season; each slot has 2 past values at most.
    { name: 'two weeks: weekly profile', arrivals: daily(15, 9, 600), nowSec: DAY0 + 15 * DAY_SEC + 8 * 3600, days: 14, season: WEEK_SEC, at: DAY0 + 15 * DAY_SEC + 9 * 3600, audioSec: 600 },
  ];
  for (const c of cases)
    test(c.name, () => {
      const m = fitForecast(c.arrivals, c.nowSec, OPTIONS);
      if (c.none) {
        assert.equal(m.kind, 'none');
        if (m.kind === 'none') assert.match(m.reason, c.none);
        return;
      }
      assert.equal(m.kind, 'model');
      if (m.kind !== 'model') return;
      if (c.days !== undefined) assert.equal(m.historyDays, c.days);
      if (c.season !== undefined) assert.equal(m.seasonSec, c.season);
      if (c.at !== undefined) assert.ok(Math.abs(forecastAt(m, c.at).audioSec - c.audioSec!) < 1e-9, `forecast ${forecastAt(m, c.at).audioSec}`);
      if (c.wape !== undefined) assert.equal(m.error?.wape, c.wape);
    });

  test('a busier recent hour raises the level', () => {
    // One 600 s job at 07:30 on days 0–2; two of them today (day 3).
    const arrivals = [...daily(3, 7.5, 600), ...daily(1, 7.5, 600, 2).map((a) => ({ ...a, atSec: a.atSec + 3 * DAY_SEC + 10 }))];
    const nowSec = DAY0 + 3 * DAY_SEC + 8 * 3600;
    const m = fitForecast(arrivals, nowSec, OPTIONS);
    assert.equal(m.kind, 'model');
    if (m.kind !== 'model') return;
    // The history is the 3 whole days before now (day 0 08:00 to day 3 08:00), so day 0's 07:30 is out:
    // the 07:30 slot is (600 + 600 + 1200) / 3 = 800; the recent hour had 1200.
    const expected = 1 + 0.5 * ((1200 + 60) / (800 + 60) - 1);
    assert.ok(Math.abs(m.level - expected) < 1e-12, `level ${m.level}`);
  });

  test('the held-out error sees a day that differs', () => {
    // Days 0–1: 600 s at 09:00; day 2: 1200 s at 09:00. The profile of days 0–1 says 600: 50 % off.
    const arrivals = [...daily(2, 9, 600), { atSec: DAY0 + 2 * DAY_SEC + 9 * 3600, audioSec: 1200 }];
    const m = fitForecast(arrivals, DAY0 + 3 * DAY_SEC, OPTIONS);
    assert.equal(m.kind, 'model');
    if (m.kind === 'model') assert.deepEqual(m.error, { mape: 0.5, wape: 0.5, bins: 1 });
  });

  test('peakForecastRate takes the busiest bin of the window', () => {
    const m = fitForecast(daily(3, 9, 600), DAY0 + 3 * DAY_SEC + 8 * 3600, OPTIONS);
    assert.equal(m.kind, 'model');
    if (m.kind !== 'model') return;
    assert.equal(peakForecastRate(m, DAY0 + 3 * DAY_SEC + 8.9 * 3600, DAY0 + 3 * DAY_SEC + 9.05 * 3600), 2);
    assert.equal(peakForecastRate(m, DAY0 + 3 * DAY_SEC + 10 * 3600, DAY0 + 3 * DAY_SEC + 11 * 3600), 0);
  });
});
