import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateSegmentCount, IncrementalPlanner } from './incremental.js';
import { planSegments, type PlanOptions } from './planner.js';
import type { Pause, PlannedSegment } from '../core/types.js';

/**
 * Feeds the planner as a decoder would: the decode reaches `positionsSec` one after another; a pause is
 * reported once it has ended, and while one is still open nothing after its start is confirmed.
 * Returns everything emitted, and how much came before finish().
 */
function stream(durationSec: number, pauses: readonly Pause[], options: PlanOptions, positionsSec: readonly number[], aheadSec = 0) {
  const planner = new IncrementalPlanner(options);
  const reported = new Set<number>();
  const emitted: PlannedSegment[] = [];
  for (const positionSec of positionsSec) {
    const closed = pauses.map((p, i) => [p, i] as const).filter(([p, i]) => !reported.has(i) && p.endSec <= positionSec);
    closed.sort((a, b) => a[0].endSec - b[0].endSec);
    planner.addPauses(closed.map(([p]) => p));
    for (const [, i] of closed) reported.add(i);
    const open = pauses.filter((p, i) => !reported.has(i) && p.startSec < positionSec);
    const confirmedSec = Math.min(positionSec, ...open.map((p) => p.startSec));
    emitted.push(...planner.advance(confirmedSec, Math.min(durationSec, positionSec + aheadSec)));
  }
  const early = emitted.length;
  planner.addPauses(pauses.filter((_p, i) => !reported.has(i)));
  emitted.push(...planner.finish(durationSec));
  return { emitted, early };
}

const everyPause = (count: number, periodSec: number, offsetSec: number, lengthSec: number): Pause[] =>
  Array.from({ length: count }, (_, i) => ({ startSec: i * periodSec + offsetSec, endSec: i * periodSec + offsetSec + lengthSec }));

const steps = (durationSec: number, stepSec: number): number[] => Array.from({ length: Math.ceil(durationSec / stepSec) }, (_, i) => Math.min(durationSec, (i + 1) * stepSec));

interface Case {
  name: string;
  durationSec: number;
  pauses: Pause[];
  options: PlanOptions;
  stepSec: number;
  /** Segments that must be out before finish(). */
  minEarly: number;
}

const cases: Case[] = [
  { name: 'regular pauses, 360 s target', durationSec: 1000, pauses: everyPause(100, 10, 9, 0.6), options: { targetSec: 360 }, stepSec: 2, minEarly: 1 },
  { name: 'a 20 s first segment, then 900 s', durationSec: 3700, pauses: everyPause(370, 10, 9, 0.6), options: { targetSec: 360, targetsSec: [20, 900] }, stepSec: 2, minEarly: 3 },
  { name: 'no pauses: hard cuts', durationSec: 500, pauses: [], options: { targetSec: 60, overlapSec: 2 }, stepSec: 7, minEarly: 6 },
  {
    name: 'a pause still open across the window holds the cut back',
    durationSec: 300,
    pauses: [{ startSec: 50, endSec: 75 }],
    options: { targetSec: 60, toleranceSec: 9, minSegmentSec: 10 },
    stepSec: 1,
    minEarly: 2,
  },
  { name: 'shorter than target + min: one final segment, nothing early', durationSec: 70, pauses: [{ startSec: 59, endSec: 61 }], options: { targetSec: 60, minSegmentSec: 15 }, stepSec: 1, minEarly: 0 },
  {
    name: 'a hard cut\'s end (ideal + overlap/2) waits until that much audio exists',
    durationSec: 6,
    pauses: [],
    options: { targetSec: 4, toleranceSec: 0.1, minSegmentSec: 0.1, overlapSec: 6 },
    stepSec: 0.5,
    minEarly: 0,
  },
  { name: 'a trailing silence reaching the end', durationSec: 200, pauses: [{ startSec: 30, endSec: 31 }, { startSec: 180, endSec: 200 }], options: { targetSec: 30 }, stepSec: 4, minEarly: 4 },
];

