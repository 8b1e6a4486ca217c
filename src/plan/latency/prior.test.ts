/**
 * The prior and history combined (prior.ts), as tables: history's weight by job count, which model
 * comes out (prior, history, both) and its numbers, k, the cold start, the preparation time, and the
 * speed ratio that thin history (too little for a fit) applies to the prior.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLatencyModel, type FitResult } from './fit.js';
import type { History } from './history.js';
import type { ColdStartModel, LatencyModel } from './model.js';
import { blendColdStart, combineWithPrior, historyWeight, speedRatio, type LatencyPrior } from './prior.js';
import { seededRandom } from './random.js';
import { evenSegments, simulateHistoryJob, CPU_TRUTH } from './simulate-history.js';

const prior: LatencyPrior = {
  model: {
    k: 2,
    kBound: 'exact',
    rtf: 0.1,
    overhead: { fixedSec: 0.3, perAudioSec: 0 },
    coldStart: { kind: 'every-request', segments: 0 },
    client: { fixedSec: 1, perAudioSec: 0.001, beforeFixedSec: 0.5, beforePerAudioSec: 0 },
    wallSigma: 0.05,
    prepareSec: 3,
    contentNoise: { sigma: 0.15, blockSec: 30 },
  },
  weightJobs: 4,
  source: 'a test prior',
};

const PLANS: Array<[number, number]> = [[207, 1], [207, 4], [414, 2], [414, 5], [621, 3], [828, 4], [414, 3], [621, 6]];

/** CPU_TRUTH (RTF 0.19, 0.45 s per process) on 2 cores, the first `jobs` of PLANS (cycled), each with a 4 s preparation. */
function history(jobs: number): History {
  const random = seededRandom(1);
  return {
    backend: 'pocketsphinx',
    skipped: [],
    jobs: Array.from({ length: jobs }, (_, i) => {
      const [d, n] = PLANS[i % PLANS.length]!;
      return { ...simulateHistoryJob(CPU_TRUTH, `j${i}`, evenSegments(d, n), 2, random), prepareSec: 4 };
    }),
  };
}

