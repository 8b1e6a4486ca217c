import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSegments, type PlanOptions } from './planner.js';
import type { Pause } from '../core/types.js';

interface Case {
  name: string;
  durationSec: number;
  pauses: Pause[];
  options: PlanOptions;
  expected: Array<[number, number, string]>;
}

const cases: Case[] = [
  { name: 'zero duration gives no segments', durationSec: 0, pauses: [], options: { targetSec: 60 }, expected: [] },
  {
    name: 'shorter than target: one segment',
    durationSec: 45,
    pauses: [{ startSec: 20, endSec: 21 }],
    options: { targetSec: 60 },
    expected: [[0, 45, 'end']],
  },
  {
    name: 'remainder under target+min stays one final segment',
    durationSec: 70,
    pauses: [{ startSec: 59, endSec: 61 }],
    options: { targetSec: 60, minSegmentSec: 15 },
    expected: [[0, 70, 'end']],
  },
  {
    name: 'cuts in the middle of the nearest pause',
    durationSec: 190,
    pauses: [
      { startSec: 50, endSec: 51 },
      { startSec: 62, endSec: 63 },
      { startSec: 119, endSec: 120 },
    ],
    options: { targetSec: 60, toleranceSec: 9 },
    expected: [
      [0, 62.5, 'pause'],
      [62.5, 119.5, 'pause'],
      [119.5, 190, 'end'],
    ],
  },
  {
    name: 'equal distance: the longer pause wins',
    durationSec: 120,
    pauses: [
      { startSec: 54.5, endSec: 55.5 },
      { startSec: 63, endSec: 67 },
    ],
    options: { targetSec: 60, toleranceSec: 9, minSegmentSec: 10 },
    expected: [
      [0, 65, 'pause'],
      [65, 120, 'end'],
    ],
  },
  {
    name: 'no pause in the window: hard cut with overlap',
    durationSec: 130,
    pauses: [{ startSec: 10, endSec: 11 }],
    options: { targetSec: 60, toleranceSec: 5, overlapSec: 2 },
    expected: [
      [0, 61, 'hard'],
      [59, 130, 'end'],
    ],
  },
  {
    name: 'pause outside tolerance is ignored',
    durationSec: 130,
    pauses: [{ startSec: 70, endSec: 71 }],
    options: { targetSec: 60, toleranceSec: 5, overlapSec: 2 },
    expected: [
      [0, 61, 'hard'],
      [59, 130, 'end'],
    ],
  },
  {
    name: 'a pause that would leave a segment under the minimum is not used',
    durationSec: 25,
    pauses: [{ startSec: 4, endSec: 6 }],
    options: { targetSec: 10, toleranceSec: 6, minSegmentSec: 8, overlapSec: 1 },
    expected: [
      [0, 10.5, 'hard'],
      [9.5, 25, 'end'],
    ],
  },
  {
    name: 'long file at 360 s with regular pauses',
    durationSec: 1000,
    pauses: Array.from({ length: 100 }, (_, i) => ({ startSec: i * 10 + 9, endSec: i * 10 + 9.6 })),
    options: { targetSec: 360 },
    expected: [
      [0, 359.3, 'pause'],
      [359.3, 719.3, 'pause'],
      [719.3, 1000, 'end'],
    ],
  },
  {
    name: 'unsorted pauses are handled',
    durationSec: 130,
    pauses: [
      { startSec: 61, endSec: 62 },
      { startSec: 30, endSec: 31 },
    ],
    options: { targetSec: 60, toleranceSec: 5 },
    expected: [
      [0, 61.5, 'pause'],
      [61.5, 130, 'end'],
    ],
  },
];

for (const c of cases) {
  test(`planner: ${c.name}`, () => {
    const plan = planSegments(c.durationSec, c.pauses, c.options);
    assert.deepEqual(
      plan.map((s) => [s.startSec, s.endSec, s.cutAfter]),
      c.expected,
    );
    plan.forEach((s, i) => assert.equal(s.index, i));
  });
}

