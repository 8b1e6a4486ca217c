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
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ffmpeg } from './helpers/cli.js';
import { clusterSkipReason, startHaCluster, type HaCluster, type HaServer } from './helpers/ha-cluster.js';
import { queryDatabase } from './helpers/postgres.js';
import { auditSegments, installSegmentWriteLog } from './helpers/segment-audit.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob } from './helpers/server.js';
import { readSse } from './helpers/sse.js';

const skip = await clusterSkipReason();
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
    assert.deepEqual(blobs.map((r) => [r.kind, r.n]), [['transcript', 20], ['upload', 20]], 'segment audio went with its jobs; transcripts stay, and uploads for playback (serve.keepUploadHours)');
    // The kept upload plays on the server that did not receive it (fetched from the store), Range included.
    const played = await fetch(`${jobs[0]!.other.url}/v1/jobs/${jobs[0]!.id}/audio`, { headers: { authorization: `Bearer ${jobs[0]!.key}`, range: 'bytes=0-1023' } });
    assert.equal(played.status, 206);
    assert.ok(Buffer.from(await played.arrayBuffer()).equals(readFileSync(clips[jobs[0]!.clip]!).subarray(0, 1024)), 'the other server plays the upload');
    // A signed audio URL (the UI's <audio> source) from one server plays on the other: one shared secret.
    const signed = (await (await fetch(`${jobs[1]!.server.url}/v1/jobs/${jobs[1]!.id}/audio-url`, { method: 'POST', headers: { authorization: `Bearer ${jobs[1]!.key}` } })).json()) as { url: string };
    const viaOther = await fetch(`${jobs[1]!.other.url}${signed.url}`);
    assert.equal(viaOther.status, 200, 'a URL signed by one server plays on the other');
    assert.equal(Buffer.from(await viaOther.arrayBuffer()).length, readFileSync(clips[jobs[1]!.clip]!).length);
    // Waveform peaks of a finished job on the server that did not decode it: computed there from the kept upload.
    const peaks = (await (await fetch(`${jobs[2]!.other.url}/v1/jobs/${jobs[2]!.id}/peaks?points=100`, { headers: { authorization: `Bearer ${jobs[2]!.key}` } })).json()) as { complete: boolean; data: number[] };
    assert.equal(peaks.complete, true);
    assert.equal(peaks.data.length, 100);
    assert.ok(peaks.data.some((v) => v > 0.05), 'real speech has peaks');
    const segmentRequests = [...cluster.lb.counts.entries()].map(([url, n]) => `${url === a.url ? 'A' : 'B'}: ${n}`).join(', ');
    process.stdout.write(`# 20 jobs on 2 servers: ${audit.segments} segments, last done after ${(walls.at(-1)! / 1000).toFixed(1)} s; requests through the balancer (segment audio, transcripts) ${segmentRequests}\n`);
  });

  test('an SSE client on server B follows a job server A runs, start to end: each segment once, in order, through A dying', async () => {
    const [a, b] = cluster.servers as [HaServer, HaServer];
    cluster.fake.setFaults({ latencyMs: 2_500 });
    const long = join(cluster.dir, 'long.wav');
    ffmpeg(['-ss', '0', '-t', '90', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', long]);
    const { status, body } = await submitFile(a.url, long, { segment_sec: '10', backend: 'fake' });
    assert.equal(status, 202, JSON.stringify(body));
    const id = String(body.id);
    const events: Array<{ event: string; id: string | undefined; atMs: number; data: string }> = [];
    let killedAt = 0;
    let takenOverAt: Promise<number> | undefined;
    const abort = AbortSignal.timeout(240_000);
    for await (const event of readSse(`${b.url}/v1/jobs/${id}/events`, authHeaders(), abort)) {
      events.push(event);
      // Server A dies once B's client has four segments (A runs the job: B's stream is fed by A's notices).
      if (event.event === 'segment' && events.filter((e) => e.event === 'segment').length === 4 && !killedAt) {
        killedAt = await cluster.kill(a);
        takenOverAt = (async () => {
          while ((await cluster.lease(id))?.holder !== b.instance) await new Promise((r) => setTimeout(r, 50));
          return Date.now();
        })();
      }
      if (event.event === 'done' || event.event === 'error') break;
    }
    cluster.fake.setFaults({ latencyMs: 1_000 });
    const last = events.at(-1)!;
    assert.equal(last.event, 'done', `the stream ends with done: ${last.data.slice(0, 300)}`);
    const view = JSON.parse(last.data) as { progress: { segments_total: number } };
    const ids = events.filter((e) => e.event === 'segment').map((e) => Number(e.id));
    assert.deepEqual(ids, Array.from({ length: view.progress.segments_total }, (_, i) => i), 'every segment once, in order');
    assert.ok(killedAt > 0 && ids.length > 2, 'A was killed mid-job');
    const lease = await cluster.lease(id);
    assert.equal(lease?.holder, b.instance, 'B took the job over');
    // How soon B heard of segments A stored (A's notices), against B's 15 s heartbeat without them.
    const rows = await queryDatabase<{ idx: number; done_ms: number }>(cluster.database.url, 'SELECT idx, (extract(epoch from completed_at) * 1000)::float8 AS done_ms FROM transcription_segments WHERE job_id = $1 ORDER BY idx', [id]);
    const beforeKill = events.filter((e) => e.event === 'segment' && e.atMs < killedAt).map((e) => e.atMs - rows[Number(e.id)]!.done_ms);
    const takeoverMs = (await takenOverAt!) - killedAt;
    const afterTakeover = events.filter((e) => e.event === 'segment' && e.atMs >= killedAt + takeoverMs).length;
    process.stdout.write(
      `# SSE on B, job run by A: ${ids.length} segments; store→B's client while A ran: ${beforeKill.map((d) => `${Math.round(d)} ms`).join(', ')}; ` +
        `B took the job over ${(takeoverMs / 1000).toFixed(1)} s after A's kill -9 (lease 4 s, sweep 0.5 s); ${afterTakeover} segments reached the client after that\n`,
    );
    assert.ok(beforeKill.every((d) => d < 5_000), `cross-server notices, not the 15 s heartbeat: ${beforeKill.join(', ')}`);
    assert.deepEqual((await auditSegments(cluster.database.url, [id])).problems, []);
    await cluster.addServer(); // a replacement for A (a new instance: its own data directory)
  });

  test('/readyz reports the lease heartbeat; /metrics the jobs owned and the takeovers', async () => {
    const b = cluster.servers[0]!;
    const ready = (await (await fetch(`${b.url}/readyz`)).json()) as { status: string; lease: { ok: boolean; instance: string; lastRenewAgeSec: number; notifications: string } };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.lease.ok, true);
    assert.equal(ready.lease.instance, b.instance);
    assert.equal(ready.lease.notifications, 'connected');
    assert.ok(ready.lease.lastRenewAgeSec < 4);
    const metrics = await (await fetch(`${b.url}/metrics`, { headers: authHeaders() })).text();
    assert.match(metrics, /^parascribe_jobs_owned 0$/m);
    assert.match(metrics, /^parascribe_api_servers_live 2$/m);
    const takeovers = Number(/^parascribe_job_takeovers_total (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(takeovers >= 1, `takeovers on B: ${takeovers}`);
    assert.match(metrics, /^parascribe_job_takeover_lapse_seconds_count \d+$/m);
  });

  test("a key's rate limit holds in total across two servers (one bucket in Redis)", async () => {
    // Two more servers with a tight limit: 2 requests/s, burst 10, per key.
    const config = JSON.parse((await import('node:fs')).readFileSync(cluster.env.PARASCRIBE_CONFIG!, 'utf8')) as Record<string, any>;
    config.serve.rateLimit = { requestsPerSec: 2, burst: 10 };
    config.distributed.queuePrefix = 'ratelimited';
    const path = join(cluster.dir, 'rate-limited.json');
    writeFileSync(path, JSON.stringify(config));
    const first = await startServer({ env: { ...cluster.env, PARASCRIBE_CONFIG: path } });
    const second = await startServer({ env: { ...cluster.env, PARASCRIBE_CONFIG: path } });
    try {
      const started = Date.now();
      const statuses: number[] = [];
      const retryAfter: string[] = [];
      for (let i = 0; i < 40; i++) {
        const response = await fetch(`${(i % 2 ? second : first).url}/v1/jobs?limit=1`, { headers: authHeaders(TEST_KEYS[4]) });
        await response.arrayBuffer();
        statuses.push(response.status);
        if (response.status === 429) retryAfter.push(response.headers.get('retry-after') ?? '');
      }
      const elapsedSec = (Date.now() - started) / 1000;
      const granted = statuses.filter((s) => s === 200).length;
      const bound = 10 + Math.ceil(2 * elapsedSec) + 1;
      process.stdout.write(`# rate limit 2/s burst 10 across 2 servers: ${granted} of 40 granted in ${elapsedSec.toFixed(2)} s (bound ${bound}; per-server buckets would grant about ${2 * 10 + Math.ceil(2 * 2 * elapsedSec)})\n`);
      assert.ok(granted >= 10 && granted <= bound, `granted ${granted}, bound ${bound}`);
      assert.ok(statuses.every((s) => s === 200 || s === 429));
      assert.ok(retryAfter.every((v) => Number(v) >= 1), `Retry-After: ${retryAfter.join(', ')}`);
      // Another key is not limited by this one.
      assert.equal((await fetch(`${first.url}/v1/jobs?limit=1`, { headers: authHeaders(TEST_KEYS[3]) })).status, 200);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
