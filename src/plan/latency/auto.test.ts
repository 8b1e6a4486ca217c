/**
 * autoPlanFromHistory (a table: model or fixed, and why) and resolveAutoPlan end to end on a SQLite
 * store holding synthetic history (the store query itself is tested on both drivers in history.test.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../config/schema.js';
import { openStore } from '../../store/registry.js';
import { autoPlanFromHistory, resolveAutoPlan, settingsFromConfig, type AutoPlanSettings } from './auto.js';
import type { History } from './history.js';
import type { LatencyPrior } from './prior.js';
import { seededRandom } from './random.js';
import { evenSegments, recordSimulatedJob, simulateHistoryJob, CPU_TRUTH, type Truth } from './simulate-history.js';
import { DEFAULT_SEGMENT_CAP } from './targets.js';

const cpu: Truth = CPU_TRUTH;
const PLANS: Array<[number, number]> = [[207, 1], [207, 4], [414, 2], [414, 5], [621, 3], [828, 4]];

function history(plans: Array<[number, number]>): History {
  const random = seededRandom(1);
  return { backend: 'pocketsphinx', skipped: [], jobs: plans.map(([d, n], i) => simulateHistoryJob(cpu, `j${i}`, evenSegments(d, n), 2, random)) };
}

const settings: AutoPlanSettings = { cap: DEFAULT_SEGMENT_CAP, minJobs: 4, fixedSegmentSec: 360, draws: 100 };

test('autoPlanFromHistory', () => {
  const cases: Array<{ name: string; history: History; durationSec: number; settings?: Partial<AutoPlanSettings>; source: 'model' | 'fixed'; targets?: number[]; reason: RegExp }> = [
    { name: 'no history', history: history([]), durationSec: 1035, source: 'fixed', targets: [360], reason: /no latency model: no completed jobs of pocketsphinx.*fixed 360 s/ },
    { name: 'too few jobs', history: history(PLANS.slice(0, 2)), durationSec: 1035, source: 'fixed', targets: [360], reason: /2 usable completed job\(s\).*4 needed/ },
    { name: 'one segment count', history: history([[207, 2], [414, 2], [621, 2], [828, 2]]), durationSec: 1035, source: 'fixed', reason: /had 2 segment\(s\)/ },
    { name: 'another fixed size', history: history([]), durationSec: 1035, settings: { fixedSegmentSec: 120 }, source: 'fixed', targets: [120], reason: /fixed 120 s/ },
    { name: 'a model: two balanced halves on 2 cores', history: history(PLANS), durationSec: 1035, source: 'model', targets: [517.5], reason: /even 2 × 518 s: lowest predicted p90 wall of \d+ plans.*from 6 jobs/ },
    { name: 'a model, concurrency 1', history: history(PLANS), durationSec: 600, settings: { concurrencyLimit: 1 }, source: 'model', targets: [300], reason: /even 2 × 300 s/ },
  ];
  for (const c of cases) {
    const plan = autoPlanFromHistory(c.history, { ...settings, ...c.settings }, c.durationSec);
    assert.equal(plan.source, c.source, c.name);
    assert.match(plan.reason, c.reason, c.name);
    if (c.targets) assert.deepEqual(plan.targetsSec, c.targets, c.name);
    assert.equal(plan.concurrency === undefined, c.source === 'fixed', `${c.name}: concurrency only from a model`);
    assert.equal(plan.explain.choice === null, c.source === 'fixed', c.name);
  }
});

test('the explanation compares with the fixed size, predicted under the same model', () => {
  const plan = autoPlanFromHistory(history(PLANS), settings, 1035);
  assert.deepEqual(plan.explain.fixed.lengthsSec, [360, 360, 315]);
  const fixedWall = plan.explain.fixed.prediction!.wallSec.medianSec;
  assert.ok(plan.explain.choice!.chosen.prediction.wallSec.medianSec < fixedWall, 'three segments on two cores waste a core for one wave');
  assert.equal(plan.explain.cap.capSec, 517.5);
});

const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-auto-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('resolveAutoPlan reads the history from the store; other backends and settings apply', async () => {
  const store = await openStore({ dataDir });
  try {
    const config = configSchema.parse({ dataDir });
    assert.equal((await resolveAutoPlan(store, config, 'pocketsphinx', 1035)).source, 'fixed');
    let atSec = 1_700_000_000;
    for (const job of history(PLANS).jobs) {
      await recordSimulatedJob(store, 'pocketsphinx', job, atSec);
      atSec += 1000;
    }
    const plan = await resolveAutoPlan(store, config, 'pocketsphinx', 1035);
    assert.equal(plan.source, 'model');
    assert.deepEqual(plan.targetsSec, [517.5]);
    assert.equal(plan.concurrency, 2);
    assert.equal((await resolveAutoPlan(store, config, 'whispercpp', 1035)).source, 'fixed', 'history is per backend');
    const strict = configSchema.parse({ dataDir, autoPlan: { minJobs: 10 } });
    assert.match((await resolveAutoPlan(store, strict, 'pocketsphinx', 1035)).reason, /6 usable completed job\(s\) of pocketsphinx, 10 needed/);
    const aborted = AbortSignal.abort();
    await assert.rejects(resolveAutoPlan(store, config, 'pocketsphinx', 1035, aborted));
  } finally {
    await store.close();
  }
});

test('settingsFromConfig', () => {
  const config = configSchema.parse({ dataDir, concurrency: 3, planning: { minSegmentSec: 20 }, autoPlan: { maxSegmentShare: 0.25 } });
  const s = settingsFromConfig(config);
  assert.deepEqual(s, { objective: 'p90', cap: { maxSegmentSec: 1800, maxSegmentShare: 0.25, minCapSec: 60 }, minJobs: 4, fixedSegmentSec: 360, concurrencyLimit: 3, minSegmentSec: 20 });
  // Hedging by the model's rule is part of what the plan is predicted with; a fixed threshold or another backend is not.
  const cases: Array<[Record<string, unknown>, unknown]> = [
    [{ enabled: true }, { quantile: 0.75, maxExtraShare: 0.1 }],
    [{ enabled: true, quantile: 0.9, maxExtraShare: 0.05 }, { quantile: 0.9, maxExtraShare: 0.05 }],
    [{ enabled: true, afterSec: 30 }, undefined],
    [{ enabled: true, backend: 'pocketsphinx' }, undefined],
    [{ enabled: false }, undefined],
  ];
  for (const [hedging, expected] of cases) assert.deepEqual(settingsFromConfig(configSchema.parse({ dataDir, hedging })).hedge, expected, JSON.stringify(hedging));
  // The backend's own limit (an endpoint's upload size) tightens the cap and the fixed size.
  const limited = settingsFromConfig(configSchema.parse({ dataDir, segmentSec: 1500 }), 1364);
  assert.deepEqual([limited.cap.maxSegmentSec, limited.cap.minCapSec, limited.fixedSegmentSec, limited.backendMaxSegmentSec], [1364, 60, 1364, 1364]);
  const tiny = settingsFromConfig(configSchema.parse({ dataDir }), 30);
  assert.deepEqual([tiny.cap.maxSegmentSec, tiny.cap.minCapSec, tiny.fixedSegmentSec], [30, 30, 30]);
  const plan = autoPlanFromHistory(history(PLANS), { ...settingsFromConfig(configSchema.parse({ dataDir }), 300) }, 1035);
  assert.ok(plan.explain.choice!.chosen.lengthsSec.every((l) => l <= 300), plan.reason);
  assert.equal(plan.explain.cap.backendMaxSegmentSec, 300);
});

test('with a prior: a model from the first job, then refined by history (and the explanation says which)', () => {
  const prior: LatencyPrior = {
    model: {
      k: 2,
      kBound: 'exact',
      rtf: 0.19,
      overhead: { fixedSec: 0.45, perAudioSec: 0 },
      coldStart: { kind: 'every-request', segments: 0 },
      client: { fixedSec: 1.1, perAudioSec: 0.002, beforeFixedSec: 0.8, beforePerAudioSec: 0.002 },
      wallSigma: 0.05,
    },
    weightJobs: 6,
    source: 'CPU_TRUTH',
  };
  const withPrior = { ...settings, prior };
  const first = autoPlanFromHistory(history([]), withPrior, 1035);
  assert.equal(first.source, 'model');
  assert.equal(first.explain.basis, 'prior');
  assert.deepEqual(first.explain.prior, { source: 'CPU_TRUTH', weightJobs: 6, historyWeight: 0 });
  assert.match(first.reason, /: lowest predicted p90 wall of \d+ plans, .*from the pocketsphinx prior, no history yet \(CPU_TRUTH\)/);
  assert.equal(first.concurrency, 2);
  assert.ok(first.explain.fixed.prediction, 'the fixed size is predicted under the prior too');
  assert.ok(first.explain.choice!.chosen.prediction.wallSec.medianSec <= first.explain.fixed.prediction.wallSec.medianSec);
  const thin = autoPlanFromHistory(history(PLANS.slice(0, 2)), withPrior, 1035);
  assert.equal(thin.explain.basis, 'prior+history');
  assert.match(thin.reason, /speed scaled ×[\d.]+ by 2 job\(s\) of history/);
  const refined = autoPlanFromHistory(history(PLANS), withPrior, 1035);
  assert.equal(refined.explain.basis, 'prior+history');
  assert.equal(refined.explain.prior!.historyWeight, 0.5);
  assert.match(refined.reason, /from the pocketsphinx prior and 6 jobs of history \(history weight 50 %\)/);
  // A prior that agrees with the truth behind the history: the same choice as history alone.
  assert.deepEqual(refined.targetsSec, autoPlanFromHistory(history(PLANS), settings, 1035).targetsSec);
  assert.equal(settingsFromConfig(configSchema.parse({ dataDir }), undefined, prior).prior, prior);
});
