import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import type { LatencyModel } from '../plan/latency/model.js';
import { openStore } from '../store/registry.js';
import { latencyPlan, modelHedgeThreshold } from './latency-plan.js';
import type { SegmentTask } from '../core/types.js';

const model = (cold: LatencyModel['coldStart']): LatencyModel => ({
  backend: 'gpu',
  k: 2,
  kBound: 'exact',
  rtf: 0.01,
  overhead: { fixedSec: 10, perAudioSec: 0 },
  coldStart: cold,
  client: { fixedSec: 1, perAudioSec: 0, beforeFixedSec: 1, beforePerAudioSec: 0 },
  wallSigma: 0,
});
const lognormal: LatencyModel['coldStart'] = { kind: 'lognormal', medianSec: 10, sigma: 0.5, samplesSec: [], p90Sec: 19, firstWaveProbability: 1, laterProbability: 0 };
const task = (index: number, lengthSec: number, backend = 'gpu'): SegmentTask => ({ jobId: 'j', index, startSec: 0, endSec: lengthSec, speechSec: lengthSec, chain: [backend], priority: 'normal' });

test('hedge thresholds from the model: the first wave allows for the cold start quantile, later segments for 1.5 × warm', () => {
  const threshold = modelHedgeThreshold(model(lognormal), 0.9, 2);
  // warm 10 + 0.01 × 100 = 11 s; cold p90 = 10 × e^(0.5 × 1.282) = 18.99 s
  const cases: Array<[SegmentTask, number | undefined]> = [
    [task(0, 20, 'local'), undefined], // served elsewhere (first words): no model, no hedge, not counted
    [task(1, 100), 11 + 18.99],
    [task(2, 100), 11 + 18.99],
    [task(3, 100), 11 * 1.5 + 1],
    [task(4, 0), 10 * 1.5 + 1],
  ];
  for (const [t, expected] of cases) {
    const got = threshold(t, 0);
    if (expected === undefined) assert.equal(got, undefined);
    else assert.ok(Math.abs(got! - expected) < 0.05, `segment ${t.index}: ${got} vs ${expected}`);
  }
  // No cold starts in history: every segment gets the warm rule.
  const warmOnly = modelHedgeThreshold(model({ kind: 'none' }), 0.9, 2);
  assert.equal(warmOnly(task(0, 100), 0), 11 * 1.5 + 1);
});

test('latencyPlan: fixed size, first words on another backend, hedging without a model needs afterSec', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-latency-plan-'));
  const store = await openStore({ dataDir });
  t.after(() => store.close());
  const base = { config: configSchema.parse({ dataDir }), store, chain: ['gpu', 'pocketsphinx'], durationSec: 600, canHedge: true, signal: new AbortController().signal };
  const plain = await latencyPlan(base);
  assert.deepEqual(plain.targetsSec, [360]);
  assert.equal(plain.hedger, undefined);
  assert.equal(plain.firstSegmentChain, undefined);

  const fast = await latencyPlan({ ...base, config: configSchema.parse({ dataDir, firstWords: { enabled: true, backend: 'pocketsphinx' }, hedging: { enabled: true } }) });
  assert.deepEqual(fast.targetsSec, [20, 360]);
  assert.deepEqual(fast.firstSegmentChain, ['pocketsphinx', 'gpu']);
  assert.equal(fast.hedger, undefined, 'no history and no afterSec: nothing to hedge by');
  assert.match(fast.note.reason, /no latency model yet/);

  const fixedHedge = await latencyPlan({ ...base, config: configSchema.parse({ dataDir, hedging: { enabled: true, afterSec: 30 } }) });
  assert.ok(fixedHedge.hedger);
  assert.equal(fixedHedge.hedger.options.threshold(task(0, 60), 0), 30);
  const remote = await latencyPlan({ ...base, canHedge: false, config: configSchema.parse({ dataDir, hedging: { enabled: true, afterSec: 30 } }) });
  assert.equal(remote.hedger, undefined, 'the distributed driver does not hedge');
  // A recording too short for a separate first segment keeps its plan.
  const short = await latencyPlan({ ...base, durationSec: 30, config: configSchema.parse({ dataDir, firstWords: { enabled: true } }) });
  assert.deepEqual(short.targetsSec, [360]);
  // A backend that takes at most 300 s per segment (an upload limit) gets 300 s segments.
  const limited = await latencyPlan({ ...base, maxSegmentSec: 300 });
  assert.deepEqual(limited.targetsSec, [300]);
});

test('hedge thresholds for segments queued behind the first wave wait out their predicted queue', () => {
  const gpu = model({ kind: 'lognormal', medianSec: 20, sigma: 0.5, samplesSec: [], p90Sec: 38, firstWaveProbability: 1, laterProbability: 0 });
  // Two servers, three segments all in flight: the third waits for a first-wave one (11 s + 20 s at q 0.5).
  const threshold = modelHedgeThreshold(gpu, 0.5, 2, [100, 100, 100], 3);
  const thresholds = [0, 1, 2].map((i) => threshold(task(i, 100), i));
  assert.deepEqual(thresholds, [11 + 20, 11 + 20, 31 + 11 * 1.5 + 1]);
});
