/**
 * Issue 17, acceptance 5: what running the API tier as several servers costs and buys, on this
 * machine. One throw-away PostgreSQL database, a private Redis, the FAKE OpenAI-compatible backend
 * (answers from its memo after a warm-up job, plus --latency-ms), `parascribe worker` processes, and
 * `parascribe serve` processes behind a round-robin balancer in this process (test/helpers/ha-cluster.ts;
 * the balancer is also the workers' segment-audio address). Same run, same machine:
 *
 * (a) per-request cost on a quiet system: POST /v1/jobs (a 30 s WAV, upload copied into the store),
 *     GET /v1/jobs?limit=20 (always read from the store), GET /v1/jobs/:id (view cache), GET
 *     …/transcript (the non-owner reads it from the store): baselines an embedded server (SQLite) and a
 *     PostgreSQL server without Redis (leases and blobs, local rate limit), then the cluster with 1
 *     server and with 2 servers (requests alternating between them);
 * (b) job turnaround (created → completed, from the store) and batch wall for --jobs jobs submitted
 *     one after another, with 1 server and with 2 servers;
 * (c) takeover delay over --kills kills: a fresh server gets a job, is killed (-9) at a seeded moment,
 *     and the delay until another server holds the job's lease (and until the job completed) is timed.
 *
 *   node --import tsx bench/ha.ts [--jobs 10] [--kills 10] [--requests 200] [--latency-ms 1000] [--lease-sec 4] [--workers 3] [--record]
 *
 * Needs the built CLI (npm run build), redis-server, ffmpeg, pocketsphinx (warm-up) and PostgreSQL as
 * the tests find it ($PARASCRIBE_TEST_POSTGRES_URL).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { seededRandom } from '../test/fakes/openai-server.js';
import { ffmpeg } from '../test/helpers/cli.js';
import { startHaCluster, type HaServer } from '../test/helpers/ha-cluster.js';
import { queryDatabase } from '../test/helpers/postgres.js';
import { auditSegments, installSegmentWriteLog } from '../test/helpers/segment-audit.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob } from '../test/helpers/server.js';
import { percentile } from './lib-distributed.js';
import { REPO_ROOT, die, fmt, markdownTable, median, positiveNumber, recordResults, requireCli, requireFile, requireTools } from './lib.js';

const USAGE = 'usage: node --import tsx bench/ha.ts [--jobs 10] [--kills 10] [--requests 200] [--latency-ms 1000] [--lease-sec 4] [--workers 3] [--record]';
const { values } = parseArgs({
  options: {
    jobs: { type: 'string' },
    kills: { type: 'string' },
    requests: { type: 'string' },
    'latency-ms': { type: 'string' },
    'lease-sec': { type: 'string' },
    workers: { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const jobCount = Math.round(positiveNumber(values.jobs, '--jobs', 10));
const kills = Math.round(positiveNumber(values.kills, '--kills', 10));
const requests = Math.round(positiveNumber(values.requests, '--requests', 200));
const latencyMs = positiveNumber(values['latency-ms'], '--latency-ms', 1000);
const leaseSec = positiveNumber(values['lease-sec'], '--lease-sec', 4);
const workerCount = Math.round(positiveNumber(values.workers, '--workers', 3));
if (kills < 1) die('--kills must be at least 1');
requireCli();
requireTools('ffmpeg', 'redis-server', 'pocketsphinx_continuous');
const fixtures = process.env.FIXTURES_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
const source = requireFile(path.join(fixtures, 'gpl-preamble.mp3'), 'audio file');

const cluster = await startHaCluster({ name: 'bench-ha', servers: 2, leaseSec, faults: { latencyMs } });
const ms = (started: number) => performance.now() - started;
const stat = (xs: number[]) => `${fmt(percentile(xs, 50), 1)} / ${fmt(percentile(xs, 95), 1)}`;

async function timedGet(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers: authHeaders() });
  await response.arrayBuffer();
  if (response.status !== 200) die(`GET ${url}: HTTP ${response.status}`);
  return ms(started);
}

/** POST latency of `count` submissions round-robin over `urls`, then each job's turnaround. */
async function batch(urls: string[], clip: string, count: number) {
  const posts: number[] = [];
  const ids: string[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const { status, body } = await submitFile(urls[i % urls.length]!, clip, { segment_sec: '10', backend: 'fake' });
    posts.push(ms(t));
    if (status !== 202) die(`submit: HTTP ${status} ${JSON.stringify(body)}`);
    ids.push(String(body.id));
  }
  for (const id of ids) if ((await waitForJob(urls[0]!, id, TEST_KEYS[0], 600_000, 100)).status !== 'completed') die(`job ${id} did not complete`);
  const wallSec = (Date.now() - started) / 1000;
  const rows = await queryDatabase<{ turnaround: number }>(cluster.database.url, 'SELECT extract(epoch from (completed_at - created_at))::float8 AS turnaround FROM transcription_jobs WHERE id = ANY($1)', [ids]);
  return { posts, ids, wallSec, turnarounds: rows.map((r) => Number(r.turnaround)) };
}

