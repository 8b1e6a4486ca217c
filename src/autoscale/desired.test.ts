import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combineDesired, predictiveWorkers, type Recommendation } from './desired.js';

describe('predictiveWorkers', () => {
  const base = { forecastAudioSecPerSec: 10, slotSpeed: 10, slotsPerWorker: 1, targetUtilisation: 1 };
  const cases = [
    { name: 'one slot exactly', input: {}, workers: 1 },
    { name: 'no speed measured: none', input: { slotSpeed: undefined }, workers: undefined },
    { name: 'zero speed: none', input: { slotSpeed: 0 }, workers: undefined },
    { name: 'no load: zero', input: { forecastAudioSecPerSec: 0 }, workers: 0 },
    // 10 / 10 / (1 × 0.8) = 1.25 → 2
    { name: 'utilisation headroom rounds up', input: { targetUtilisation: 0.8 }, workers: 2 },
    // 100 / 5 = 20 slots, 4 per worker
    { name: 'slots per worker divide', input: { forecastAudioSecPerSec: 100, slotSpeed: 5, slotsPerWorker: 4 }, workers: 5 },
    { name: 'float noise does not add one', input: { forecastAudioSecPerSec: 0.1 + 0.2, slotSpeed: 0.3 }, workers: 1 },
    { name: 'NaN forecast counts as no load', input: { forecastAudioSecPerSec: NaN }, workers: 0 },
    { name: 'bad slots per worker count as 1', input: { slotsPerWorker: 0, forecastAudioSecPerSec: 30 }, workers: 3 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(predictiveWorkers({ ...base, ...c.input }), c.workers));
});

describe('combineDesired', () => {
  const policy = { minWorkers: 0, maxWorkers: 100, scaleDownStabilisationSec: 300 };
  const r = (atSec: number, workers: number): Recommendation => ({ atSec, workers });
  const cases: Array<{ name: string; reactive: number; predictive: number | undefined; recent: Recommendation[]; policy?: Partial<typeof policy>; desired: number; source: string }> = [
    { name: 'no forecast: reactive alone', reactive: 3, predictive: undefined, recent: [], desired: 3, source: 'reactive' },
    { name: 'forecast above: predictive', reactive: 3, predictive: 5, recent: [], desired: 5, source: 'predictive' },
    { name: 'forecast below never lowers it', reactive: 3, predictive: 1, recent: [], desired: 3, source: 'reactive' },
    { name: 'equal: reactive', reactive: 3, predictive: 3, recent: [], desired: 3, source: 'reactive' },
    { name: 'a higher recommendation in the window holds scale-down', reactive: 1, predictive: undefined, recent: [r(800, 6)], desired: 6, source: 'stabilised' },
    { name: 'one out of the window (≥ 300 s old) no longer holds', reactive: 1, predictive: undefined, recent: [r(700, 6)], desired: 1, source: 'reactive' },
    { name: 'the highest of the window wins', reactive: 2, predictive: 1, recent: [r(750, 4), r(900, 7), r(950, 3)], desired: 7, source: 'stabilised' },
    { name: 'scale-up is immediate', reactive: 9, predictive: undefined, recent: [r(990, 2)], desired: 9, source: 'reactive' },
    { name: 'window 0: no hold', reactive: 1, predictive: undefined, recent: [r(999, 6)], policy: { scaleDownStabilisationSec: 0 }, desired: 1, source: 'reactive' },
    { name: 'minWorkers', reactive: 0, predictive: 0, recent: [], policy: { minWorkers: 2 }, desired: 2, source: 'bounds' },
    { name: 'maxWorkers', reactive: 50, predictive: 80, recent: [], policy: { maxWorkers: 20 }, desired: 20, source: 'bounds' },
    { name: 'NaN reactive counts as 0', reactive: NaN, predictive: 2, recent: [], desired: 2, source: 'predictive' },
  ];
  for (const c of cases)
    test(c.name, () => {
      const d = combineDesired(1_000, c.reactive, c.predictive, c.recent, { ...policy, ...c.policy });
      assert.equal(d.desiredWorkers, c.desired);
      assert.equal(d.source, c.source);
    });

  test('the returned window drops old entries and adds this one', () => {
    const d = combineDesired(1_000, 2, 4, [r(600, 9), r(800, 3)], policy);
    assert.deepEqual(d.window, [r(800, 3), r(1_000, 4)]);
  });

  test('the forecast never takes the desired count below the (clamped) reactive one', () => {
    fc.assert(
      fc.property(
        fc.nat(200),
        fc.option(fc.nat(200), { nil: undefined }),
        fc.array(fc.record({ atSec: fc.integer({ min: 0, max: 1_000 }), workers: fc.nat(200) }), { maxLength: 8 }),
        fc.nat(10),
        fc.integer({ min: 10, max: 150 }),
        fc.nat(600),
        (reactive, predictive, recent, minWorkers, maxWorkers, windowSec) => {
          const p = { minWorkers, maxWorkers: Math.max(minWorkers, maxWorkers), scaleDownStabilisationSec: windowSec };
          const d = combineDesired(1_000, reactive, predictive, recent, p);
          const clampedReactive = Math.min(p.maxWorkers, Math.max(p.minWorkers, reactive));
          return d.desiredWorkers >= clampedReactive && d.desiredWorkers <= p.maxWorkers && d.desiredWorkers >= p.minWorkers;
        },
      ),
    );
  });
});
