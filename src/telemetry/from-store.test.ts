import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/registry.js';
import type { JobStore } from '../store/jobs.js';
import { jobTelemetry, segmentTelemetry } from './from-store.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-telemetry-'));
let store: JobStore;
before(async () => {
  store = await openStore({ dataDir: dir });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a job's telemetry comes from its stored rows: compute, cold starts, cost, reuse and preparation", async () => {
  await store.createJob({ id: 'jt', source: 'a.wav', segmentSec: 60, backend: 'pocketsphinx', format: 'txt', language: null, priority: 'normal', options: {} });
  await store.insertSegments('jt', [
    { index: 0, startSec: 0, endSec: 60, cutAfter: 'pause' },
    { index: 1, startSec: 60, endSec: 120, cutAfter: 'pause' },
    { index: 2, startSec: 120, endSec: 150, cutAfter: 'end' },
  ]);
  for (const index of [0, 1]) {
    await store.markSegmentStarted('jt', index, 'pocketsphinx');
    await store.completeSegment('jt', index, { resultJson: '{"text":"","utterances":[]}', computeSec: 8 + index, coldStart: index === 0, warningsJson: '[]', backend: 'pocketsphinx', costUsd: 0.01 });
  }
  await store.updateSegment('jt', 2, { status: 'reused', backend: 'pocketsphinx', reused_from_job: 'jold', result_json: '{}', compute_sec: 0 });
  await store.updateJob('jt', { prepare_compute_sec: 1.5 });

  const rows = await store.listSegments('jt');
  const first = segmentTelemetry(rows[0]!);
  assert.equal(first.coldStart, true);
  assert.equal(first.computeSec, 8);
  assert.ok(first.lifeSec >= 0 && first.lifeSec < 60, `life ${first.lifeSec} s`);
  assert.equal(segmentTelemetry(rows[2]!).lifeSec, 0, 'no start time: life 0');

  const t = await jobTelemetry(store, 'jt', 150, 10, false, { decodeSec: 0.4 });
  assert.equal(t.computeSec, 8 + 9 + 1.5);
  assert.equal(t.parallelism, 18.5 / 10);
  assert.equal(t.segments, 3);
  assert.equal(t.segmentsReused, 1);
  assert.equal(t.coldStarts, 1);
  assert.ok(Math.abs(t.costUsd - 0.02) < 1e-12);
  assert.equal(t.decodeSec, 0.4);
});

test('an unknown job has empty telemetry, not an error', async () => {
  const t = await jobTelemetry(store, 'jnone', 60, 1, true);
  assert.equal(t.segments, 0);
  assert.equal(t.prepareComputeSec, 0);
  assert.equal(t.cacheHit, true);
});
