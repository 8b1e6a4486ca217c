import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredWorkers, measureThroughput, slotsPerWorker, type BacklogSample, type FinishedSegment } from './autoscale.js';

const POLICY = { latencyTargetSec: 60, minWorkers: 0, maxWorkers: 100 };

function sample(backend: string, waitingTasks: number, activeTasks: number, backlogAudioSec: number, slotSpeed: number | undefined): BacklogSample {
  return { backend, waitingTasks, activeTasks, backlogAudioSec, slotSpeed };
}

describe('desiredWorkers', () => {
  const cases: Array<{ name: string; samples: BacklogSample[]; slots: number; policy?: Partial<typeof POLICY>; desired: number; unmeasured?: string[] }> = [
    { name: 'no queues: minWorkers', samples: [], slots: 1, desired: 0 },
    { name: 'empty queues: minWorkers', samples: [sample('a', 0, 0, 0, 10)], slots: 1, desired: 0 },
    { name: 'empty queues with minWorkers 2', samples: [sample('a', 0, 0, 0, 10)], slots: 1, policy: { minWorkers: 2 }, desired: 2 },
    // 10 tasks of 60 s at 10× real time: 60 slot-seconds, one slot does it in 60 s.
    { name: 'measured: exactly one worker', samples: [sample('a', 10, 0, 600, 10)], slots: 1, desired: 1 },
    { name: 'measured: a little over one worker rounds up', samples: [sample('a', 10, 0, 601, 10)], slots: 1, desired: 2 },
    { name: 'float noise does not add a worker', samples: [sample('a', 3, 0, 0.1 + 0.2, 0.3 / 60)], slots: 1, desired: 1 },
    // 400 tasks of 360 s at 2× real time: 72000 slot-seconds / 60 s = 1200 slots, 2 per worker: 600 → clamped to 100.
    { name: 'measured: clamped to maxWorkers', samples: [sample('a', 390, 10, 144_000, 2)], slots: 2, desired: 100 },
    { name: 'measured: a small maxWorkers', samples: [sample('a', 10, 0, 6_000, 1)], slots: 1, policy: { maxWorkers: 4 }, desired: 4 },
    { name: 'measured: slots per worker divide', samples: [sample('a', 20, 0, 1_200, 1)], slots: 4, desired: 5 },
    // 1200 slot-seconds / 60 = 20 slots, but only 3 tasks: 3 workers.
    { name: 'slow backend: bounded by the task count', samples: [sample('a', 3, 0, 1_200, 1)], slots: 1, desired: 3 },
    { name: 'task bound with 2 slots per worker rounds up', samples: [sample('a', 3, 0, 1_200, 1)], slots: 2, desired: 2 },
    { name: 'active tasks count', samples: [sample('a', 0, 4, 240, 1)], slots: 1, desired: 4 },
    { name: 'unmeasured: one slot per task', samples: [sample('a', 7, 0, 2_520, undefined)], slots: 1, desired: 7, unmeasured: ['a'] },
    { name: 'unmeasured, 4 slots per worker', samples: [sample('a', 7, 2, 3_240, undefined)], slots: 4, desired: 3, unmeasured: ['a'] },
    { name: 'zero speed counts as unmeasured', samples: [sample('a', 2, 0, 120, 0)], slots: 1, desired: 2, unmeasured: ['a'] },
    // a: 600 s at 10× = 60 slot-s; b: 5 tasks unmeasured = 300 slot-s; 360 / 60 = 6.
    { name: 'backends add up, measured and not', samples: [sample('a', 10, 0, 600, 10), sample('b', 5, 0, 300, undefined)], slots: 1, desired: 6, unmeasured: ['b'] },
    { name: 'latency target doubles: half the workers', samples: [sample('a', 40, 0, 2_400, 1)], slots: 1, policy: { latencyTargetSec: 120 }, desired: 20 },
    { name: 'minWorkers wins over a small backlog', samples: [sample('a', 1, 0, 10, 10)], slots: 1, policy: { minWorkers: 3 }, desired: 3 },
    { name: 'bad slots per worker counts as 1', samples: [sample('a', 2, 0, 120, 1)], slots: 0, desired: 2 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const result = desiredWorkers(c.samples, c.slots, { ...POLICY, ...c.policy });
      assert.equal(result.desiredWorkers, c.desired);
      assert.deepEqual(result.unmeasuredBackends, c.unmeasured ?? []);
    });
  }
});

describe('measureThroughput', () => {
  const windows = { throughputWindowSec: 300, speedWindowSec: 3_600 };
  const now = 1_000_000;
  const seg = (backend: string, audioSec: number, processingSec: number, agoSec: number): FinishedSegment => ({
    backend,
    startSec: 100,
    endSec: 100 + audioSec,
    startedAtSec: now - agoSec - processingSec,
    completedAtSec: now - agoSec,
  });

  test('audio per wall second over 5 min; slot speed over the hour', () => {
    const result = measureThroughput([seg('a', 60, 10, 10), seg('a', 60, 20, 100), seg('a', 120, 30, 1_000)], now, windows);
    const a = result.get('a')!;
    assert.equal(a.audioSecPerSec, 120 / 300);
    assert.equal(a.slotSpeed, 240 / 60);
    assert.equal(a.speedSamples, 3);
  });

  test('per backend', () => {
    const result = measureThroughput([seg('a', 60, 60, 0), seg('b', 30, 3, 5)], now, windows);
    assert.equal(result.get('a')!.slotSpeed, 1);
    assert.equal(result.get('b')!.slotSpeed, 10);
    assert.equal(result.get('b')!.audioSecPerSec, 0.1);
  });

  test('older than both windows, or in the future: ignored', () => {
    const result = measureThroughput([seg('a', 60, 10, 3_601), seg('a', 60, 10, -5)], now, windows);
    assert.equal(result.size, 0);
  });

  test('outside the throughput window but inside the speed window: speed only', () => {
    const a = measureThroughput([seg('a', 60, 30, 600)], now, windows).get('a')!;
    assert.equal(a.audioSecPerSec, 0);
    assert.equal(a.slotSpeed, 2);
  });

  test('no positive processing time: throughput counts, speed is unmeasured', () => {
    const a = measureThroughput([seg('a', 60, 0, 10)], now, windows).get('a')!;
    assert.equal(a.audioSecPerSec, 0.2);
    assert.equal(a.slotSpeed, undefined);
    assert.equal(a.speedSamples, 0);
  });
});

describe('slotsPerWorker', () => {
  test('mean concurrency of live workers, else the configured one', () => {
    assert.equal(slotsPerWorker([], 3), 3);
    assert.equal(slotsPerWorker([{ name: 'w1', backends: ['a'], concurrency: 2 }, { name: 'w2', backends: ['a'], concurrency: 4 }], 1), 3);
  });
});
