import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import { openRuntime } from '../runtime.js';
import { hourlyStats } from './stats.js';

test("hourlyStats: the owner's (or every) job in the window by hour, and the server's queue", async () => {
  const runtime = await openRuntime(configSchema.parse({ dataDir: mkdtempSync(join(tmpdir(), 'stats-')) }));
  try {
    const now = 1_700_003_600 + 1800; // half past an hour
    const hourStart = Math.floor(now / 3600) * 3600;
    const jobs = [
      { id: 'jstats00001', owner: 'k_a', status: 'completed', created: hourStart + 60, audio: 600 },
      { id: 'jstats00002', owner: 'k_a', status: 'completed', created: hourStart - 3600 + 10, audio: 60 },
      { id: 'jstats00003', owner: 'k_a', status: 'failed', created: hourStart + 100, audio: null },
      { id: 'jstats00004', owner: 'k_a', status: 'running', created: hourStart + 200, audio: null },
      { id: 'jstats00005', owner: 'k_b', status: 'completed', created: hourStart + 300, audio: 60 },
      { id: 'jstats00006', owner: 'k_a', status: 'completed', created: hourStart - 3 * 3600, audio: 60 },
    ] as const;
    for (const job of jobs) {
      await runtime.store.createJob({ id: job.id, source: '/x', sourceName: 'x.wav', owner: job.owner, segmentSec: 30, backend: 'pocketsphinx', format: 'json', language: null, priority: 'normal', options: {} });
      await runtime.store.updateJob(job.id, { status: job.status, created_at: job.created, duration_sec: job.audio });
    }
    const sources = { store: runtime.store, queuedJobs: () => 3, runningJobs: () => 1 };
    const mine = await hourlyStats(sources, 'k_a', 2, now);
    assert.equal(mine.scope, 'key');
    assert.equal(mine.since, new Date((hourStart - 3600) * 1000).toISOString());
    assert.deepEqual(
      mine.hours.map((h) => [h.jobs, h.completed, h.failed, h.audio_sec]),
      [
        [1, 1, 0, 60],
        [3, 1, 1, 600],
      ],
      'the other owner and the job before the window are left out',
    );
    assert.deepEqual(mine.server, { queued_jobs: 3, running_jobs: 1, distributed: null });
    const all = await hourlyStats(sources, undefined, 2, now);
    assert.equal(all.scope, 'all');
    assert.equal(all.hours[1]!.jobs, 4);
  } finally {
    await runtime.close();
  }
});
