/**
 * Takeover (issue 17, acceptance 2), on real parts: a stable server B, a server A that runs the job
 * and dies (kill -9: a crash point of its own, PARASCRIBE_TEST_CRASH_AT, or a SIGKILL from here at a
 * seeded moment), three workers, the FAKE backend (3 s per segment), one PostgreSQL database, one Redis. Each time:
 * B takes the job over within the lease (4 s) plus a few seconds, the job completes with the embedded
 * mode's transcript, every segment result is written once (a trigger logs every write) and served
 * once (the backend's request count: nothing stored is computed again). An upload cut mid-transfer
 * (client gone, server killed mid-body, server killed while copying it into the store) leaves no job
 * and, once its writer's lease is gone, no blob.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ffmpeg } from './helpers/cli.js';
import { clusterSkipReason, startHaCluster, type HaCluster, type HaServer } from './helpers/ha-cluster.js';
import { queryDatabase } from './helpers/postgres.js';
import { auditSegments, installSegmentWriteLog } from './helpers/segment-audit.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob } from './helpers/server.js';
import { seededRandom } from './fakes/openai-server.js';

const skip = await clusterSkipReason();
const LEASE_SEC = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a server killed mid-job: another takes the job over', { skip }, () => {
  let cluster: HaCluster;
  let b: HaServer;
  let clip: string;
  let reference: string;
  const delays: Array<{ moment: string; ms: number }> = [];

  const count = async (sql: string) => (await queryDatabase<{ n: number }>(cluster.database.url, sql))[0]!.n;
  const transcript = async (url: string, id: string) => (await fetch(`${url}/v1/jobs/${id}/transcript?format=txt`, { headers: authHeaders() })).text();

  before(async () => {
    cluster = await startHaCluster({ name: 'ha-takeover', servers: 1, leaseSec: LEASE_SEC, faults: { latencyMs: 3_000 } });
    b = cluster.servers[0]!;
    await installSegmentWriteLog(cluster.database.url);
    clip = join(cluster.dir, 'clip.wav');
    ffmpeg(['-ss', '30', '-t', '60', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', clip]);
    const embedded = await startServer({ env: { PARASCRIBE_CONFIG: cluster.env.PARASCRIBE_CONFIG!, PARASCRIBE_CACHE: '0' } });
    try {
      const { body } = await submitFile(embedded.url, clip, { segment_sec: '10', backend: 'fake' });
      assert.equal((await waitForJob(embedded.url, String(body.id), TEST_KEYS[0], 180_000)).status, 'completed');
      reference = await transcript(embedded.url, String(body.id));
    } finally {
      await embedded.stop();
    }
    for (let i = 0; i < 3; i++) await cluster.startWorker();
  });

  after(async () => {
    const ms = delays.map((d) => d.ms).sort((x, y) => x - y);
    if (ms.length > 0) process.stdout.write(`# takeover delays (kill → B holds the lease; lease ${LEASE_SEC} s, sweep 0.5 s): ${delays.map((d) => `${d.moment} ${(d.ms / 1000).toFixed(2)} s`).join(', ')}; max ${(ms.at(-1)! / 1000).toFixed(2)} s\n`);
    await cluster?.stop();
  });

  /** Runs one job on a fresh server A that dies at `moment`; B must finish it. */
  async function killedOwner(moment: string, kill: { crashAt: string } | { afterMs: number }): Promise<void> {
    const a = await cluster.addServer('crashAt' in kill ? { PARASCRIBE_TEST_CRASH_AT: kill.crashAt } : {});
    const requestsBefore = cluster.fake.stats().requests;
    const { status, body } = await submitFile(a.url, clip, { segment_sec: '10', backend: 'fake' });
    assert.equal(status, 202, JSON.stringify(body));
    const id = String(body.id);
    let killedAt: number;
    if ('crashAt' in kill) {
      await a.exited;
      killedAt = Date.now();
      cluster.forget(a);
    } else {
      await sleep(kill.afterMs);
      killedAt = await cluster.kill(a);
    }
    const atKill = await cluster.lease(id);
    assert.equal(atKill?.holder, a.instance, `${moment}: A held the job when it died`);
    assert.notEqual(atKill?.status, 'completed', `${moment}: A died before the job ended`);
    for (;;) {
      const lease = await cluster.lease(id);
      if (lease?.holder === b.instance || lease?.status === 'completed') break;
      assert.ok(Date.now() - killedAt < (LEASE_SEC + 15) * 1000, `${moment}: taken over within lease + 15 s`);
      await sleep(25);
    }
    const ms = Date.now() - killedAt;
    delays.push({ moment, ms });
    const job = await waitForJob(b.url, id, TEST_KEYS[0], 180_000, 100);
    assert.equal(job.status, 'completed', `${moment}: ${JSON.stringify(job.error)}`);
    assert.equal(await transcript(b.url, id), reference, `${moment}: the embedded transcript`);
    assert.deepEqual((await auditSegments(cluster.database.url, [id])).problems, [], `${moment}: every segment stored once`);
    const served = cluster.fake.stats().requests - requestsBefore;
    assert.equal(served, job.progress.segments_total, `${moment}: each segment served once by the backend (${served} requests for ${job.progress.segments_total} segments)`);
    assert.ok(ms < (LEASE_SEC + 5) * 1000, `${moment}: takeover after ${ms} ms`);
    process.stdout.write(`# ${moment}: B took over ${(ms / 1000).toFixed(2)} s after A died; ${served} backend requests for ${job.progress.segments_total} segments; epoch ${(await cluster.lease(id))?.epoch}\n`);
  }

  test('A dies mid-decode (crash point): B takes over, re-decodes from the upload in the store, finishes', () => killedOwner('mid-decode', { crashAt: 'stage:decoding' }));
  test('A dies mid-transcription (after 2 segments): the segments in flight finish on the workers, B waits for them', () => killedOwner('mid-transcribe', { crashAt: 'segment:2' }));
  test('A dies mid-stitch: nothing is computed again', () => killedOwner('mid-stitch', { crashAt: 'stage:stitching' }));
  test('A gets kill -9 at two seeded moments', async () => {
    const random = seededRandom(17_2026);
    for (let k = 0; k < 2; k++) await killedOwner(`seeded-${k}`, { afterMs: Math.round(500 + random() * 4_000) });
  });

  test('A frozen (SIGSTOP) past its lease: B takes the job over; A, thawed, finds it held and stops without touching it', async () => {
    const a = await cluster.addServer();
    const requestsBefore = cluster.fake.stats().requests;
    const { body } = await submitFile(a.url, clip, { segment_sec: '10', backend: 'fake' });
    const id = String(body.id);
    while ((await count(`SELECT count(*)::int AS n FROM transcription_segments WHERE job_id = '${id}' AND status = 'completed'`)) < 1) await sleep(50);
    a.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    cluster.forget(a); // the balancer's health check would take it out
    while ((await cluster.lease(id))?.holder !== b.instance) {
      assert.ok(Date.now() - frozenAt < (LEASE_SEC + 15) * 1000, 'taken over while A is frozen');
      await sleep(25);
    }
    const takenMs = Date.now() - frozenAt;
    await sleep(500);
    a.child.kill('SIGCONT');
    const job = await waitForJob(b.url, id, TEST_KEYS[0], 120_000, 100);
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.equal(await transcript(b.url, id), reference);
    assert.deepEqual((await auditSegments(cluster.database.url, [id])).problems, []);
    assert.equal(cluster.fake.stats().requests - requestsBefore, job.progress.segments_total, 'each segment served once');
    // Its heartbeat finds the lease held by B, or its fenced completion does (whichever comes first once thawed).
    const noticed = /held by \S+ now; stopping it here|another server holds it now; stopped here without touching it/;
    for (const deadline = Date.now() + 10_000; !noticed.test(a.stderr()); await sleep(100)) assert.ok(Date.now() < deadline, `A noticed: ${a.stderr()}`);
    assert.equal(a.child.exitCode, null, 'A is still running');
    assert.equal((await cluster.lease(id))?.holder, b.instance);
    assert.doesNotMatch(a.stderr(), /^\s+at .+[(:]\d+/m, 'no stack trace on A');
    process.stdout.write(`# frozen owner: B took over ${(takenMs / 1000).toFixed(2)} s after A froze; A, thawed, stopped its run: ${noticed.exec(a.stderr())?.[0]}\n`);
    await a.stop();
  });

  test('an upload cut mid-transfer leaves no job and no orphan blob (client gone; server killed mid-body; server killed mid-copy into the store)', async () => {
    const jobsBefore = await count('SELECT count(*)::int AS n FROM transcription_jobs');
    const bytes = readFileSync(clip);
    // 1. The client goes away half-way through its body.
    await new Promise<void>((resolve) => {
      const boundary = 'cut-upload-boundary';
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
      const req = request(`${b.url}/v1/jobs`, { method: 'POST', headers: { ...authHeaders(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + bytes.length + 100) } });
      req.on('error', () => resolve());
      req.write(head);
      req.write(bytes.subarray(0, bytes.length / 2), () => setTimeout(() => (req.destroy(), resolve()), 200));
    });
    // 2. The server dies while the body streams in.
    const a1 = await cluster.addServer({ PARASCRIBE_TEST_CRASH_AT: `upload:${512 * 1024}` });
    await assert.rejects(submitFile(a1.url, clip, { segment_sec: '10', backend: 'fake' }));
    await a1.exited;
    cluster.forget(a1);
    // 3. The server dies after the first 1 MiB chunk of the upload is in the store.
    const a2 = await cluster.addServer({ PARASCRIBE_TEST_CRASH_AT: `blob:${1024 * 1024}` });
    await assert.rejects(submitFile(a2.url, clip, { segment_sec: '10', backend: 'fake' }));
    await a2.exited;
    const diedAt = Date.now();
    cluster.forget(a2);
    assert.equal(await count("SELECT count(*)::int AS n FROM blobs WHERE kind = 'upload' AND state = 'writing'"), 1, 'the cut copy is in the store, unfinished');
    assert.equal(await count('SELECT count(*)::int AS n FROM transcription_jobs'), jobsBefore, 'no job from any cut upload');
    // B's sweep removes it once A2's instance lease has lapsed (lease + every 10th sweep of 0.5 s).
    // (Uploads of ended jobs stay for playback, serve.keepUploadHours: only the unfinished one must go.)
    while ((await count("SELECT count(*)::int AS n FROM blobs WHERE kind = 'upload' AND state = 'writing'")) > 0) {
      assert.ok(Date.now() - diedAt < (LEASE_SEC + 15) * 1000, 'the orphan blob is removed within lease + 15 s');
      await sleep(100);
    }
    const chunks = await count("SELECT count(*)::int AS n FROM blob_chunks c LEFT JOIN blobs b ON b.id = c.blob_id WHERE b.id IS NULL OR b.state = 'writing' OR b.job_id NOT IN (SELECT id FROM transcription_jobs)");
    process.stdout.write(`# cut uploads: no job; the orphan blob of the server killed mid-copy was removed ${((Date.now() - diedAt) / 1000).toFixed(1)} s after it died (lease ${LEASE_SEC} s); ${chunks} chunks left of unfinished blobs or of no job\n`);
    assert.equal(chunks, 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM transcription_jobs'), jobsBefore);
  });
});
