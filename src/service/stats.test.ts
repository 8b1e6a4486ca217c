import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../config/schema.js';
import { openRuntime } from '../runtime.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardStats, percentile } from './stats.js';

test('percentile: nearest rank', () => {
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([5], 95), 5);
  assert.equal(percentile([4, 1, 3, 2], 50), 2);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95), 95);
});

test("dashboardStats: the owner's jobs in the window by hour, turnaround, error rate, cost per audio minute", async () => {
  const runtime = await openRuntime(configSchema.parse({ dataDir: mkdtempSync(join(tmpdir(), 'stats-')) }));
  try {
    const now = 1_700_003_600 + 1800; // half past an hour
    const hourStart = Math.floor(now / 3600) * 3600;
    const jobs = [
      { id: 'jstats00001', owner: 'k_a', status: 'completed', created: hourStart + 60, took: 30, audio: 600, cost: 0.06 },
      { id: 'jstats00002', owner: 'k_a', status: 'completed', created: hourStart - 3600 + 10, took: 90, audio: 60, cost: 0.004 },
      { id: 'jstats00003', owner: 'k_a', status: 'failed', created: hourStart + 100, took: 5, audio: null, cost: 0 },
      { id: 'jstats00004', owner: 'k_a', status: 'running', created: hourStart + 200, took: null, audio: null, cost: null },
      { id: 'jstats00005', owner: 'k_b', status: 'completed', created: hourStart + 300, took: 1, audio: 60, cost: 1 },
      { id: 'jstats00006', owner: 'k_a', status: 'completed', created: hourStart - 3 * 3600, took: 1, audio: 60, cost: 1 },
    ] as const;
    for (const job of jobs) {
      await runtime.store.createJob({ id: job.id, source: '/x', sourceName: 'x.wav', owner: job.owner, segmentSec: 30, backend: 'pocketsphinx', format: 'json', language: null, priority: 'normal', options: {} });
      await runtime.store.updateJob(job.id, {
        status: job.status,
        created_at: job.created,
        completed_at: job.took === null ? null : job.created + job.took,
        duration_sec: job.audio,
        cost_usd: job.cost,
      });
    }
    const stats = await dashboardStats({ store: runtime.store, queuedJobs: () => 3, runningJobs: () => 1 }, 'k_a', 2, now);
    assert.equal(stats.jobs.total, 4, 'the other owner and the job before the window are left out');
    assert.deepEqual(stats.jobs.per_hour.map((h) => [h.jobs, h.completed, h.failed]), [[1, 1, 0], [3, 1, 1]]);
    assert.equal(stats.jobs.per_hour[1]!.hour, new Date(hourStart * 1000).toISOString());
    assert.deepEqual(stats.turnaround_sec, { p50: 30, p95: 90, count: 2 });
    assert.equal(stats.error_rate, 0.3333);
    assert.equal(stats.audio_minutes, 11);
    assert.equal(stats.cost_per_audio_minute_usd, 0.005818); // (0.06 + 0.004) / 11 min
    assert.deepEqual(stats.server, { queued_jobs: 3, running_jobs: 1, distributed: null });
  } finally {
    await runtime.close();
  }
});
