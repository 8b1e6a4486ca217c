/**
 * Distributed mode under failures (issue 5, acceptance 2 and 3), on real parts: one `parascribe serve`,
 * three `parascribe worker` processes, a private Redis, a throw-away PostgreSQL database reached through
 * a TCP proxy in this process (so it can be made unreachable without touching the machine's PostgreSQL),
 * and the FAKE OpenAI-compatible backend answering after 1.5 s, so segments are long enough to die in.
 *
 * Every run is checked the same way: each job completes with the transcript the embedded mode gives;
 * its segment rows are all there, completed, and each result was written once (a trigger logs every
 * write, see helpers/segment-audit.ts); no process crashed and no stderr holds a stack trace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { segmentQueueName } from '../src/queue/bullmq/connection.js';
import { FIXTURES, ffmpeg } from './helpers/cli.js';
import { clusterSkipReason, startCluster, type Cluster } from './helpers/cluster.js';
import { queryDatabase } from './helpers/postgres.js';
import { auditSegments, heldTask, installSegmentWriteLog } from './helpers/segment-audit.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, type RunningServer } from './helpers/server.js';
import type { RunningWorker } from './helpers/workers.js';
import { seededRandom } from './fakes/openai-server.js';

const skip = await clusterSkipReason();
const LOCK_SEC = 5;
const STALLED_CHECK_SEC = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STACK_LINE = /^\s+at .+[(:]\d+/m;

interface Submitted {
  id: string;
  key: string;
  clip: number;
}

describe('distributed mode under failures: worker kills, a Redis restart, a PostgreSQL outage', { skip }, () => {
  let cluster: Cluster;
  let server: RunningServer;
  let queue: Queue;
  let workers: RunningWorker[];
  /** Workers this file SIGKILLed (their stderr is still checked). */
  const killedWorkers: RunningWorker[] = [];
  const clips: string[] = [];
  const reference: string[] = [];

  const transcript = async (url: string, { id, key }: Submitted) => (await fetch(`${url}/v1/jobs/${id}/transcript?format=txt`, { headers: authHeaders(key) })).text();

  const submit = (count: number): Promise<Submitted[]> =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const key = TEST_KEYS[i % TEST_KEYS.length]!;
        const { status, body } = await submitFile(server.url, clips[i % clips.length]!, { segment_sec: '10', backend: 'fake' }, key);
        assert.equal(status, 202, JSON.stringify(body));
        return { id: String(body.id), key, clip: i % clips.length };
      }),
    );

  /** Waits for every job's final status (requests failing meanwhile are tried again); a job that ends otherwise or never is shown in full. */
  async function settle(jobs: readonly Submitted[], startedMs: number, timeoutMs = 180_000): Promise<number[]> {
    const walls: number[] = [];
    for (const job of jobs) {
      for (;;) {
        const view = await fetch(`${server.url}/v1/jobs/${job.id}`, { headers: authHeaders(job.key) })
          .then((r) => r.json() as Promise<Record<string, any>>)
          .catch(() => ({}) as Record<string, any>);
        const final = ['completed', 'failed', 'cancelled', 'interrupted'].includes(view.status);
        if (view.status === 'completed') {
          walls.push(Date.now() - startedMs);
          break;
        }
        if (final || Date.now() - startedMs > timeoutMs) {
          printStderr(`job ${job.id} ${view.status}`);
          const rows = await queryDatabase(cluster.database.url, 'SELECT idx, status, attempts, error_code, error, result_json IS NOT NULL AS stored FROM transcription_segments WHERE job_id = $1 ORDER BY idx', [job.id]);
          process.stdout.write(`# job ${job.id}: ${JSON.stringify(view)}\n# segments: ${JSON.stringify(rows)}\n`);
          assert.fail(`job ${job.id} is ${view.status} after ${Date.now() - startedMs} ms: ${JSON.stringify(view.error)}`);
        }
        await sleep(250);
      }
    }
    return walls;
  }

  /** Each process's stderr since `mark()`, by name. */
  const marks = new Map<RunningWorker | RunningServer, number>();
  const mark = () => [server, ...workers].forEach((p) => marks.set(p, p.stderr().length));
  const stderrSinceMark = () => [server, ...workers, ...killedWorkers].map((p) => [p === server ? 'serve' : (p as RunningWorker).name, p.stderr().slice(marks.get(p) ?? 0)] as const);

  /** Prints what every process wrote to stderr since `mark()`, for the record. */
  const printStderr = (title: string) => {
    for (const [who, text] of stderrSinceMark()) if (text.trim()) process.stdout.write(`# ${title}, stderr of ${who}:\n${text.trimEnd().replace(/^/gm, '#   ')}\n`);
  };

  /** The checks every run ends with (see the file's head). */
  async function verify(jobs: readonly Submitted[]): Promise<number> {
    for (const job of jobs) assert.equal(await transcript(server.url, job), reference[job.clip], `job ${job.id} (clip ${job.clip}) equals the embedded transcript`);
    const audit = await auditSegments(cluster.database.url, jobs.map((j) => j.id));
    assert.deepEqual(audit.problems, []);
    // One completed queue task per segment: a re-delivered task is the same BullMQ job, a stale run's finish is refused.
    const done = (await queue.getJobs(['completed'], 0, 10_000)).filter((t) => jobs.some((j) => t.id!.startsWith(`${j.id}.`)));
    const perSegment = new Map<string, number>();
    for (const t of done) perSegment.set(t.data.task.jobId + '#' + t.data.task.index, (perSegment.get(t.data.task.jobId + '#' + t.data.task.index) ?? 0) + 1);
    assert.equal(perSegment.size, audit.segments, 'every segment has a completed queue task');
    assert.ok([...perSegment.values()].every((n) => n === 1), 'no segment completed twice on the queue');
    assert.equal(server.child.exitCode, null, 'the server is still running');
    for (const w of workers) assert.equal(w.child.exitCode ?? w.child.signalCode, null, `worker ${w.name} is still running`);
    for (const [who, text] of stderrSinceMark()) assert.doesNotMatch(text, STACK_LINE, `no stack trace in the stderr of ${who}`);
    return audit.segments;
  }

  /** Resolves once at least `count` segments of these jobs are stored (so a fault lands mid-run). */
  async function segmentsDone(jobs: readonly Submitted[], count: number): Promise<void> {
    for (;;) {
      const [row] = await queryDatabase<{ n: number }>(cluster.database.url, "SELECT count(*)::int AS n FROM transcription_segments WHERE job_id = ANY($1) AND status = 'completed'", [jobs.map((j) => j.id)]);
      if (row!.n >= count) return;
      await sleep(100);
    }
  }

  before(async () => {
    cluster = await startCluster({ name: 'distributed-failures', faults: { latencyMs: 1_500 }, config: { distributed: { lockSec: LOCK_SEC, stalledCheckSec: STALLED_CHECK_SEC } }, databaseProxy: true });
    ({ server, workers } = cluster);
    await installSegmentWriteLog(cluster.database.url); // the server has migrated the database
    // Three minutes of real speech in three clips, cut at pauses into about six 10 s segments each.
    for (const [i, startSec] of [0, 60, 120].entries()) {
      const clip = join(cluster.dir, `clip-${i}.wav`);
      ffmpeg(['-ss', String(startSec), '-t', '60', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', clip]);
      clips.push(clip);
    }
    // The reference: the embedded mode (SQLite, segments served in the serving process) on the same backend.
    const embedded = await startServer({ env: { PARASCRIBE_CONFIG: cluster.env.PARASCRIBE_CONFIG!, PARASCRIBE_CACHE: '0' } });
    try {
      for (const [i, clip] of clips.entries()) {
        const { body } = await submitFile(embedded.url, clip, { segment_sec: '10', backend: 'fake' });
        const job = { id: String(body.id), key: TEST_KEYS[0]!, clip: i };
        const started = Date.now();
        for (;;) {
          const view = (await (await fetch(`${embedded.url}/v1/jobs/${job.id}`, { headers: authHeaders(job.key) })).json()) as Record<string, any>;
          if (view.status !== 'queued' && view.status !== 'running') break;
          assert.ok(Date.now() - started < 120_000, 'the embedded reference job finishes');
          await sleep(250);
        }
        reference.push(await transcript(embedded.url, job));
      }
    } finally {
      await embedded.stop();
    }
    assert.ok(reference.every((text) => text.trim().split(/\s+/).length > 60), 'the reference transcripts hold real speech');
    for (let i = 0; i < 3; i++) await cluster.startWorker(['--backends', 'fake']);
    queue = new Queue(segmentQueueName('fake'), { connection: { url: cluster.redis.url }, prefix: 'parascribe' });
    queue.on('error', () => {}); // reconnects after the Redis restart
  });

  after(async () => {
    await queue?.close();
    await cluster?.stop();
  });

  test('kill -9 of workers mid-segment (3 times, seeded moments) and one frozen past its lock: every job completes, no segment lost or stored twice', async () => {
    const random = seededRandom(20_240_505);
    mark();
    const started = Date.now();
    const jobs = await submit(6);
    const jobsDone = settle(jobs, started);
    jobsDone.catch(() => {}); // awaited below; the faults run meanwhile

    /** A live worker mid-segment (its task started under a second ago, so it has over 0.5 s to go). */
    const midSegment = async () => {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(50)) {
        const busy = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).flatMap((w) => {
          const held = heldTask(w.child.pid!);
          return held && held.ageMs < 1_000 ? [{ worker: w, held }] : [];
        });
        if (busy.length > 0) return busy[Math.floor(random() * busy.length)]!;
      }
      throw new Error('no worker was mid-segment for 20 s: the run ended before the faults');
    };
    /** Milliseconds from `sinceMs` until another worker started the task (BullMQ's processedOn). */
    const redelivered = async (taskId: string, sinceMs: number) => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(50)) {
        const task = await queue.getJob(taskId);
        if (task?.processedOn && task.processedOn > sinceMs) return task.processedOn - sinceMs;
      }
      throw new Error(`task ${taskId} was not re-delivered within 60 s`);
    };

    const delays: Array<Promise<number>> = [];
    const lost: Array<{ name: string; taskId: string }> = [];
    for (let k = 0; k < 3; k++) {
      await sleep(1_000 + random() * 2_500);
      const { worker, held } = await midSegment();
      const killedAt = Date.now();
      await worker.kill9();
      rmSync(held.file, { force: true });
      killedWorkers.push(...workers.splice(workers.indexOf(worker), 1));
      lost.push({ name: worker.name, taskId: held.taskId });
      delays.push(redelivered(held.taskId, killedAt));
      await cluster.startWorker(['--backends', 'fake']);
    }

    // A worker frozen (SIGSTOP) mid-segment past its lock: another worker stores the segment; thawed, the
    // stale run finishes too and tries to store it again. The write log must still say once.
    const { worker: frozen, held } = await midSegment();
    const [jobId, index] = held.taskId.split('.');
    const frozenAt = Date.now();
    frozen.child.kill('SIGSTOP');
    lost.push({ name: frozen.name, taskId: held.taskId });
    const frozenDelay = redelivered(held.taskId, frozenAt);
    await frozenDelay;
    await segmentsDoneFor(jobId!, Number(index));
    frozen.child.kill('SIGCONT');
    for (const deadline = Date.now() + 30_000; heldTask(frozen.child.pid!)?.taskId === held.taskId; await sleep(50)) {
      assert.ok(Date.now() < deadline, 'the thawed worker finished its stale run');
    }

    const walls = await jobsDone;
    const ms = (await Promise.all(delays)).sort((a, b) => a - b);
    const bound = (LOCK_SEC + 2 * STALLED_CHECK_SEC + 3) * 1000;
    process.stdout.write(
      `# re-delivery after kill -9 (lockSec ${LOCK_SEC}, stalledCheckSec ${STALLED_CHECK_SEC}): ${ms.map((d) => `${(d / 1000).toFixed(2)} s`).join(', ')}; ` +
        `after a freeze: ${((await frozenDelay) / 1000).toFixed(2)} s; bound ${bound / 1000} s\n`,
    );
    assert.ok(ms.every((d) => d < bound), `re-delivery within ${bound} ms: ${ms.join(', ')}`);
    const segments = await verify(jobs);
    process.stdout.write(`# kills: ${jobs.length} jobs, ${segments} segments, walls ${walls.map((w) => (w / 1000).toFixed(1)).join(' ')} s\n`);
    // Each lost task was finished by another worker, on a later delivery (the thawed one's finish was refused).
    for (const { name, taskId } of lost) {
      const result = (await queue.getJob(taskId))!.returnvalue as { worker: string; delivery: number };
      assert.notEqual(result.worker, name);
      assert.ok(result.delivery >= 2, `task ${taskId} finished on delivery ${result.delivery}`);
    }

    async function segmentsDoneFor(job: string, idx: number): Promise<void> {
      for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
        const [row] = await queryDatabase<{ status: string }>(cluster.database.url, 'SELECT status FROM transcription_segments WHERE job_id = $1 AND idx = $2', [job, idx]);
        if (row?.status === 'completed') return;
        assert.ok(Date.now() < deadline, `segment ${job}#${idx} stored by another worker while the first was frozen`);
      }
    }
  });

  test('Redis restarted mid-run (SIGKILL, 2 s down, same AOF): workers and server reconnect, jobs complete', async () => {
    mark();
    const started = Date.now();
    const jobs = await submit(4);
    await segmentsDone(jobs, 4);
    const downAt = Date.now();
    await cluster.redis.restart({ downMs: 2_000 });
    const downMs = Date.now() - downAt;
    const walls = await settle(jobs, started);
    printStderr('redis restart');
    const segments = await verify(jobs);
    process.stdout.write(`# redis restart: down ${(downMs / 1000).toFixed(1)} s; ${jobs.length} jobs, ${segments} segments, walls ${walls.map((w) => (w / 1000).toFixed(1)).join(' ')} s\n`);
    const logged = stderrSinceMark()[0]![1];
    assert.match(logged, /Redis at \S+ unreachable \(.+\)/, 'the server says why, in one line');
    assert.match(logged, /Redis at \S+ reachable again after/);
  });

  test('PostgreSQL unreachable for 4 s mid-run (cut with a query in flight, new connections refused): one-line notices, no crash, no corruption, jobs complete', async () => {
    mark();
    const started = Date.now();
    const jobs = await submit(4);
    await segmentsDone(jobs, 4);
    await cluster.proxy!.cut({ midRequest: true });
    const cutAt = Date.now();
    await sleep(4_000);
    await cluster.proxy!.restore();
    const outageMs = Date.now() - cutAt;
    const walls = await settle(jobs, started);
    printStderr('postgres outage');
    const segments = await verify(jobs);
    process.stdout.write(`# postgres outage: ${(outageMs / 1000).toFixed(1)} s; ${jobs.length} jobs, ${segments} segments, walls ${walls.map((w) => (w / 1000).toFixed(1)).join(' ')} s\n`);
    const logged = stderrSinceMark()[0]![1];
    assert.match(logged, /PostgreSQL at \S+ unreachable \(.+\); queries wait/, 'the server says why, in one line');
    assert.match(logged, /PostgreSQL at \S+ reachable again after/);
  });
});
