import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from './random.js';
import { evenSegments, simulateHistoryJob, type Truth } from './simulate-history.js';

const truth: Truth = {
  k: 2,
  rtf: 0.1,
  fixedSec: 1,
  perAudioSec: 0,
  coldStart: { medianSec: 10, sigma: 0 },
  beforeSec: { fixedSec: 2, perAudioSec: 0 },
  afterSec: { fixedSec: 1, perAudioSec: 0 },
};

test('the first k segments start servers (cold), later ones wait FIFO for a warm one', () => {
  // 4 × 100 s: service 1 + 10 = 11 s warm, 21 s cold; k = 2, everything dispatched at once.
  const job = simulateHistoryJob(truth, 'j', evenSegments(400, 4), 8, seededRandom(1));
  assert.deepEqual(
    job.segments.map((s) => [s.startedAtSec, s.completedAtSec, s.coldStart]),
    [
      [2, 23, true],
      [2, 23, true],
      [2, 34, false],
      [2, 34, false],
    ],
  );
  assert.equal(job.wallSec, 35);
  assert.equal(job.durationSec, 400);
});

test('a client concurrency below k dispatches the next segment only when a result is back', () => {
  const job = simulateHistoryJob(truth, 'j', evenSegments(300, 3), 1, seededRandom(1));
  assert.deepEqual(
    job.segments.map((s) => [s.startedAtSec, s.completedAtSec, s.coldStart]),
    [
      [2, 23, true],
      [23, 34, false],
      [34, 45, false],
    ],
  );
});

test('every request cold (a process per segment): still at most k at once', () => {
  const job = simulateHistoryJob({ ...truth, coldStart: { medianSec: 1, sigma: 0, everyRequest: true } }, 'j', evenSegments(300, 3), 8, seededRandom(1));
  assert.deepEqual(
    job.segments.map((s) => [s.completedAtSec, s.coldStart]),
    [
      [14, true],
      [14, true],
      [26, true],
    ],
  );
});
