import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidatePlans, choosePlan } from './choose.js';
import type { LatencyModel } from './model.js';
import { DEFAULT_SEGMENT_CAP } from './targets.js';

const cpu: LatencyModel = {
  backend: 'pocketsphinx',
  k: 2,
  kBound: 'at-least',
  rtf: 0.19,
  overhead: { fixedSec: 0.5, perAudioSec: 0 },
  coldStart: { kind: 'every-request', segments: 20 },
  client: { fixedSec: 3, perAudioSec: 0.002, beforeFixedSec: 1, beforePerAudioSec: 0.001 },
  wallSigma: 0,
};

const serverless: LatencyModel = {
  backend: 'gpu',
  k: 4,
  kBound: 'exact',
  rtf: 0.006,
  overhead: { fixedSec: 17, perAudioSec: 0.0036 },
  coldStart: { kind: 'lognormal', medianSec: 15, sigma: 0.8, samplesSec: [], p90Sec: 40, firstWaveProbability: 1, laterProbability: 0 },
  client: { fixedSec: 3, perAudioSec: 0, beforeFixedSec: 1, beforePerAudioSec: 0 },
  wallSigma: 0,
};

// The table fit (bench/seed-fit.md): k = 4, cold start lognormal 15 s σ 0.8 on every first-wave request,
// 17 s + 0.0036 s per audio second per request (FLAC at 17.9 kB/s over 40 Mbit/s), RTF 0.006.
const seedFit: LatencyModel = {
  ...serverless,
  overhead: { fixedSec: 17, perAudioSec: 0.00358 },
  coldStart: { kind: 'lognormal', medianSec: 15, sigma: 0.8, samplesSec: [], p90Sec: 42, firstWaveProbability: 1, laterProbability: 0 },
};

test('candidatePlans: even splits, round sizes and boot waves, without duplicates', () => {
  const plans = candidatePlans(1200, 2, { cap: DEFAULT_SEGMENT_CAP });
  const labels = plans.map((p) => p.label);
  for (const label of ['even 1 × 1200 s', 'even 4 × 300 s', '360 s', 'boot 2 × 30 s + 2 × 570 s']) assert.ok(labels.includes(label), `${label} in ${labels.join(' | ')}`);
  assert.ok(!labels.includes('300 s'), '300 s is even 4 × 300 s already');
  const keys = plans.map((p) => p.lengthsSec.join(','));
  assert.equal(new Set(keys).size, keys.length);
  for (const p of plans) assert.ok(Math.abs(p.lengthsSec.reduce((s, l) => s + l, 0) - 1200) < 1e-6, p.label);
  const boot = plans.find((p) => p.label === 'boot 2 × 30 s + 2 × 570 s')!;
  assert.deepEqual(boot.targetsSec, [30, 30, 570]);
  assert.deepEqual(boot.lengthsSec, [30, 30, 570, 570]);
});

test('choosePlan', () => {
  const cases: Array<{ name: string; model: LatencyModel; durationSec: number; limit?: number; check: (c: ReturnType<typeof choosePlan>) => void }> = [
    {
      name: 'CPU, 2 cores: a balanced split into a multiple of 2 (here two halves, the cap allows exactly half)',
      model: cpu,
      durationSec: 1035,
      check: (c) => assert.deepEqual(c.chosen.lengthsSec, [517.5, 517.5]),
    },
    {
      name: 'the cap: no segment over 1800 s, even when fewer would be faster',
      model: { ...cpu, k: 1 },
      durationSec: 7200,
      check: (c) => {
        assert.ok(Math.max(...c.chosen.lengthsSec) <= 1800);
        assert.ok(c.candidates.some((x) => !x.withinCap && x.prediction.wallSec.medianSec <= c.chosen.prediction.wallSec.medianSec));
      },
    },
    {
      name: 'concurrency limit 1 on a CPU model: one segment per half (share cap) at most',
      model: cpu,
      durationSec: 600,
      limit: 1,
      check: (c) => {
        assert.equal(c.chosen.concurrency, 1);
        assert.deepEqual(c.chosen.lengthsSec, [300, 300]);
      },
    },
    {
      name: 'serverless: few large segments on 4 containers, each no more than half of the hour',
      model: serverless,
      durationSec: 3600,
      check: (c) => {
        assert.ok(c.chosen.lengthsSec.length <= 8, c.chosen.label);
        assert.ok(Math.max(...c.chosen.lengthsSec) <= 1800);
        assert.equal(c.capSec, 1800);
      },
    },
  ];
  for (const c of cases) c.check(choosePlan(c.model, c.durationSec, { cap: DEFAULT_SEGMENT_CAP, concurrencyLimit: c.limit, draws: 200 }));
});

