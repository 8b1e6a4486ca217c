/**
 * The real compressed run (issue 21, part 5): a short trace replayed against a real `parascribe serve`
 * on a private Redis and a throw-away PostgreSQL database, with a small harness standing in for KEDA:
 * every `--poll-sec` it reads `parascribe_desired_workers` from /metrics and starts or stops
 * `parascribe worker` processes (one slot each) to match. Each worker has its own FAKE
 * OpenAI-compatible endpoint (test/fakes/openai-server.ts) whose first request pays a cold start drawn
 * from a lognormal (the GPU container's model load), then a fixed latency per request. Then the
 * simulator (bench/fleet/sim.ts) runs the same trace with the same rules, and the two are compared:
 * p95 turnaround and worker-seconds.
 *
 *   node --import tsx bench/fleet-real.ts [--minutes 12] [--seed 3] [--record]
 *
 * Needs the built CLI (npx tsc -p tsconfig.build.json), redis-server, PostgreSQL on 127.0.0.1:5432 and
 * ffmpeg. No forecast (the store has no day of history): the signal is reactive + the scale-down window,
 * which the run's /metrics says (parascribe_forecast_available 0).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FIXTURES, ffmpeg, tempDir } from '../test/helpers/cli.js';
import { Queue } from 'bullmq';
import { segmentQueueName } from '../src/queue/bullmq/connection.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { authHeaders, startServer, submitFile, TEST_KEYS } from '../test/helpers/server.js';
import { startWorker, type RunningWorker } from '../test/helpers/workers.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../test/fakes/openai-server.js';
import type { FakeTranscript } from '../test/fakes/fake-transcribe.js';
import { drawColdStart } from '../test/fakes/serverless-sim.js';
import { seededRandom } from '../src/plan/latency/random.js';
import { DAY_SEC } from '../src/autoscale/forecast.js';
import type { Priority } from '../src/core/types.js';
import { fmt, markdownTable, recordResults, REPO_ROOT } from './lib.js';
import { percentile } from './fleet/report.js';
import { simulate } from './fleet/sim.js';
import { formatTrace, type TraceArrival } from './fleet/trace.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '12' },
    seed: { type: 'string', default: '3' },
    'poll-sec': { type: 'string', default: '5' },
    'latency-ms': { type: 'string', default: '4000' },
    'cold-median-sec': { type: 'string', default: '8' },
    'cold-sigma': { type: 'string', default: '0.5' },
    'max-workers': { type: 'string', default: '6' },
    'jobs-per-minute': { type: 'string', default: '5' },
    record: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const seed = Number(values.seed);
const pollSec = Number(values['poll-sec']);
const latencyMs = Number(values['latency-ms']);
const coldStart = { kind: 'lognormal' as const, medianSec: Number(values['cold-median-sec']), sigma: Number(values['cold-sigma']) };
const maxWorkers = Number(values['max-workers']);
const SEGMENT_SEC = 30;
const autoscale = { latencyTargetSec: 20, minWorkers: 0, maxWorkers, scaleDownStabilisationSec: 60, provisioningDelaySec: 10 };

/** A compressed working day: a ramp, a burst at 35 %, a lull, a second burst at 70 %, a tail. */
function compressedTrace(totalSec: number, jobsPerMinute: number, traceSeed: number): TraceArrival[] {
  const random = seededRandom(traceSeed);
  const rate = (t: number) => {
    const x = t / totalSec;
    const day = Math.sin(Math.PI * Math.min(1, x * 1.1)) ** 2;
    const burst = (x > 0.35 && x < 0.4) || (x > 0.7 && x < 0.74) ? 3 : 1;
    return (jobsPerMinute / 60) * Math.max(0.1, day) * burst;
  };
  const bound = (jobsPerMinute / 60) * 3;
  const out: TraceArrival[] = [];
  for (let t = 0; ; ) {
    t += -Math.log(1 - random()) / bound;
    if (t >= totalSec) break;
    if (random() >= rate(t) / bound) continue;
    const u = random();
    const audioSec = u < 0.6 ? 30 : u < 0.9 ? 60 : 180;
    const p = random();
    const priority: Priority = p < 0.1 ? 'critical' : p < 0.7 ? 'normal' : 'batch';
    out.push({ atSec: Number(t.toFixed(1)), audioSec, priority });
  }
  return out;
}

