/**
 * Issue 5, acceptance 5: what distributed mode (BullMQ on Redis + PostgreSQL + `parascribe worker`)
 * costs per segment, and how throughput scales with workers. Everything runs on this machine: a
 * private Redis, a throw-away PostgreSQL database, one `parascribe serve`, workers with
 * --concurrency 1, and the FAKE OpenAI-compatible server (test/fakes/openai-server.ts) as backend
 * `fake`, in this process. After one warm-up job the fake answers every segment from its memo (no
 * pocketsphinx), so the backend's own time is its added latency and nothing else.
 *
 * (a) Overhead, fake latency 0, one worker, one job at a time with `distributed.maxSegmentsInFlight: 1`
 *     (so a segment is enqueued the moment the server has heard of the previous one): each segment's
 *     cycle, enqueue → next enqueue, minus the fake's own time, split into parts by the timestamps the
 *     product keeps (BullMQ task and PostgreSQL segment row).
 * (b) Throughput, fake latency --latency-ms, the default in-flight limit, a fixed batch of jobs
 *     submitted at once, with 1, 2, 3 workers: segments/s and audio-s/s, scaling efficiency
 *     throughput(n) / (n × throughput(1)), and the CPU that server, workers and Redis used.
 *
 *   node --import tsx bench/distributed.ts [--segment-sec 10] [--audio-sec N] [--file X] [--jobs-a 5] [--jobs-b 3] [--latency-ms 1000] [--workers 1,2,3] [--upload flac|wav] [--record]
 *
 * Needs the built CLI (npm run build), redis-server, ffmpeg, pocketsphinx (warm-up) and PostgreSQL as
 * the tests find it ($PARASCRIBE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startCluster, percentile, processCpuSec, type Cluster, type SegmentTiming } from './lib-distributed.js';
import { REPO_ROOT, WORK_DIR, die, fmt, machineDescription, markdownTable, median, positiveNumber, recordResults, requireCli, requireFile, requireTools } from './lib.js';

const USAGE = 'usage: node --import tsx bench/distributed.ts [--segment-sec 10] [--audio-sec N] [--file X] [--jobs-a 5] [--jobs-b 3] [--latency-ms 1000] [--workers 1,2,3] [--upload flac|wav] [--record]';
const { values } = parseArgs({
  options: {
    'segment-sec': { type: 'string' },
    'audio-sec': { type: 'string' },
    file: { type: 'string' },
    'jobs-a': { type: 'string' },
    'jobs-b': { type: 'string' },
    'latency-ms': { type: 'string' },
    workers: { type: 'string', default: '1,2,3' },
    upload: { type: 'string', default: 'flac' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const segmentSec = positiveNumber(values['segment-sec'], '--segment-sec', 10);
const jobsA = Math.round(positiveNumber(values['jobs-a'], '--jobs-a', 5));
const jobsB = Math.round(positiveNumber(values['jobs-b'], '--jobs-b', 3));
const latencyMs = positiveNumber(values['latency-ms'], '--latency-ms', 1000);
const workerCounts = values.workers.split(',').map((w) => Math.round(positiveNumber(w, '--workers', 1)));
if (!['flac', 'wav', 'opus'].includes(values.upload)) die(`--upload must be flac, wav or opus, got '${values.upload}'`);
requireCli();
requireTools('ffmpeg', 'redis-server', 'pocketsphinx_continuous');
const fixtures = process.env.FIXTURES_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
let audio = requireFile(values.file ?? path.join(fixtures, 'gpl-preamble.mp3'), 'audio file');
if (values['audio-sec'] !== undefined) {
  // A shorter input (e.g. for a quick check of the harness): the first N seconds, as 16 kHz mono wav.
  const seconds = positiveNumber(values['audio-sec'], '--audio-sec', 60);
  mkdirSync(WORK_DIR, { recursive: true });
  const cut = path.join(WORK_DIR, `distributed-${seconds}s.wav`);
  const result = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', audio, '-t', String(seconds), '-ac', '1', '-ar', '16000', cut], { encoding: 'utf8' });
  if (result.status !== 0) die(`ffmpeg could not cut ${audio}: ${result.stderr}`);
  audio = cut;
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (value: number) => fmt(value, 1);

/** Part (a): the parts of each segment's cycle; `next` is the segment the server enqueued after it. */
function overheadParts(segments: SegmentTiming[]) {
  const byKey = new Map(segments.map((s) => [`${s.jobId}#${s.index}`, s]));
  const parts: Array<{ name: string; what: string; values: number[] }> = [
    { name: 'enqueue → worker start', what: 'Queue.add, BullMQ delivery through Redis to the blocked worker', values: [] },
    { name: 'worker start → backend attempt', what: 'signed-URL segment download over HTTP into a temp WAV', values: [] },
    { name: 'backend attempt', what: `\`running\` row write, then the openai backend: ${values.upload} encode, HTTP request, response parse (fake server time excluded)`, values: [] },
    { name: 'backend done → result stored', what: 'attempts_json write; completed_at is taken as completeSegment starts', values: [] },
    { name: 'result stored → task done', what: 'completeSegment write, temp file removed, BullMQ moveToFinished', values: [] },
    { name: 'task done → server notified', what: 'QueueEvents `completed`, stored-result read, next segment sliced, URL signed (up to its enqueue)', values: [] },
  ];
  const total: number[] = [];
  const orchestration: number[] = [];
  const fakeMs: number[] = [];
  let sequential = 0;
  for (const s of segments) {
    const split = [s.workerStartMs - s.enqueuedMs, s.attemptStartMs - s.workerStartMs, s.attemptEndMs - s.attemptStartMs - s.computeMs, s.storedMs - s.attemptEndMs, s.finishedOnMs - s.storedMs];
    split.forEach((v, i) => parts[i]!.values.push(v));
    fakeMs.push(s.computeMs);
    const next = byKey.get(`${s.jobId}#${s.index + 1}`);
    if (!next) continue; // a job's last segment: nothing enqueued after it
    if (next.enqueuedMs < s.finishedOnMs) continue; // not one-at-a-time (should not happen with maxSegmentsInFlight 1)
    sequential++;
    parts[5]!.values.push(next.enqueuedMs - s.finishedOnMs);
    const cycle = next.enqueuedMs - s.enqueuedMs - s.computeMs;
    total.push(cycle);
    orchestration.push(cycle - split[2]!);
  }
  return { parts, total, orchestration, fakeMs, sequential };
}

