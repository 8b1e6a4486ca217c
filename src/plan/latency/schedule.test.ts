import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listSchedule, maxOverlap, replayServiceStarts } from './schedule.js';

test('listSchedule', () => {
  const cases: Array<{ name: string; services: number[]; slots: number; completions: number[] }> = [
    { name: 'one slot: a running sum', services: [1, 2, 3], slots: 1, completions: [1, 3, 6] },
    { name: 'enough slots: all at once', services: [5, 1, 2], slots: 3, completions: [5, 1, 2] },
    { name: 'the next takes the first free slot', services: [5, 1, 2, 2], slots: 2, completions: [5, 1, 3, 5] },
    { name: 'empty', services: [], slots: 2, completions: [] },
  ];
  for (const c of cases) assert.deepEqual(listSchedule(c.services, c.slots), c.completions, c.name);
  assert.throws(() => listSchedule([1], 0), RangeError);
});

test('replayServiceStarts inverts listSchedule when the slot count is right', () => {
  const services = [10, 4, 6, 3, 8, 2];
  const completions = listSchedule(services, 2);
  const starts = replayServiceStarts(services.map(() => 0), completions, 2);
  assert.deepEqual(
    starts.map((s, i) => completions[i]! - s),
    services,
  );
});

test('replayServiceStarts', () => {
  const cases: Array<{ name: string; arrivals: number[]; completions: number[]; slots: number; starts: number[] }> = [
    { name: 'no queue: starts at arrival', arrivals: [0, 1, 2], completions: [5, 6, 7], slots: 3, starts: [0, 1, 2] },
    { name: 'FIFO behind one slot', arrivals: [0, 0, 0], completions: [3, 5, 9], slots: 1, starts: [0, 3, 5] },
    { name: 'late arrival after a free slot', arrivals: [0, 10], completions: [3, 12], slots: 1, starts: [0, 10] },
    { name: 'too few slots: contradicting data give service 0', arrivals: [0, 0], completions: [5, 4], slots: 1, starts: [0, 5] },
  ];
  for (const c of cases) assert.deepEqual(replayServiceStarts(c.arrivals, c.completions, c.slots), c.starts, c.name);
});

test('maxOverlap', () => {
  const cases: Array<[Array<[number, number]>, number]> = [
    [[], 0],
    [[[0, 1]], 1],
    [[[0, 2], [1, 3], [2, 4]], 2],
    [[[0, 10], [0, 10], [0, 10], [10, 12]], 3],
    [[[0, 1], [1, 2]], 1],
  ];
  for (const [intervals, expected] of cases) assert.equal(maxOverlap(intervals.map(([startSec, endSec]) => ({ startSec, endSec }))), expected, JSON.stringify(intervals));
});

test('listSchedule with a per-job preparation: it holds one server, and every request but the first waits for it', () => {
  const cases: Array<{ name: string; services: number[]; slots: number; prepareSec: number; completions: number[] }> = [
    { name: 'none: as before', services: [5, 1, 2, 2], slots: 2, prepareSec: 0, completions: [5, 1, 3, 5] },
    { name: 'two halves: the second starts after it', services: [10, 10], slots: 2, prepareSec: 3, completions: [10, 13] },
    { name: 'four quarters: the first server takes up the slack', services: [5, 5, 5, 5], slots: 2, prepareSec: 3, completions: [5, 8, 10, 13] },
    { name: 'one server: the second waits for the preparation, not just the first', services: [1, 1], slots: 1, prepareSec: 3, completions: [1, 4] },
  ];
  for (const c of cases) assert.deepEqual(listSchedule(c.services, c.slots, c.prepareSec), c.completions, c.name);
});