/** GET costs on `urls` (round-robin) for a finished job `id`. */
async function gets(urls: string[], id: string) {
  const out = { list: [] as number[], view: [] as number[], transcript: [] as number[] };
  for (let i = 0; i < requests; i++) {
    const base = urls[i % urls.length]!;
    out.list.push(await timedGet(`${base}/v1/jobs?limit=20`));
    out.view.push(await timedGet(`${base}/v1/jobs/${id}`));
    if (i < Math.min(requests, 100)) out.transcript.push(await timedGet(`${base}/v1/jobs/${id}/transcript?format=txt`));
  }
  return out;
}

try {
  await installSegmentWriteLog(cluster.database.url);
  const [a, b] = cluster.servers as [HaServer, HaServer];
  const clip = path.join(cluster.dir, 'clip.wav');
  ffmpeg(['-ss', '0', '-t', '30', '-i', source, '-ac', '1', '-ar', '16000', clip]);
  for (let i = 0; i < workerCount; i++) await cluster.startWorker();
  console.log(`cluster up: 2 servers, ${workerCount} workers, fake latency ${latencyMs} ms, lease ${leaseSec} s; warming the fake's memo`);
  await batch([a.url], clip, 1);

  // (a): per request, on a quiet system (each POST's job ends before the next POST), for baselines and the cluster.
  const results: Array<{ name: string; posts: number[]; list: number[]; view: number[]; transcript: number[] }> = [];
  /** 8 POSTs round-robin over `urls`, each after the previous job ended (the first, warming connections, not counted). */
  const quietPosts = async (urls: string[]) => {
    const posts: number[] = [];
    let last = '';
    for (let i = 0; i < 9; i++) {
      const url = urls[i % urls.length]!;
      const t = performance.now();
      const { status, body } = await submitFile(url, clip, { segment_sec: '10', backend: 'fake' });
      posts.push(ms(t));
      if (status !== 202) die(`submit: HTTP ${status} ${JSON.stringify(body)}`);
      last = String(body.id);
      if ((await waitForJob(url, last, TEST_KEYS[0], 120_000, 100)).status !== 'completed') die(`job ${last} did not complete`);
    }
    return { posts: posts.slice(1), last };
  };
  const baselines: Array<[string, Record<string, string>]> = [
    ['embedded (SQLite, one process)', { PARASCRIBE_DATABASE_URL: '', PARASCRIBE_REDIS_URL: '' }],
    ['PostgreSQL, no Redis (in-process segments, local rate limit)', { PARASCRIBE_REDIS_URL: '' }],
  ];
  for (const [name, env] of baselines) {
    const server = await startServer({ env: { ...cluster.env, ...env } });
    try {
      const { posts, last } = await quietPosts([server.url]);
      results.push({ name, posts, ...(await gets([server.url], last)) });
    } finally {
      await server.stop();
    }
  }
  // (a) and (b) on the cluster, with 1 server, then 2.
  const turnaround: Array<{ name: string; wallSec: number; turnarounds: number[] }> = [];
  for (const topology of [[a], [a, b]]) {
    const name = `cluster (Redis + PostgreSQL), ${topology.length} server${topology.length > 1 ? 's' : ''}`;
    cluster.lb.backends.splice(0, cluster.lb.backends.length, ...topology.map((s) => s.url));
    const urls = topology.map((s) => s.url);
    const { posts, last } = await quietPosts(urls);
    const run = await batch(urls, clip, jobCount);
    const audit = await auditSegments(cluster.database.url, run.ids);
    if (audit.problems.length > 0) die(`segments: ${audit.problems.join('; ')}`);
    turnaround.push({ name, wallSec: run.wallSec, turnarounds: run.turnarounds });
    results.push({ name, posts, ...(await gets(urls, last)) });
  }
  cluster.lb.backends.splice(0, cluster.lb.backends.length, a.url, b.url);

  // (c) takeovers: a longer job (9 segments), killed at a seeded moment while it runs.
  const long = path.join(cluster.dir, 'long.wav');
  ffmpeg(['-ss', '30', '-t', '90', '-i', source, '-ac', '1', '-ar', '16000', long]);
  const random = seededRandom(17_0505);
  const takeovers: Array<{ afterMs: number; leaseMs: number; doneMs: number; epoch: number }> = [];
  for (let k = 0; takeovers.length < kills && k < kills * 2; k++) {
    const victim = await cluster.addServer();
    const { status, body } = await submitFile(victim.url, long, { segment_sec: '10', backend: 'fake' });
    if (status !== 202) die(`submit to the victim: HTTP ${status}`);
    const id = String(body.id);
    const afterMs = Math.round(300 + random() * 2_000);
    await sleep(afterMs);
    const before = await cluster.lease(id);
    if (before?.status === 'completed') {
      console.log(`kill ${k + 1}: the job ended before the kill (${afterMs} ms); not counted`);
      await cluster.kill(victim);
      continue;
    }
    const killedAt = await cluster.kill(victim);
    let leaseMs = NaN;
    for (;;) {
      const lease = await cluster.lease(id);
      if (Number.isNaN(leaseMs) && lease?.holder && lease.holder !== victim.instance) leaseMs = Date.now() - killedAt;
      if (lease?.status === 'completed') break;
      if (Date.now() - killedAt > 120_000) {
        const rows = await queryDatabase(cluster.database.url, 'SELECT idx, status, attempts, error_code, error FROM transcription_segments WHERE job_id = $1 ORDER BY idx', [id]);
        console.log(`segments: ${JSON.stringify(rows)}\nlease: ${JSON.stringify(lease)}`);
        for (const server of cluster.servers) console.log(`stderr of ${server.instance}:\n${server.stderr().split('\n').filter((l) => l.includes(id)).join('\n')}`);
        for (const worker of cluster.workers) console.log(`stderr of worker ${worker.name}:\n${worker.stderr().slice(-2_000)}`);
        die(`job ${id} not done 120 s after the kill`);
      }
      await sleep(25);
    }
    const doneMs = Date.now() - killedAt;
    const audit = await auditSegments(cluster.database.url, [id]);
    if (audit.problems.length > 0) die(`kill ${k + 1}: ${audit.problems.join('; ')}`);
    takeovers.push({ afterMs, leaseMs, doneMs, epoch: (await cluster.lease(id))!.epoch });
    console.log(`kill ${k + 1}: ${afterMs} ms after submit; lease taken ${fmt(leaseMs / 1000)} s later, job done ${fmt(doneMs / 1000)} s later`);
  }

  const requestTable = markdownTable(
    ['request (ms, p50 / p95)', ...results.map((r) => r.name)],
    [
      [`POST /v1/jobs (30 s WAV, 0.96 MB)`, ...results.map((r) => stat(r.posts))],
      [`GET /v1/jobs?limit=20 (store)`, ...results.map((r) => stat(r.list))],
      [`GET /v1/jobs/:id (view cache)`, ...results.map((r) => stat(r.view))],
      [`GET /v1/jobs/:id/transcript`, ...results.map((r) => stat(r.transcript))],
    ],
  );
  const turnaroundTable = markdownTable(
    ['servers', 'jobs', 'batch wall (s)', 'turnaround median (s)', 'turnaround p90 (s)'],
    turnaround.map((r) => [r.name, jobCount, fmt(r.wallSec, 1), fmt(median(r.turnarounds), 1), fmt(percentile(r.turnarounds, 90), 1)]),
  );
  const lease = takeovers.map((t) => t.leaseMs / 1000);
  const done = takeovers.map((t) => t.doneMs / 1000);
  const takeoverTable = markdownTable(
    ['kill -9 → (s)', 'n', 'p50', 'p90', 'max', 'min'],
    [
      ['another server holds the lease', lease.length, fmt(percentile(lease, 50)), fmt(percentile(lease, 90)), fmt(Math.max(...lease)), fmt(Math.min(...lease))],
      ['the job completed', done.length, fmt(percentile(done, 50)), fmt(percentile(done, 90)), fmt(Math.max(...done)), fmt(Math.min(...done))],
    ],
  );
  const report = [
    `2 servers behind a round-robin balancer in the bench process, ${workerCount} workers (--concurrency 1), fake latency ${latencyMs} ms per segment (memo), 30 s clip in 3 segments of 10 s, lease ${leaseSec} s, sweep 0.5 s, one PostgreSQL + one Redis, all on this machine.`,
    '',
    `### (a) per request, ${requests} sequential requests each (transcript: ${Math.min(requests, 100)}); POST: 8 submissions, each after the previous job ended`,
    '',
    requestTable,
    '',
    `### (b) job turnaround, ${jobCount} jobs submitted one after another (alternating servers with 2)`,
    '',
    turnaroundTable,
    '',
    `### (c) takeover after kill -9 of the server running the job (${takeovers.length} kills at seeded moments 0.3–2.3 s after submitting a 90 s clip, 9 segments)`,
    '',
    takeoverTable,
  ].join('\n');
  console.log(`\n${report}`);
  if (values.record) recordResults('issue 17: API tier with 1 vs 2 servers, and takeover after kill -9 (bench/ha.ts)', report);
} finally {
  await cluster.stop();
}