for (const c of cases) {
  test(`incremental planner: ${c.name}`, () => {
    const { emitted, early } = stream(c.durationSec, c.pauses, c.options, steps(c.durationSec, c.stepSec));
    assert.deepEqual(emitted, planSegments(c.durationSec, c.pauses, c.options));
    assert.ok(early >= c.minEarly, `${early} segments before finish, wanted ≥ ${c.minEarly}`);
  });
}

test('incremental planner: the remainder rule waits for the length (a cut that a shorter file would not make)', () => {
  const options: PlanOptions = { targetSec: 60, minSegmentSec: 15, toleranceSec: 5 };
  const planner = new IncrementalPlanner(options);
  planner.addPauses([{ startSec: 59, endSec: 61 }]);
  // 70 s decoded and confirmed: a 70 s file is one segment, a 200 s one is cut at 60: not final yet.
  assert.deepEqual(planner.advance(70, 70), []);
  // At 80 s (= ideal + tolerance + min) the window's end could still be duration - min; past it, not.
  assert.deepEqual(planner.advance(80, 80), []);
  assert.deepEqual(planner.advance(81, 81).map((s) => [s.startSec, s.endSec, s.cutAfter]), [[0, 60, 'pause']]);
  assert.deepEqual(planner.finish(150).map((s) => [s.startSec, s.endSec, s.cutAfter]), [[60, 120.75, 'hard'], [119.25, 150, 'end']]);
});

test('incremental planner: a pause arriving after its time was confirmed is refused', () => {
  const planner = new IncrementalPlanner({ targetSec: 60 });
  planner.advance(100, 100);
  assert.throws(() => planner.addPauses([{ startSec: 40, endSec: 41 }]), RangeError);
});

test('incremental planner: emits exactly planSegments over many random pause lists, durations and targets', () => {
  let seed = 20240611;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let earlyTotal = 0;
  for (let run = 0; run < 1000; run++) {
    const durationSec = run % 50 === 0 ? random() * 30 : 1 + random() * 5000;
    const pauses: Pause[] = [];
    // Detector-like pauses in order, plus a few that overlap or extend past the end (any order works).
    for (let t = random() * 20; t < durationSec; t += 0.5 + random() * 40) pauses.push({ startSec: t, endSec: Math.min(durationSec, t + 0.2 + random() * 2) });
    for (let i = random() * 8; i > 1; i--) {
      const startSec = random() * durationSec;
      pauses.push({ startSec, endSec: startSec + random() * 60 });
    }
    const options: PlanOptions = { targetSec: 5 + random() * 500 };
    if (random() < 0.5) options.targetsSec = Array.from({ length: Math.floor(random() * 4) }, () => 5 + random() * 900);
    if (random() < 0.3) options.toleranceSec = random() * 40;
    if (random() < 0.3) options.minSegmentSec = 0.1 + random() * 60;
    if (random() < 0.3) options.overlapSec = random() * 10;
    // Decode positions: random steps (ffmpeg's chunks vary), sometimes very coarse.
    const positions: number[] = [];
    const stepMax = random() < 0.2 ? 300 : 8;
    for (let t = random() * stepMax; t < durationSec; t += random() * stepMax) positions.push(t);
    positions.push(durationSec);
    // Decoded audio can run ahead of what the detector has confirmed (a pause still open).
    const aheadSec = random() < 0.4 ? random() * 60 : 0;
    const { emitted, early } = stream(durationSec, pauses, options, positions, aheadSec);
    assert.deepEqual(emitted, planSegments(durationSec, pauses, options), `run ${run}: ${JSON.stringify({ durationSec, options })}`);
    earlyTotal += early;
  }
  assert.ok(earlyTotal > 1000, `the streamed plans emitted ${earlyTotal} segments before finish`);
});

test('estimateSegmentCount: the count of a plan with hard cuts only', () => {
  for (const [durationSec, options] of [[1000, { targetSec: 360 }], [3700, { targetSec: 360, targetsSec: [20, 900] }], [45, { targetSec: 60 }], [100, { targetSec: 20, targetsSec: [20, 30] }]] as const) {
    assert.equal(estimateSegmentCount(durationSec, options), planSegments(durationSec, [], { ...options, overlapSec: 0 }).length);
  }
  assert.equal(estimateSegmentCount(null, { targetSec: 60 }), null);
});
