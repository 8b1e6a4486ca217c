import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capSec, DEFAULT_SEGMENT_CAP, lengthsFromTargets } from './targets.js';

test('lengthsFromTargets follows the planner: the last target repeats, a short remainder joins the last segment', () => {
  const cases: Array<{ name: string; durationSec: number; targets: number[]; min?: number; lengths: number[] }> = [
    { name: 'shorter than the target', durationSec: 45, targets: [60], lengths: [45] },
    { name: 'remainder under target + min stays one', durationSec: 70, targets: [60], lengths: [70] },
    { name: 'even split', durationSec: 1200, targets: [400], lengths: [400, 400, 400] },
    { name: 'fixed 360 s on an hour: the 3600 - 9 × 360 = 360 s rest is its own', durationSec: 3600, targets: [360], lengths: [360, 360, 360, 360, 360, 360, 360, 360, 360, 360] },
    { name: 'boot wave', durationSec: 1000, targets: [30, 30, 470], lengths: [30, 30, 470, 470] },
    { name: 'configured minimum', durationSec: 130, targets: [60], min: 5, lengths: [60, 60, 10] },
    { name: 'nothing to cut', durationSec: 0, targets: [60], lengths: [] },
  ];
  for (const c of cases) assert.deepEqual(lengthsFromTargets(c.durationSec, c.targets, c.min), c.lengths, c.name);
  assert.throws(() => lengthsFromTargets(100, []), RangeError);
  assert.throws(() => lengthsFromTargets(100, [0]), RangeError);
});

test('capSec: the smaller of the absolute and the share cap, never below the floor', () => {
  const cases: Array<[durationSec: number, cap: number]> = [
    [40, 60],
    [100, 60],
    [1000, 500],
    [3600, 1800],
    [10_000, 1800],
  ];
  for (const [durationSec, expected] of cases) assert.equal(capSec(durationSec, DEFAULT_SEGMENT_CAP), expected, `${durationSec} s`);
  assert.equal(capSec(1000, { ...DEFAULT_SEGMENT_CAP, maxSegmentShare: 0.25 }), 250);
});
