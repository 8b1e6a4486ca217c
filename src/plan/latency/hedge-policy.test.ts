import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coldQuantileSec, hedgeAfterSec, normalQuantile, predictedQueueSec } from './hedge-policy.js';
import type { LatencyModel } from './model.js';

const model: LatencyModel = {
  backend: 'gpu',
  k: 2,
  kBound: 'exact',
  rtf: 0.01,
  overhead: { fixedSec: 10, perAudioSec: 0 },
  coldStart: { kind: 'lognormal', medianSec: 20, sigma: 0.5, samplesSec: [], p90Sec: 38, firstWaveProbability: 1, laterProbability: 0 },
  client: { fixedSec: 1, perAudioSec: 0, beforeFixedSec: 0, beforePerAudioSec: 0 },
  wallSigma: 0,
};

test('normalQuantile and the cold start quantile', () => {
  // Exact at the table's points; interpolated between them to within 0.01 of the true z.
  const cases: Array<[number, number]> = [[0.5, 0], [0.75, 0.674], [0.9, 1.282], [0.7, 0.5244], [0.999, 2.326]];
  for (const [q, z] of cases) assert.ok(Math.abs(normalQuantile(q) - z) < 0.01, `q ${q}: ${normalQuantile(q)}`);
  assert.ok(Math.abs(coldQuantileSec(model, 0.5) - 20) < 1e-9);
  assert.equal(coldQuantileSec({ ...model, coldStart: { kind: 'none' } }, 0.9), 0);
});

test('hedgeAfterSec: first wave waits out a likely cold start, later segments half again their service', () => {
  const warm100 = 10 + 0.01 * 100;
  const cases: Array<{ name: string; ordinal: number; queuedSec?: number; model?: LatencyModel; expected: number }> = [
    { name: 'first wave', ordinal: 0, expected: warm100 + 20 },
    { name: 'last of the first wave', ordinal: 1, expected: warm100 + 20 },
    { name: 'later: warm', ordinal: 2, expected: warm100 * 1.5 + 1 },
    { name: 'later, after a queue wait', ordinal: 2, queuedSec: 30, expected: 30 + warm100 * 1.5 + 1 },
    { name: 'no cold starts', ordinal: 0, model: { ...model, coldStart: { kind: 'none' } }, expected: warm100 * 1.5 + 1 },
  ];
  for (const c of cases) assert.ok(Math.abs(hedgeAfterSec(c.model ?? model, 100, c.ordinal, 2, 0.5, c.queuedSec) - c.expected) < 1e-9, c.name);
});

test('predictedQueueSec: no wait while the client sends no more than the servers take', () => {
  assert.deepEqual(predictedQueueSec(model, [100, 100, 100], 2, 0.5), [0, 0, 0]);
  // All in flight on 2 servers, first wave 11 + 20 s: the third waits 31 s, the fourth too.
  assert.deepEqual(predictedQueueSec(model, [100, 100, 100, 100], 64, 0.5), [0, 0, 31, 31]);
  // Three in flight: the fourth is dispatched when the first finishes (31 s) and starts then.
  assert.deepEqual(predictedQueueSec(model, [100, 100, 100, 100], 3, 0.5), [0, 0, 31, 0]);
});