async function partA(cluster: Cluster): Promise<string> {
  await cluster.restartServer({ maxSegmentsInFlight: 1 });
  await cluster.setWorkers(1);
  log('(a) warm-up job: the fake transcribes every segment once with pocketsphinx');
  await cluster.wait(await cluster.submit(audio, segmentSec), 250);
  cluster.fake.resetStats();
  const pgBefore = await cluster.pgTransactions();
  const ids: string[] = [];
  for (let i = 0; i < jobsA; i++) {
    const id = await cluster.submit(audio, segmentSec);
    await cluster.wait(id, 250);
    ids.push(id);
    log(`(a) job ${i + 1}/${jobsA} done`);
  }
  await sleep(1_500); // PostgreSQL backends flush their statistics at most once a second
  const pgTransactions = (await cluster.pgTransactions()) - pgBefore;
  log('(a) reading timestamps from BullMQ and PostgreSQL');
  const all = await cluster.segments(ids);
  const clean = all.filter((s) => s.dispatches === 1 && s.attempts === 1);
  const { parts, total, orchestration, fakeMs, sequential } = overheadParts(clean);
  const jobs = await cluster.jobs(ids);
  const perJob = jobs.map((j) => (j.wallMs - j.computeMs) / j.segments);
  const row = (name: string, what: string, v: number[]) => [name, ms(median(v)), ms(percentile(v, 99)), ms(Math.max(...v)), v.length, what];
  const table = markdownTable(
    ['part', 'median ms', 'p99 ms', 'max ms', 'n', 'what it holds'],
    [
      ...parts.map((p) => row(p.name, p.what, p.values)),
      row('**total: cycle − fake time**', 'enqueue → next enqueue, minus the fake\'s openai-processing-ms', total),
      row('**orchestration only**', 'total minus the backend attempt (so also minus its `running` row write, ~1 PostgreSQL round trip)', orchestration),
      row('(fake server\'s own time)', 'memoised answer, latency 0: not in the totals', fakeMs),
      row('(per job: (wall − fake time) / segments)', 'job started → completed incl. decode, plan, stitch, spread over its segments', perJob),
    ],
  );
  const goal = (v: number[]) => (median(v) < 20 ? 'met' : 'NOT met');
  const stats = cluster.fake.stats();
  return [
    `### (a) per-segment overhead, 1 worker, fake latency 0 ms`,
    '',
    table,
    '',
    `- ${jobsA} jobs one after another, each ${path.basename(audio)} at segment_sec ${segmentSec} (${all.length} segments, ${sequential} with a successor give the cycle rows; ${all.length - clean.length} left out for a re-dispatch or retry); \`distributed.maxSegmentsInFlight: 1\`, so the server enqueues a segment only after it heard of the previous one, and the worker is idle (blocked on Redis) when a task arrives`,
    `- goal < 20 ms median: total ${goal(total)}, orchestration only ${goal(orchestration)}; fake answers after warm-up: ${stats.byOutcome.ok ?? 0} ok of ${stats.requests} requests, upload ${values.upload}`,
    `- PostgreSQL: ${fmt(pgTransactions / all.length, 1)} transactions per segment over these jobs (pg_stat_database; job rows and polls included)`,
    '- times: server enqueue = SegmentTaskData.enqueuedAtMs; worker start = that + the worker\'s queueWaitMs (its return value); backend attempt = the segment\'s attempts_json; result stored = segment completed_at (ms); task done = BullMQ finishedOn; server notified = the next segment\'s enqueuedAtMs (the server enqueues it as soon as dispatch() returned). All processes share this machine\'s clock',
  ].join('\n');
}

