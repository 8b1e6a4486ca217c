/**
 * Durability of `parascribe serve`: the server is killed with SIGKILL (PARASCRIBE_TEST_CRASH_AT, a real
 * kill -9 at a named point) during the upload, planning, mid-segments, stitching and just before
 * completion; after a restart on the same data dir the job completes with the transcript of an
 * uninterrupted run, segments finished before the crash are not recomputed, and nothing is orphaned.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { FIXTURES, ffmpeg, tempDir } from './helpers/cli.js';
import { authHeaders, jobFilesAfterEnd, startServer, submitFile, waitForJob, type RunningServer } from './helpers/server.js';

const FIELDS = { segment_sec: '15', language: 'en' };
// Real work every time: no transcript cache, no reuse across jobs (a job's own finished segments still count).
const ENV = { PARASCRIBE_CACHE: '0', PARASCRIBE_KEEP_UPLOAD_HOURS: '0' };

async function transcriptOf(server: RunningServer, id: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/jobs/${id}/transcript?format=txt`, { headers: authHeaders() });
  assert.equal(response.status, 200);
  return response.text();
}

function segmentRows(dataDir: string, jobId: string) {
  const db = new Database(join(dataDir, 'parascribe.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT idx, status, completed_at, result_json FROM transcription_segments WHERE job_id = ? ORDER BY idx').all(jobId) as Array<{
      idx: number;
      status: string;
      completed_at: number | null;
      result_json: string | null;
    }>;
  } finally {
    db.close();
  }
}

describe('parascribe serve survives kill -9', { timeout: 600_000 }, () => {
  let audio: string;
  let reference: string;

  before(async () => {
    audio = join(tempDir('durable'), 'talk.wav');
    ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-t', '64', '-ar', '16000', '-ac', '1', audio]);
    const server = await startServer({ env: ENV });
    try {
      const { status, body } = await submitFile(server.url, audio, FIELDS);
      assert.equal(status, 202);
      const job = await waitForJob(server.url, body.id);
      assert.equal(job.status, 'completed');
      assert.ok(job.progress.segments_total >= 4, `${job.progress.segments_total} segments`);
      reference = await transcriptOf(server, body.id);
      assert.match(reference, /general public license/i);
    } finally {
      await server.stop();
    }
  });

  it('during the upload: no job, no file left; a resubmission completes', async () => {
    const dataDir = tempDir('crash-upload');
    const crashing = await startServer({ dataDir, env: { ...ENV, PARASCRIBE_TEST_CRASH_AT: 'upload:600000' } });
    await assert.rejects(submitFile(crashing.url, audio, FIELDS));
    assert.equal((await crashing.exited).signal, 'SIGKILL');
    assert.ok(readdirSync(join(dataDir, 'jobs')).length === 1, 'the partial upload is on disk before the restart');
    const server = await startServer({ dataDir, env: ENV });
    try {
      assert.deepEqual(readdirSync(join(dataDir, 'jobs')), [], 'the restart removed the partial upload');
      const list = (await (await fetch(`${server.url}/v1/jobs`, { headers: authHeaders() })).json()) as { data: unknown[] };
      assert.equal(list.data.length, 0, 'an upload that was never acknowledged is not a job');
      const { status, body } = await submitFile(server.url, audio, FIELDS);
      assert.equal(status, 202);
      assert.equal((await waitForJob(server.url, body.id)).status, 'completed');
      assert.equal(await transcriptOf(server, body.id), reference);
    } finally {
      await server.stop();
    }
  });

  for (const point of ['stage:planning', 'segment:2', 'stage:stitching', 'stage:writing']) {
    it(`at ${point}: the restarted server resumes the job to the uninterrupted transcript`, async () => {
      const dataDir = tempDir('crash');
      const crashing = await startServer({ dataDir, env: { ...ENV, PARASCRIBE_TEST_CRASH_AT: point } });
      const { status, body } = await submitFile(crashing.url, audio, FIELDS);
      assert.equal(status, 202, 'the job was acknowledged before the crash');
      assert.equal((await crashing.exited).signal, 'SIGKILL');
      const crashedAtSec = Date.now() / 1000;
      const before = segmentRows(dataDir, body.id).filter((r) => r.status === 'completed');
      if (point === 'segment:2') assert.ok(before.length >= 2, `${before.length} segments finished before the crash`);
      if (point === 'stage:stitching' || point === 'stage:writing') assert.ok(before.length >= 4, 'all segments finished before the crash');

      const server = await startServer({ dataDir, env: ENV });
      try {
        const job = await waitForJob(server.url, body.id);
        assert.equal(job.status, 'completed', JSON.stringify(job.error));
        assert.equal(await transcriptOf(server, body.id), reference);
        const after = segmentRows(dataDir, body.id);
        assert.ok(after.every((r) => r.status === 'completed' || r.status === 'reused'));
        // Stored once: a segment finished before the crash keeps its time and result (not computed again).
        for (const finished of before) {
          const row = after.find((r) => r.idx === finished.idx)!;
          assert.equal(row.completed_at, finished.completed_at, `segment ${finished.idx} was stored again`);
          assert.equal(row.result_json, finished.result_json);
          assert.ok(row.completed_at! < crashedAtSec);
        }
        // ENV keeps no upload after the job (serve.keepUploadHours 0); the peaks stay with the transcript.
        assert.deepEqual((await jobFilesAfterEnd(dataDir, body.id)).sort(), ['peaks.bin', 'transcript.json'], 'the upload is removed once the job is done');
      } finally {
        await server.stop();
      }
    });
  }
});
