/**
 * Distributed mode end to end on real parts: one `parascribe serve` and three `parascribe worker`
 * processes on loopback, a private real Redis (test/helpers/redis.ts) and a throw-away PostgreSQL
 * database. Issue 5, acceptance 1 (10 multi-segment jobs, transcripts equal to the embedded mode's) and
 * 4 (the seed study's SQL, verbatim, gives parallelism > 1 for a job spread over the workers).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { segmentQueueName } from '../src/queue/bullmq/connection.js';
import { FIXTURES, ffmpeg } from './helpers/cli.js';
import { clusterSkipReason, startCluster, type Cluster } from './helpers/cluster.js';
import { queryDatabase } from './helpers/postgres.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob } from './helpers/server.js';

async function transcriptText(url: string, id: string, key: string): Promise<string> {
  const response = await fetch(`${url}/v1/jobs/${id}/transcript?format=txt`, { headers: authHeaders(key) });
  assert.equal(response.status, 200);
  return response.text();
}

describe('distributed mode: serve + 3 workers on Redis and PostgreSQL', { skip: await clusterSkipReason() }, () => {
  let cluster: Cluster;
  const clips: string[] = [];

  before(async () => {
    cluster = await startCluster({ name: 'distributed', faults: { latencyMs: 2_000 } });
    // Three different 30 s stretches of real speech: cut at pauses into about three 10 s segments each.
    for (const [i, startSec] of [0, 60, 120].entries()) {
      const clip = join(cluster.dir, `clip-${i}.wav`);
      ffmpeg(['-ss', String(startSec), '-t', '30', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', clip]);
      clips.push(clip);
    }
    for (let i = 0; i < 3; i++) await cluster.startWorker();
  });

  after(async () => cluster?.stop());

  test('10 multi-segment jobs complete on the workers, each transcript equal to the embedded mode on the same file', async () => {
    // The reference: the embedded default (SQLite, segments in the serving process), same options.
    const embedded = await startServer({ env: { PARASCRIBE_CACHE: '0' } });
    const reference: string[] = [];
    try {
      for (const clip of clips) {
        const { body } = await submitFile(embedded.url, clip, { segment_sec: '10' });
        const job = await waitForJob(embedded.url, String(body.id), TEST_KEYS[0], 180_000);
        assert.equal(job.status, 'completed');
        reference.push(await transcriptText(embedded.url, String(body.id), TEST_KEYS[0]!));
      }
    } finally {
      await embedded.stop();
    }
    assert.ok(reference.every((text) => text.trim().split(/\s+/).length > 30), 'the reference transcripts hold real speech');

    const submitted = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const key = TEST_KEYS[i % TEST_KEYS.length]!;
        const { status, body } = await submitFile(cluster.server.url, clips[i % clips.length]!, { segment_sec: '10', priority: i % 2 ? 'normal' : 'critical' }, key);
        assert.equal(status, 202);
        return { id: String(body.id), key, clip: i % clips.length };
      }),
    );
    let segments = 0;
    for (const { id, key, clip } of submitted) {
      const job = await waitForJob(cluster.server.url, id, key, 300_000, 500);
      assert.equal(job.status, 'completed', JSON.stringify(job.error));
      segments += job.progress.segments_total;
      assert.ok(job.progress.segments_total >= 3, `job ${id} has ${job.progress.segments_total} segments`);
      assert.equal(await transcriptText(cluster.server.url, id, key), reference[clip], `job ${id} (clip ${clip}) equals the embedded transcript`);
    }
    // Every segment was served by a worker process, and the work was spread over all three.
    const queue = new Queue(segmentQueueName('pocketsphinx'), { connection: { url: cluster.redis.url }, prefix: 'parascribe' });
    try {
      const done = await queue.getJobs(['completed'], 0, 1000);
      assert.equal(done.length, segments, 'one completed task per segment');
      const served = new Set(done.map((j) => (j.returnvalue as { worker: string }).worker));
      assert.deepEqual([...served].sort(), cluster.workers.map((w) => w.name).sort());
    } finally {
      await queue.close();
    }
    const rows = await queryDatabase<{ n: string }>(cluster.database.url, `select count(*) as n from transcription_segments s join transcription_jobs j on j.id = s.job_id where j.id = any($1) and s.status = 'completed'`, [submitted.map((s) => s.id)]);
    assert.equal(Number(rows[0]!.n), segments);
  });

  test('the seed SQL runs verbatim on PostgreSQL: a 54-minute job spread over the workers has parallelism > 1', async () => {
    // 9 × (165 s silence, 30 s speech, 165 s silence): pauses centred on every 360 s boundary, so the
    // default 360 s plan cuts there and the fake serves identical segments from its memo after the first.
    const unit = join(cluster.dir, 'unit.wav');
    ffmpeg(['-f', 'lavfi', '-t', '165', '-i', 'anullsrc=r=16000:cl=mono', '-i', clips[0]!, '-f', 'lavfi', '-t', '165', '-i', 'anullsrc=r=16000:cl=mono', '-filter_complex', '[0:a][1:a][2:a]concat=n=3:v=0:a=1', '-ac', '1', '-ar', '16000', unit]);
    const long = join(cluster.dir, 'long.flac');
    ffmpeg(['-stream_loop', '8', '-i', unit, '-ac', '1', '-ar', '16000', long]);
    const { status, body } = await submitFile(cluster.server.url, long, { backend: 'fake' }, TEST_KEYS[0], 'long.flac');
    assert.equal(status, 202, JSON.stringify(body));
    const job = await waitForJob(cluster.server.url, String(body.id), TEST_KEYS[0], 300_000, 500);
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    const seed = `SELECT id, duration_sec / 60.0 AS audio_minutes, gpu_elapsed_sec, EXTRACT(EPOCH FROM (completed_at - started_at)) AS wall_seconds, gpu_elapsed_sec / EXTRACT(EPOCH FROM (completed_at - started_at)) AS parallelism_factor, chunk_count FROM transcription_jobs WHERE status = 'completed' AND duration_sec > 3000 ORDER BY completed_at DESC;`;
    const rows = await queryDatabase<{ id: string; audio_minutes: string; parallelism_factor: string; chunk_count: number; wall_seconds: string; gpu_elapsed_sec: number }>(cluster.database.url, seed);
    const row = rows.find((r) => r.id === body.id);
    assert.ok(row, 'the long job is in the seed query result');
    process.stdout.write(`# seed SQL: ${JSON.stringify(row)}\n`);
    assert.ok(Number(row.audio_minutes) > 50);
    assert.ok(row.chunk_count >= 9);
    assert.ok(Number(row.parallelism_factor) > 1, `parallelism_factor ${row.parallelism_factor}`);
  });
});