async function partB(cluster: Cluster): Promise<string> {
  log('(b) restarting serve with the default in-flight limit');
  await cluster.restartServer({});
  cluster.fake.setFaults({ latencyMs });
  const rows: Array<Array<string | number>> = [];
  const rate1: { window?: number; wall?: number } = {};
  for (const n of workerCounts) {
    log(`(b) starting ${n} worker(s)`);
    await cluster.setWorkers(n);
    const pids = [cluster.server().child.pid, ...cluster.workers().map((w) => w.child.pid)];
    const cpuBefore = pids.map(processCpuSec);
    const redisBefore = await cluster.redisCpuSec();
    const pgBefore = await cluster.pgTransactions();
    const benchBefore = process.cpuUsage();
    const startedMs = Date.now();
    const ids = await Promise.all(Array.from({ length: jobsB }, () => cluster.submit(audio, segmentSec)));
    // Polled once a second (a poll is server work too); the batch's end is the last job row's completed_at.
    await Promise.all(ids.map((id) => cluster.wait(id, 1_000)));
    const wallSec = (Math.max(...(await cluster.jobs(ids)).map((j) => j.completedMs)) - startedMs) / 1000;
    const cpu = pids.map((pid, i) => processCpuSec(pid) - cpuBefore[i]!);
    const redisCpu = (await cluster.redisCpuSec()) - redisBefore;
    const bench = process.cpuUsage(benchBefore);
    const benchCpu = (bench.user + bench.system) / 1e6;
    await sleep(1_500); // PostgreSQL backends flush their statistics at most once a second
    const pgTransactions = (await cluster.pgTransactions()) - pgBefore;
    const segments = await cluster.segments(ids);
    const audioSec = segments.reduce((sum, s) => sum + s.audioSec, 0);
    const windowSec = (Math.max(...segments.map((s) => s.finishedOnMs)) - Math.min(...segments.map((s) => s.processedOnMs))) / 1000;
    // Per worker: time from finishing one task to taking the next (its idle gap while work was queued).
    const gaps: number[] = [];
    const perWorker = new Map<string, SegmentTiming[]>();
    for (const s of segments) perWorker.set(s.worker, [...(perWorker.get(s.worker) ?? []), s]);
    for (const list of perWorker.values()) {
      list.sort((a, b) => a.processedOnMs - b.processedOnMs);
      for (let i = 1; i < list.length; i++) gaps.push(list[i]!.processedOnMs - list[i - 1]!.finishedOnMs);
    }
    const service = segments.map((s) => s.finishedOnMs - s.processedOnMs - s.computeMs);
    const rateWindow = segments.length / windowSec;
    const rateWall = segments.length / wallSec;
    if (n === workerCounts[0]) Object.assign(rate1, { window: rateWindow / n, wall: rateWall / n });
    const busy = cpu.reduce((a, b) => a + b, 0) + redisCpu + benchCpu;
    log(`(b) ${n} worker(s): ${segments.length} segments in ${fmt(windowSec)} s serving window, ${fmt(wallSec)} s batch wall`);
    rows.push([
      n,
      segments.length,
      fmt(rateWindow),
      fmt(rateWindow / (n * rate1.window!), 3),
      fmt(segments.length / (n * Math.ceil(segments.length / n)), 3),
      fmt(rateWall),
      fmt(audioSec / wallSec, 1),
      fmt(rateWall / (n * rate1.wall!), 3),
      ms(median(service)),
      ms(median(gaps)),
      [...perWorker.values()].map((l) => l.length).join('/'),
      `${fmt(cpu[0]!)} / ${fmt(cpu.slice(1).reduce((a, b) => a + b, 0))} / ${fmt(redisCpu)} / ${fmt(benchCpu)}`,
      `${fmt((100 * busy) / (wallSec * os.availableParallelism()), 0)} %`,
      fmt(pgTransactions / segments.length, 1),
    ]);
  }
  const table = markdownTable(
    [
      'workers',
      'segments',
      'seg/s (serving window)',
      'efficiency (window)',
      'bound: ⌈S/n⌉ split',
      'seg/s (batch wall)',
      'audio s/s (batch wall)',
      'efficiency (wall)',
      'per-task overhead ms (median)',
      'worker idle gap ms (median)',
      'segments per worker',
      'CPU s: server / workers / redis / bench+fake',
      'CPU use of all cores',
      'PG transactions / segment',
    ],
    rows,
  );
  return [
    `### (b) throughput, fake latency ${latencyMs} ms, workers at --concurrency 1`,
    '',
    table,
    '',
    `- per worker count: ${jobsB} jobs of ${path.basename(audio)} at segment_sec ${segmentSec}, submitted at once (all their segments on the queue: default \`maxSegmentsInFlight\`); fresh workers per count, one server throughout`,
    '- serving window = first task taken (processedOn) → last task done (finishedOn); batch wall = first submit → the last job row\'s completed_at, so it also holds upload, decode, planning, stitching',
    '- efficiency = throughput(n) / (n × throughput(1)); its bound S / (n × ⌈S/n⌉) is what whole segments allow (one worker serves the last round alone); per-task overhead = finishedOn − processedOn − the fake\'s time; idle gap = a worker\'s finishedOn → its next processedOn',
    '- CPU: /proc utime+stime (children included) of the serve and worker processes, Redis INFO cpu, and this process (the fake server, one status poll per job per second); PostgreSQL is the machine\'s shared server and not counted (its transactions are: pg_stat_database of the bench database over the batch)',
  ].join('\n');
}

mkdirSync(WORK_DIR, { recursive: true });
log(`audio ${path.basename(audio)}, segment_sec ${segmentSec}; starting Redis, PostgreSQL database, fake server`);
const cluster = await startCluster({ uploadFormat: values.upload, name: 'distributed' });
let body: string;
try {
  body = [await partA(cluster), '', await partB(cluster)].join('\n');
} finally {
  await cluster.close();
}
const output = [machineDescription(), '', body].join('\n');
process.stdout.write(`${output}\n`);
if (values.record) recordResults('distributed mode overhead and worker scaling (bench/distributed.ts)', body);