test('at an equal wall the earlier first words win: a boot wave when requests cost nothing extra', () => {
  const free: LatencyModel = { ...cpu, overhead: { fixedSec: 0, perAudioSec: 0 } };
  const choice = choosePlan(free, 1035, { cap: DEFAULT_SEGMENT_CAP, draws: 10 });
  assert.equal(choice.chosen.kind, 'boot-wave');
  assert.deepEqual(choice.chosen.targetsSec, [15, 15, 502.5]);
  const even = choice.candidates.find((c) => c.label === 'even 2 × 518 s')!;
  assert.ok(Math.abs(choice.chosen.prediction.wallSec.medianSec - even.prediction.wallSec.medianSec) < 1e-9);
  assert.ok(choice.chosen.prediction.firstResultSec < even.prediction.firstResultSec / 10);
});

test('choosePlan is deterministic for a seed and refuses a zero duration', () => {
  const a = choosePlan(serverless, 2400, { cap: DEFAULT_SEGMENT_CAP, draws: 100, seed: 2 });
  assert.deepEqual(choosePlan(serverless, 2400, { cap: DEFAULT_SEGMENT_CAP, draws: 100, seed: 2 }), a);
  assert.throws(() => choosePlan(serverless, 0, { cap: DEFAULT_SEGMENT_CAP }), RangeError);
});

test("objective: on the seed study's cold-starting endpoint the p90 picks a boot wave, the median an even split", () => {
  const seed = seedFit;
  const byP90 = choosePlan(seed, 3726, { cap: DEFAULT_SEGMENT_CAP, draws: 1000, objective: 'p90' });
  const byMedian = choosePlan(seed, 3726, { cap: DEFAULT_SEGMENT_CAP, draws: 1000, objective: 'median' });
  assert.equal(byP90.chosen.kind, 'boot-wave', byP90.chosen.label);
  assert.equal(byMedian.chosen.kind, 'even', byMedian.chosen.label);
  assert.ok(byP90.chosen.prediction.wallSec.p90Sec < byMedian.chosen.prediction.wallSec.p90Sec);
  assert.ok(byMedian.chosen.prediction.wallSec.medianSec < byP90.chosen.prediction.wallSec.medianSec);
  assert.ok(byP90.chosen.prediction.firstResultSec < byMedian.chosen.prediction.firstResultSec, 'and its first words come earlier');
});

test('with hedging predicted, the p90 picks a boot wave whose boot segments fit the hedge budget, all dispatched at once', () => {
  const seed = seedFit;
  const hedge = { quantile: 0.75, maxExtraShare: 0.1 };
  const hedged = choosePlan(seed, 3726, { cap: DEFAULT_SEGMENT_CAP, draws: 1000, hedge });
  const unhedged = choosePlan(seed, 3726, { cap: DEFAULT_SEGMENT_CAP, draws: 1000 });
  const { chosen } = hedged;
  assert.equal(chosen.kind, 'boot-wave', chosen.label);
  const bootSec = chosen.lengthsSec.slice(0, 4);
  assert.ok(bootSec.reduce((s, d) => s + d, 0) <= 0.1 * 3726, `boot segments ${bootSec.join(', ')} fit the 10 % budget`);
  assert.equal(chosen.concurrency, chosen.lengthsSec.length, 'every segment in flight, so hedges queue behind originals');
  assert.ok(chosen.prediction.hedging!.hedgesPerJob > 0.5, 'the slow boots get hedged');
  assert.ok(chosen.prediction.hedging!.extraComputeShare < 0.02, 'a hedge of a booting segment costs almost no compute');
  assert.ok(chosen.prediction.wallSec.p90Sec < unhedged.chosen.prediction.wallSec.p90Sec - 5, 'hedging cuts the predicted tail');
  // The concurrency limit still holds.
  const limited = choosePlan(seed, 3726, { cap: DEFAULT_SEGMENT_CAP, draws: 100, hedge, concurrencyLimit: 3 });
  assert.ok(limited.candidates.every((c) => c.concurrency <= 3));
});

test('pruning and screening the hedged predictions changes no choice, and skips the many-segment plans', () => {
  const seed: LatencyModel = { ...seedFit, wallSigma: 0.03 };
  const hedge = { quantile: 0.75, maxExtraShare: 0.1 };
  for (const [durationSec, objective] of [[3726, 'p90'], [3726, 'median'], [1200, 'p90'], [9000, 'median']] as const) {
    const cap = { ...DEFAULT_SEGMENT_CAP, maxSegmentSec: 1364 };
    const pruned = choosePlan(seed, durationSec, { cap, draws: 200, hedge, objective });
    const exhaustive = choosePlan(seed, durationSec, { cap, draws: 200, hedge, objective, pruneHedged: false });
    assert.equal(pruned.chosen.label, exhaustive.chosen.label, `${durationSec} s, ${objective}`);
    assert.deepEqual(pruned.chosen.prediction, exhaustive.chosen.prediction);
    const skipped = pruned.candidates.filter((c) => c.prediction.hedging === undefined);
    assert.ok(skipped.length > 0, `${skipped.length} of ${pruned.candidates.length} skipped`);
    assert.ok(exhaustive.candidates.every((c) => c.prediction.hedging !== undefined));
  }
});