const targetsCases: Case[] = [
  {
    name: 'targetsSec: a short first segment of 20 s, then 900 s',
    durationSec: 1000,
    pauses: Array.from({ length: 100 }, (_, i) => ({ startSec: i * 10 + 9, endSec: i * 10 + 9.6 })),
    options: { targetSec: 360, targetsSec: [20, 900] },
    expected: [
      [0, 19.3, 'pause'],
      [19.3, 919.3, 'pause'],
      [919.3, 1000, 'end'],
    ],
  },
  {
    name: 'targetsSec: the last entry repeats; tolerance and minimum follow each target (hard cuts)',
    durationSec: 100,
    pauses: [],
    options: { targetSec: 360, targetsSec: [20, 30], overlapSec: 2 },
    expected: [
      [0, 21, 'hard'],
      [19, 50, 'hard'],
      [48, 79, 'hard'],
      [77, 100, 'end'],
    ],
  },
  {
    name: 'targetsSec: the remainder rule uses the next segment\'s own target and minimum',
    durationSec: 45,
    pauses: [],
    options: { targetSec: 10, targetsSec: [20, 900] },
    expected: [
      [0, 20.75, 'hard'],
      [19.25, 45, 'end'],
    ],
  },
  {
    name: 'targetsSec: a window from the first target\'s default tolerance (3 s) misses a pause 4 s off',
    durationSec: 200,
    pauses: [{ startSec: 23.5, endSec: 24.5 }],
    options: { targetSec: 60, targetsSec: [20, 60], overlapSec: 1 },
    expected: [
      [0, 20.5, 'hard'],
      [19.5, 80, 'hard'],
      [79, 139.5, 'hard'],
      [138.5, 200, 'end'],
    ],
  },
  {
    name: 'targetsSec: an empty list means targetSec',
    durationSec: 130,
    pauses: [{ startSec: 61, endSec: 62 }],
    options: { targetSec: 60, targetsSec: [], toleranceSec: 5 },
    expected: [
      [0, 61.5, 'pause'],
      [61.5, 130, 'end'],
    ],
  },
];

for (const c of targetsCases) {
  test(`planner: ${c.name}`, () => {
    const plan = planSegments(c.durationSec, c.pauses, c.options);
    assert.deepEqual(
      plan.map((s) => [s.startSec, s.endSec, s.cutAfter]),
      c.expected,
    );
    plan.forEach((s, i) => assert.equal(s.index, i));
  });
}

test('planner: a non-positive entry in targetsSec is refused', () => {
  assert.throws(() => planSegments(100, [], { targetSec: 60, targetsSec: [20, 0] }), RangeError);
});

test('planner: invariants over many random inputs', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let run = 0; run < 300; run++) {
    const durationSec = 1 + random() * 5000;
    const pauses: Pause[] = [];
    for (let t = random() * 20; t < durationSec; t += 1 + random() * 40) pauses.push({ startSec: t, endSec: t + 0.2 + random() });
    const targetSec = 20 + random() * 400;
    const overlapSec = 1.5;
    const plan = planSegments(durationSec, pauses, { targetSec, overlapSec });
    const minSegmentSec = Math.min(30, targetSec / 4);
    assert.ok(plan.length >= 1);
    assert.equal(plan[0]!.startSec, 0);
    assert.equal(plan.at(-1)!.endSec, Math.round(durationSec * 1000) / 1000);
    for (let i = 0; i < plan.length; i++) {
      const s = plan[i]!;
      assert.ok(s.endSec > s.startSec);
      if (i < plan.length - 1) assert.ok(s.endSec - s.startSec >= minSegmentSec - 1e-6, 'segment shorter than minimum');
      if (i > 0) {
        const prev = plan[i - 1]!;
        const gap = prev.endSec - s.startSec;
        if (prev.cutAfter === 'pause') assert.ok(Math.abs(gap) < 1e-6, 'pause cuts are contiguous');
        else assert.ok(Math.abs(gap - overlapSec) < 1e-3, 'hard cuts overlap by overlapSec');
      }
    }
  }
});
