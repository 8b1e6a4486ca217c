import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise, type SegmentTelemetry } from './summary.js';

const segment = (index: number, fields: Partial<SegmentTelemetry> = {}): SegmentTelemetry => ({
  index,
  startSec: index * 60,
  endSec: index * 60 + 60,
  status: 'completed',
  attempts: 1,
  backend: 'pocketsphinx',
  computeSec: 10,
  lifeSec: 12,
  coldStart: false,
  costUsd: 0,
  error: null,
  ...fields,
});

describe('summarise', () => {
  test('k is compute over wall; overhead is the mean of life minus compute over computed segments', () => {
    const t = summarise(240, 20, [segment(0), segment(1, { computeSec: 14, lifeSec: 15 }), segment(2, { status: 'reused', computeSec: 0, lifeSec: 0 }), segment(3)], false, 2);
    assert.equal(t.computeSec, 10 + 14 + 10 + 2, 'reused segments add nothing; preparation adds');
    assert.equal(t.prepareComputeSec, 2);
    assert.equal(t.parallelism, 36 / 20);
    assert.equal(t.overheadPerSegmentSec, (2 + 1 + 2) / 3);
    assert.equal(t.segments, 4);
    assert.equal(t.segmentsReused, 1);
    assert.equal(t.realTimeFactor, 20 / 240);
  });

  const table: Array<[string, Parameters<typeof summarise>, Partial<ReturnType<typeof summarise>>]> = [
    ['a cache hit: no segments, no compute, zero k', [120, 0.05, [], true], { computeSec: 0, parallelism: 0, segments: 0, cacheHit: true, overheadPerSegmentSec: 0 }],
    ['zero wall: k is 0, not Infinity', [60, 0, [segment(0)], false], { parallelism: 0 }],
    ['zero duration: rates are 0, not NaN', [0, 5, [segment(0)], false], { realTimeFactor: 0, costPerAudioMinuteUsd: 0 }],
    ['cold starts counted on computed segments only', [180, 30, [segment(0, { coldStart: true }), segment(1, { coldStart: true, status: 'failed' }), segment(2)], false], { coldStarts: 1 }],
    ['cost summed over computed segments, per audio minute', [120, 30, [segment(0, { costUsd: 0.006 }), segment(1, { costUsd: 0.006 }), segment(2, { status: 'reused', costUsd: 0.5 })], false], { costUsd: 0.012, costPerAudioMinuteUsd: 0.006 }],
    ['overhead never negative (compute longer than life: clocks of two machines)', [60, 10, [segment(0, { computeSec: 12, lifeSec: 11 })], false], { overheadPerSegmentSec: 0 }],
  ];
  for (const [name, args, expected] of table) {
    test(name, () => {
      const t = summarise(...args);
      for (const [key, value] of Object.entries(expected)) {
        const actual = t[key as keyof typeof t] as number;
        if (typeof value === 'number') assert.ok(Math.abs(actual - value) < 1e-12, `${key}: ${actual} ≠ ${value}`);
        else assert.deepEqual(actual, value, key);
      }
    });
  }

  test('timings pass through; absent ones stay absent (not undefined keys)', () => {
    const t = summarise(60, 10, [segment(0)], false, 0, { decodeSec: 1.5, firstResultSec: 3, plan: { source: 'model', reason: 'r', targetsSec: [30] } });
    assert.equal(t.decodeSec, 1.5);
    assert.equal(t.firstResultSec, 3);
    assert.deepEqual(t.plan, { source: 'model', reason: 'r', targetsSec: [30] });
    assert.equal('firstDispatchSec' in t, false);
    assert.equal('hedges' in t, false);
    assert.equal('warmPool' in t, false);
  });
});