const totalSec = minutes * 60;
const trace = compressedTrace(totalSec, Number(values['jobs-per-minute']), seed);
const dir = tempDir('fleet-real');
const traceFile = path.join(REPO_ROOT, 'bench', 'traces', `compressed-${minutes}min-seed${seed}.csv`);
mkdirSync(path.dirname(traceFile), { recursive: true });
writeFileSync(traceFile, formatTrace(trace, `compressed working day, ${minutes} min, seed ${seed} (bench/fleet-real.ts)`));
console.log(`trace: ${trace.length} jobs over ${minutes} min → ${path.relative(process.cwd(), traceFile)}`);

// Audio: 30, 60 and 180 s of real speech from the shared fixture.
const audio = new Map<number, string>();
for (const sec of [30, 60, 180]) {
  const file = path.join(dir, `clip-${sec}.wav`);
  ffmpeg(['-ss', '0', '-t', String(sec), '-i', path.join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', file]);
  audio.set(sec, file);
}

const redis = await startPrivateRedis();
const database = await createTestDatabase();
const secret = 'fleet-real-worker-secret-0123456789';
// The server never calls its backend in distributed mode; an endpoint is there anyway for its checks.
const serverFake = await startFakeOpenAIServer({ seed: 999 });
const serverConfig = path.join(dir, 'server.json');
writeFileSync(
  serverConfig,
  JSON.stringify({
    backend: 'fake',
    backends: { fake: { type: 'openai', baseURL: serverFake.url, apiKey: 'x', timeoutSec: 120 } },
    serve: { maxConcurrentJobs: 100, rateLimit: { requestsPerSec: 1000, burst: 1000 } },
    distributed: { autoscale },
  }),
);
const baseEnv = { PARASCRIBE_CACHE: '0', PARASCRIBE_DATABASE_URL: database.url, PARASCRIBE_REDIS_URL: redis.url, PARASCRIBE_WORKER_SECRET: secret };
const server = await startServer({ env: { ...baseEnv, PARASCRIBE_CONFIG: serverConfig } });

interface HarnessWorker {
  fake: FakeOpenAIServer;
  worker: Promise<RunningWorker>;
  startedAtMs: number;
  readyAtMs?: number;
  stoppedAtMs?: number;
  coldSec: number;
}
const random = seededRandom(seed * 7919);
const live: HarnessWorker[] = [];
const all: HarnessWorker[] = [];
let scaleUps = 0;
let scaleDowns = 0;
const fleetLog: Array<[number, number, number]> = [];

async function fixedText(): Promise<FakeTranscript> {
  return { durationSec: SEGMENT_SEC, utterances: [{ startSec: 0, endSec: 2, text: 'fleet run segment', words: [] }] };
}

/** The KEDA stand-in: one worker process per wanted worker, each with its own endpoint (cold start on first use). */
async function startOne(): Promise<void> {
  const coldSec = drawColdStart(coldStart, random);
  // A fixed text: the fake's default (pocketsphinx on each new upload, in this process) would add CPU
  // time the simulator does not model, and on this 2-core machine that was most of a segment's time.
  const fake = await startFakeOpenAIServer({ seed: all.length + 1, faults: { latencyMs, coldStartMs: coldSec * 1000 }, transcriber: fixedText });
  const config = path.join(dir, `worker-${all.length}.json`);
  writeFileSync(config, JSON.stringify({ backends: { fake: { type: 'openai', baseURL: fake.url, apiKey: 'x', timeoutSec: 120 } } }));
  const w: HarnessWorker = { fake, coldSec, startedAtMs: Date.now(), worker: startWorker({ ...baseEnv, PARASCRIBE_CONFIG: config }, ['--backends', 'fake', '--concurrency', '1'], 60_000) };
  void w.worker.then(() => (w.readyAtMs = Date.now()));
  live.push(w);
  all.push(w);
}
async function stopOne(w: HarnessWorker): Promise<void> {
  const running = await w.worker;
  await running.stop();
  w.stoppedAtMs = Date.now();
  await w.fake.close();
}

async function desired(): Promise<number | undefined> {
  try {
    const body = await (await fetch(`${server.url}/metrics`, { headers: authHeaders(), signal: AbortSignal.timeout(5_000) })).text();
    const m = /^parascribe_desired_workers (\S+)$/m.exec(body);
    const value = m ? Number(m[1]) : NaN;
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const t0 = Date.now();
let polling = true;
const stopping: Array<Promise<void>> = [];
const poller = (async () => {
  while (polling) {
    const want = await desired();
    if (want !== undefined) {
      if (want > live.length) {
        scaleUps += 1;
        while (live.length < want) await startOne();
      } else if (want < live.length) {
        scaleDowns += 1;
        // SIGTERM: a worker finishes (or hands back) its segment; the newest go first.
        for (const w of live.splice(want)) stopping.push(stopOne(w));
      }
    }
    fleetLog.push([(Date.now() - t0) / 1000, want ?? NaN, live.length]);
    await new Promise((r) => setTimeout(r, pollSec * 1000));
  }
})();

// Replay: each arrival at its time; turnaround = created_at → completed_at of the job row.
const submitted: Array<{ id: string; arrival: TraceArrival }> = [];
for (const arrival of trace) {
  const waitMs = t0 + arrival.atSec * 1000 - Date.now();
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  const { status, body } = await submitFile(server.url, audio.get(arrival.audioSec)!, { segment_sec: String(SEGMENT_SEC), priority: arrival.priority, backend: 'fake' }, TEST_KEYS[0]);
  if (status !== 202) throw new Error(`submit: ${status} ${JSON.stringify(body)}`);
  submitted.push({ id: String(body.id), arrival });
}
const turnarounds: Array<{ id: string; arrival: TraceArrival; sec: number; segments: number; completedAtMs: number; createdAtMs: number }> = [];
const deadline = Date.now() + 20 * 60_000;
for (const { id, arrival } of submitted) {
  for (;;) {
    const job = (await (await fetch(`${server.url}/v1/jobs/${id}`, { headers: authHeaders() })).json()) as { status: string; created_at: string; completed_at: string | null; progress: { segments_total: number } };
    if (job.status === 'completed' || job.status === 'failed') {
      if (job.status !== 'completed') throw new Error(`job ${id} ${job.status}`);
      turnarounds.push({ id, arrival, sec: (Date.parse(job.completed_at!) - Date.parse(job.created_at)) / 1000, segments: job.progress.segments_total, completedAtMs: Date.parse(job.completed_at!), createdAtMs: Date.parse(job.created_at) });
      break;
    }
    if (Date.now() > deadline) throw new Error(`job ${id} not done`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
// Let the autoscaler bring the fleet back down (window + a poll), as the simulator does.
await new Promise((r) => setTimeout(r, (autoscale.scaleDownStabilisationSec + 3 * pollSec) * 1000));
polling = false;
await poller;
for (const w of live.splice(0)) stopping.push(stopOne(w));
await Promise.allSettled(stopping);
// Worker-seconds up to the last job's completion, for both runs (the simulator stops there; the real
// fleet's scale-down tail after it depends only on the window).
const lastMs = Math.max(...turnarounds.map((t) => t.completedAtMs));
const workerSec = all.reduce((s, w) => s + Math.max(0, Math.min(w.stoppedAtMs ?? lastMs, lastMs) - w.startedAtMs) / 1000, 0);
const realP = (q: number) => percentile(turnarounds.map((t) => t.sec).sort((a, b) => a - b), q);
// Per-segment service time, measured: BullMQ's processedOn → finishedOn of each task (the worker's
// download, the request with its latency, the store write); the median leaves out the cold starts.
const queue = new Queue(segmentQueueName('fake'), { connection: { url: redis.url }, prefix: 'parascribe' });
const done = await queue.getJobs(['completed'], 0, 10_000);
await queue.close();
const services = done.flatMap((j) => (j.processedOn && j.finishedOn ? [(j.finishedOn - j.processedOn) / 1000] : [])).sort((a, b) => a - b);
const segmentSec = services.length > 0 ? percentile(services, 0.5) : latencyMs / 1000;
// Client time per job, measured: before its first task is enqueued (upload done → decode, pauses,
// plan) and after its last task finished (stitch, write, status), medians over the jobs.
const tasksOf = new Map<string, Array<{ enqueuedMs: number; finishedMs: number }>>();
for (const j of done) {
  const jobId = (j.data as { task?: { jobId?: string } }).task?.jobId;
  if (!jobId || !j.finishedOn) continue;
  tasksOf.set(jobId, [...(tasksOf.get(jobId) ?? []), { enqueuedMs: j.timestamp, finishedMs: j.finishedOn }]);
}
const befores: number[] = [];
const afters: number[] = [];
for (const t of turnarounds) {
  const tasks = tasksOf.get(t.id);
  if (!tasks) continue;
  befores.push((Math.min(...tasks.map((x) => x.enqueuedMs)) - t.createdAtMs) / 1000);
  afters.push((t.completedAtMs - Math.max(...tasks.map((x) => x.finishedMs))) / 1000);
}
const clientBeforeSec = befores.length > 0 ? percentile(befores.sort((a, b) => a - b), 0.5) : 1;
const clientAfterSec = afters.length > 0 ? percentile(afters.sort((a, b) => a - b), 0.5) : 0.5;
// Worker start as the harness saw it: spawn → ready (process start, Redis, store); the endpoint's cold
// start is paid in the first request, as here.
const readySamples = all.filter((w) => w.readyAtMs !== undefined).map((w) => (w.readyAtMs! - w.startedAtMs) / 1000);
const sim = await simulate(
  { name: 'sim', forecast: true, ...autoscale },
  {
    trace,
    fromSec: 0,
    toSec: totalSec,
    worker: { coldStart: { kind: 'empirical', samplesSec: readySamples }, firstSegmentColdStart: coldStart, perSegmentSec: segmentSec, perAudioSec: 0 },
    seed,
    epochSec: 20_003 * DAY_SEC,
    pollSec,
    segmentSec: SEGMENT_SEC,
    clientBeforeSec,
    clientAfterSec,
    slo: () => Infinity,
  },
);
const simT = sim.jobs.map((j) => j.turnaroundSec).sort((a, b) => a - b);
const rows = [
  ['real (serve + Redis + PostgreSQL + worker processes)', String(turnarounds.length), fmt(realP(0.5), 1), fmt(realP(0.95), 1), fmt(realP(0.99), 1), fmt(workerSec, 0), String(all.length), `${scaleUps} / ${scaleDowns}`],
  ['simulator, same trace and rules', String(sim.jobs.length), fmt(percentile(simT, 0.5), 1), fmt(percentile(simT, 0.95), 1), fmt(percentile(simT, 0.99), 1), fmt(sim.gpuSec, 0), String(sim.workersStarted), `${sim.scaleUps} / ${sim.scaleDowns}`],
];
const lines = [
  markdownTable(['run', 'jobs', 'p50 s', 'p95 s', 'p99 s', 'worker-seconds', 'workers started', 'scale ups / downs'], rows),
  '',
  `- trace: ${path.relative(REPO_ROOT, traceFile)} (${trace.length} jobs of 30/60/180 s over ${minutes} min, bursts at 35–40 % and 70–74 % at 3×; critical 10 %, normal 60 %, batch 30 %); segment_sec ${SEGMENT_SEC}`,
  `- harness (standing in for KEDA): reads parascribe_desired_workers every ${pollSec} s, starts/stops \`parascribe worker --concurrency 1\`; each worker's own fake endpoint: cold start on the first request lognormal median ${coldStart.medianSec} s σ ${coldStart.sigma}, then ${latencyMs} ms per request, answering a fixed text`,
  `- signal: latencyTargetSec ${autoscale.latencyTargetSec}, window ${autoscale.scaleDownStabilisationSec} s, maxWorkers ${maxWorkers}; no forecast (no day of history: parascribe_forecast_available 0)`,
  `- simulator: service ${fmt(segmentSec, 2)} s per segment (the run's median BullMQ processing time of a task), worker start drawn from the run's ${readySamples.length} measured spawn → ready times (median ${fmt(percentile([...readySamples].sort((a, b) => a - b), 0.5), 1)} s), the endpoint's cold start (same lognormal) inside each worker's first segment; client time per job as measured (medians: ${fmt(clientBeforeSec, 1)} s before the first task is enqueued, ${fmt(clientAfterSec, 1)} s after the last one finished); worker-seconds of both up to the last job's completion`,
  `- difference (sim ÷ real): p95 ${fmt(percentile(simT, 0.95) / realP(0.95), 2)}, worker-seconds ${fmt(sim.gpuSec / workerSec, 2)}; load average during the run: see the machine line`,
];
const body = lines.join('\n');
console.log(body);
writeFileSync(path.join(dir, 'fleet-log.json'), JSON.stringify({ fleetLog, turnarounds, cold: all.map((w) => w.coldSec), readySamples, segmentSec, clientBeforeSec, clientAfterSec }, null, 2));
console.log(`log: ${path.join(dir, 'fleet-log.json')}`);
if (values.record) recordResults('fleet autoscaling: the real compressed run against the simulator (bench/fleet-real.ts)', body);
await server.stop();
await serverFake.close();
await redis.stop();
await database.drop();