const near = (actual: number, expected: number, what: string, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual}, expected ${expected}`);

test('historyWeight: n / (n + weightJobs)', () => {
  const cases: Array<[jobs: number, weightJobs: number, weight: number]> = [
    [0, 8, 0],
    [1, 8, 1 / 9],
    [8, 8, 0.5],
    [24, 8, 0.75],
    [3, 0, 1],
    [0, 0, 0],
  ];
  for (const [jobs, weightJobs, weight] of cases) near(historyWeight(jobs, weightJobs), weight, `${jobs} jobs against ${weightJobs}`);
});

test('combineWithPrior: which model, from what, with what weight', () => {
  const cases: Array<{
    name: string;
    prior: LatencyPrior | undefined;
    jobs: number;
    basis: 'prior' | 'history' | 'prior+history' | undefined;
    weight?: number;
    /** The expected RTF from the fit's and the prior's (or the speed ratio's). */
    rtf?: (fit: FitResult, h: History) => number;
    summary?: RegExp;
  }> = [
    { name: 'neither', prior: undefined, jobs: 0, basis: undefined },
    { name: 'no prior, too little history', prior: undefined, jobs: 2, basis: undefined },
    { name: 'history alone', prior: undefined, jobs: 6, basis: 'history', weight: 1, rtf: (fit) => (fit.ok ? fit.model.rtf : NaN), summary: /from 6 jobs of history \(no prior\)/ },
    { name: 'the prior alone: no history yet', prior, jobs: 0, basis: 'prior', weight: 0, rtf: () => 0.1, summary: /from the pocketsphinx prior, no history yet \(a test prior\)/ },
    {
      name: 'two jobs, too few for a fit: the prior at the speed they measured, to their weight',
      prior,
      jobs: 2,
      basis: 'prior+history',
      weight: 2 / 6,
      rtf: (_fit, h) => 0.1 * speedRatio({ ...prior.model, backend: 'pocketsphinx' }, h)! ** (2 / 6),
      summary: /speed scaled ×[\d.]+ by 2 job\(s\) of history .*too few for a fit/,
    },
    {
      name: 'six jobs: the fit and the prior, 60 / 40',
      prior,
      jobs: 6,
      basis: 'prior+history',
      weight: 0.6,
      rtf: (fit) => 0.4 * 0.1 + 0.6 * (fit.ok ? fit.model.rtf : NaN),
      summary: /prior and 6 jobs of history \(history weight 60 %\)/,
    },
    { name: 'forty jobs: mostly history', prior, jobs: 40, basis: 'prior+history', weight: 40 / 44, rtf: (fit) => (4 / 44) * 0.1 + (40 / 44) * (fit.ok ? fit.model.rtf : NaN) },
    { name: 'a prior worth no jobs: history decides', prior: { ...prior, weightJobs: 0 }, jobs: 6, basis: 'prior+history', weight: 1, rtf: (fit) => (fit.ok ? fit.model.rtf : NaN) },
  ];
  for (const c of cases) {
    const h = history(c.jobs);
    const fit = fitLatencyModel(h, { minJobs: 4 });
    const combined = combineWithPrior(c.prior, fit, h);
    assert.equal(combined?.basis, c.basis, c.name);
    if (!combined) continue;
    assert.equal(combined.model.backend, 'pocketsphinx', c.name);
    near(combined.historyWeight, c.weight!, `${c.name}: weight`);
    if (c.rtf) near(combined.model.rtf, c.rtf(fit, h), `${c.name}: RTF`);
    if (c.summary) assert.match(combined.summary, c.summary, c.name);
  }
});

test('combined with a fit: every number is the weighted mean; the prior keeps what history does not measure', () => {
  const h = history(6);
  const fit = fitLatencyModel(h);
  assert.ok(fit.ok);
  const { model } = combineWithPrior(prior, fit, h)!;
  const f = fit.model;
  const mix = (p: number, q: number) => 0.4 * p + 0.6 * q;
  near(model.overhead.fixedSec, mix(0.3, f.overhead.fixedSec), 'fixed overhead');
  near(model.overhead.perAudioSec, mix(0, f.overhead.perAudioSec), 'per audio second');
  near(model.client.fixedSec, mix(1, f.client.fixedSec), 'client');
  near(model.client.beforeFixedSec, mix(0.5, f.client.beforeFixedSec), 'client before');
  near(model.wallSigma, mix(0.05, f.wallSigma), 'spread');
  near(model.prepareSec!, mix(3, 4), 'preparation: the jobs recorded 4 s');
  assert.deepEqual(model.contentNoise, prior.model.contentNoise, 'history does not measure the content noise');
  assert.deepEqual(model.coldStart, f.coldStart, 'every-request both ways');
  // No preparation in the history: the prior's stands.
  const unprepared: History = { ...h, jobs: h.jobs.map(({ prepareSec: _, ...j }) => j) };
  assert.equal(combineWithPrior(prior, fitLatencyModel(unprepared), unprepared)!.model.prepareSec, 3);
});

test("k: the history's when it pins k down, else the larger of the two", () => {
  const fitted = (k: number, kBound: LatencyModel['kBound']): FitResult => ({
    ok: true,
    model: { ...prior.model, backend: 'b', k, kBound },
    quality: { jobs: 8, segments: 20, skipped: [], r2: 1, rmseSec: 0, residuals: [], sseByK: [], notes: [] },
  });
  const h: History = { backend: 'b', jobs: [], skipped: [] };
  const cases: Array<[priorK: number, fitK: number, bound: LatencyModel['kBound'], k: number, kBound: LatencyModel['kBound']]> = [
    [2, 4, 'exact', 4, 'exact'],
    [8, 4, 'exact', 4, 'exact'],
    [8, 2, 'at-least', 8, 'exact'],
    [2, 3, 'at-least', 3, 'at-least'],
  ];
  for (const [priorK, fitK, bound, k, kBound] of cases) {
    const { model } = combineWithPrior({ ...prior, model: { ...prior.model, k: priorK } }, fitted(fitK, bound), h)!;
    assert.deepEqual([model.k, model.kBound], [k, kBound], `prior ${priorK}, fit ${fitK} (${bound})`);
  }
});

test('blendColdStart: lognormals blend (median geometrically); otherwise the side with more weight', () => {
  const lognormal = (medianSec: number, sigma: number, first: number): ColdStartModel => ({ kind: 'lognormal', medianSec, sigma, samplesSec: [medianSec], p90Sec: 0, firstWaveProbability: first, laterProbability: 0 });
  const none: ColdStartModel = { kind: 'none' };
  const cases: Array<{ name: string; prior: ColdStartModel; fitted: ColdStartModel; w: number; check: (c: ColdStartModel) => void }> = [
    {
      name: 'two lognormals, half and half',
      prior: lognormal(10, 0.8, 0.5),
      fitted: lognormal(40, 0.4, 1),
      w: 0.5,
      check: (c) => {
        assert.equal(c.kind, 'lognormal');
        if (c.kind !== 'lognormal') return;
        near(c.medianSec, 20, 'median √(10 × 40)');
        near(c.sigma, 0.6, 'σ');
        near(c.firstWaveProbability, 0.75, 'first wave');
        near(c.p90Sec, 20 * Math.exp(1.2816 * 0.6), 'p90');
        assert.deepEqual(c.samplesSec, [40], "the history's samples");
      },
    },
    { name: 'none vs lognormal, little history: the prior', prior: none, fitted: lognormal(15, 0.8, 1), w: 0.2, check: (c) => assert.equal(c.kind, 'none') },
    { name: 'none vs lognormal, mostly history: the fit', prior: none, fitted: lognormal(15, 0.8, 1), w: 0.5, check: (c) => assert.equal(c.kind, 'lognormal') },
    { name: 'every-request prior, none fitted', prior: { kind: 'every-request', segments: 0 }, fitted: none, w: 0.9, check: (c) => assert.equal(c.kind, 'none') },
  ];
  for (const c of cases) c.check(blendColdStart(c.prior, c.fitted, c.w));
});

test('speedRatio: measured service against the prior, replayed through its k; clamped; none without segments', () => {
  const h = history(2);
  // CPU_TRUTH serves a segment of a seconds in 0.05 + 0.4 + 0.19 a; the prior says 0.3 + 0.1 a.
  const segments = h.jobs.flatMap((j) => j.segments);
  const expected = segments.reduce((s, x) => s + 0.45 + 0.19 * x.audioSec, 0) / segments.reduce((s, x) => s + 0.3 + 0.1 * x.audioSec, 0);
  const model = { ...prior.model, backend: 'pocketsphinx' };
  near(speedRatio(model, h)!, expected, 'ratio', 0.02);
  near(speedRatio({ ...model, rtf: 10 }, h)!, 0.2, 'clamped below');
  assert.equal(speedRatio(model, { backend: 'pocketsphinx', jobs: [], skipped: [] }), undefined);
});
