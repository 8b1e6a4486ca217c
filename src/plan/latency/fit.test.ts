/**
 * The fit recovers a known truth from synthetic history (simulate-history.ts): the seed study's
 * serverless endpoint (k = 4, cold starts per container, 17 s per request) and a local CPU backend
 * that starts a process per segment; and it refuses, with a typed reason, when history cannot identify
 * the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLatencyModel, type InsufficientReason } from './fit.js';
import type { History, HistoryJob } from './history.js';
import { seededRandom } from './random.js';
import { evenSegments, simulateHistoryJob, CPU_TRUTH, type Truth } from './simulate-history.js';

const serverless: Truth = {
  k: 4,
  rtf: 0.006,
  fixedSec: 17,
  perAudioSec: 0.0036,
  coldStart: { medianSec: 15, sigma: 0.8 },
  beforeSec: { fixedSec: 1.5, perAudioSec: 0.0002 },
  afterSec: { fixedSec: 0.5, perAudioSec: 0.0001 },
};

const cpu: Truth = CPU_TRUTH;

function history(truth: Truth, plans: Array<[durationSec: number, segments: number]>, concurrency: number, seed = 1): History {
  const random = seededRandom(seed);
  return { backend: 'b', skipped: [], jobs: plans.map(([d, n], i) => simulateHistoryJob(truth, `j${i}`, evenSegments(d, n), concurrency, random)) };
}

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual.toFixed(4)}, expected ${expected} ± ${tolerance}`);

test('serverless endpoint: k, overhead, RTF, cold starts and client time from job walls', () => {
  const plans: Array<[number, number]> = [];
  for (const d of [1800, 3600, 2400]) for (const n of [4, 6, 9, 12, 20]) plans.push([d, n]);
  const fit = fitLatencyModel(history(serverless, plans, 64));
  assert.ok(fit.ok, fit.ok ? '' : fit.message);
  const { model, quality } = fit;
  assert.equal(model.k, 4);
  assert.equal(model.kBound, 'exact');
  near(model.rtf, 0.006, 1e-9, 'RTF');
  near(model.overhead.fixedSec, 17, 0.5, 'fixed overhead');
  near(model.overhead.perAudioSec, 0.0036, 0.001, 'per audio second');
  assert.equal(model.coldStart.kind, 'lognormal');
  if (model.coldStart.kind !== 'lognormal') return;
  near(model.coldStart.medianSec, 15, 5, 'cold-start median');
  near(model.coldStart.sigma, 0.8, 0.3, 'cold-start sigma');
  assert.equal(model.coldStart.samplesSec.length, plans.length * 4, 'one per container');
  assert.equal(model.coldStart.firstWaveProbability, 1);
  assert.equal(model.coldStart.laterProbability, 0);
  near(model.client.fixedSec + model.client.perAudioSec * 3600, 2 + 0.0003 * 3600, 1, 'client time at 1 h');
  near(model.client.beforeFixedSec, 1.5, 1e-6, 'client time before the first dispatch');
  assert.ok(quality.r2 > 0.99, `R² ${quality.r2}`);
  assert.ok(model.wallSigma < 1e-6, 'noise-free history leaves nothing unexplained');
  assert.equal(quality.jobs, plans.length);
  assert.equal(quality.residuals.length, plans.length);
  assert.ok(quality.sseByK.find((s) => s.k === 4)!.sseSec2 < quality.sseByK.find((s) => s.k === 3)!.sseSec2);
});

test('noisy timestamps (±0.3 s per result, ±1 s per job wall): still k = 4 and a close overhead', () => {
  const plans: Array<[number, number]> = [];
  for (const d of [1800, 3600]) for (const n of [4, 6, 9, 12, 20]) plans.push([d, n]);
  const clean = history(serverless, plans, 64, 5);
  const random = seededRandom(9);
  const jitter = (sec: number) => (random() * 2 - 1) * sec;
  const noisy: History = {
    ...clean,
    jobs: clean.jobs.map((j) => {
      const wallSec = j.wallSec + jitter(1);
      return { ...j, wallSec, completedAtSec: j.startedAtSec + wallSec, segments: j.segments.map((s) => ({ ...s, completedAtSec: s.completedAtSec + jitter(0.3) })) };
    }),
  };
  const fit = fitLatencyModel(noisy);
  assert.ok(fit.ok);
  assert.equal(fit.model.k, 4);
  near(fit.model.overhead.fixedSec, 17, 1, 'fixed overhead');
  assert.ok(fit.quality.r2 > 0.98, `R² ${fit.quality.r2}`);
  assert.ok(fit.model.wallSigma > 0 && fit.model.wallSigma < 0.05, `wallSigma ${fit.model.wallSigma}`);
});

test('client concurrency below the backend limit: k is the dispatch concurrency, a lower bound', () => {
  const fit = fitLatencyModel(history(serverless, [[1800, 4], [1800, 8], [3600, 6], [3600, 12]], 3));
  assert.ok(fit.ok);
  assert.equal(fit.model.k, 3);
  assert.equal(fit.model.kBound, 'at-least');
  assert.ok(fit.quality.notes.some((n) => /never had more than 3/.test(n)));
});

test('a process per segment on 2 cores: every request cold, folded into the overhead', () => {
  const fit = fitLatencyModel(history(cpu, [[207, 1], [207, 4], [414, 2], [414, 5], [621, 3], [828, 4]], 2));
  assert.ok(fit.ok, fit.ok ? '' : fit.message);
  assert.equal(fit.model.k, 2);
  assert.deepEqual(fit.model.coldStart, { kind: 'every-request', segments: 19 });
  near(fit.model.overhead.fixedSec, 0.45, 0.1, 'overhead (process start included)');
  near(fit.model.rtf, 0.19, 1e-9, 'RTF');
  assert.ok(fit.quality.r2 > 0.99, `R² ${fit.quality.r2}`);
});

test('insufficient history: a typed reason, not a guess', () => {
  const job = (id: string, n: number): HistoryJob => simulateHistoryJob(cpu, id, evenSegments(600, n), 2, seededRandom(1));
  const cases: Array<{ name: string; jobs: HistoryJob[]; minJobs?: number; reason: InsufficientReason }> = [
    { name: 'empty', jobs: [], reason: 'no-history' },
    { name: 'too few', jobs: [job('a', 1), job('b', 2)], reason: 'too-few-jobs' },
    { name: 'one segment count', jobs: ['a', 'b', 'c', 'd', 'e'].map((id) => job(id, 3)), reason: 'no-segment-count-variety' },
    { name: 'no audio', jobs: [1, 2, 3, 4].map((n) => ({ ...job(`z${n}`, n), segments: job(`z${n}`, n).segments.map((s) => ({ ...s, audioSec: 0 })) })), reason: 'degenerate-fit' },
  ];
  for (const c of cases) {
    const fit = fitLatencyModel({ backend: 'b', jobs: c.jobs, skipped: [] }, c.minJobs === undefined ? {} : { minJobs: c.minJobs });
    assert.equal(fit.ok ? 'ok' : fit.reason, c.reason, c.name);
  }
  assert.ok(fitLatencyModel({ backend: 'b', jobs: [job('a', 1), job('b', 2)], skipped: [] }, { minJobs: 2 }).ok, 'minJobs is an option');
});
