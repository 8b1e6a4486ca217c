/**
 * Plumbing for bench/distributed.ts: a whole distributed deployment on this machine, built from the
 * tests' helpers (a private Redis, a throw-away PostgreSQL database, the FAKE OpenAI-compatible server
 * as backend `fake`, one `parascribe serve`, any number of `parascribe worker`s), and each segment's
 * timestamps read back afterwards from where the product itself keeps them: the BullMQ task (enqueue
 * time in its data, processedOn/finishedOn, the worker's queueWaitMs in its return value) and the
 * PostgreSQL segment row (attempts_json, completed_at, compute_sec = the fake's openai-processing-ms).
 * Every process runs on this machine, so their Date.now() clocks are the same clock.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { AttemptRecord } from '../src/pipeline/serve-segment.js';
import { segmentQueueName } from '../src/queue/bullmq/connection.js';
import type { SegmentTaskData } from '../src/queue/bullmq/dispatcher.js';
import type { SegmentTaskResult } from '../src/queue/bullmq/worker.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../test/fakes/openai-server.js';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../test/helpers/postgres.js';
import { startPrivateRedis, type PrivateRedis } from '../test/helpers/redis.js';
import { startServer, submitFile, TEST_KEYS, waitForJob, type RunningServer } from '../test/helpers/server.js';
import { startWorker, type RunningWorker } from '../test/helpers/workers.js';
import { WORK_DIR } from './lib.js';

/** One served segment, all times in epoch ms. */
export interface SegmentTiming {
  jobId: string;
  index: number;
  audioSec: number;
  /** The server's Date.now() just before queue.add (SegmentTaskData.enqueuedAtMs). */
  enqueuedMs: number;
  /** BullMQ: the worker moved the task to active. */
  processedOnMs: number;
  /** The worker's processor began (enqueuedMs + the worker's own queueWaitMs). */
  workerStartMs: number;
  /** The backend call that served it (the last attempt). */
  attemptStartMs: number;
  attemptEndMs: number;
  /** Segment row completed_at: the worker's clock as completeSegment starts its write (ms precision). */
  storedMs: number;
  /** BullMQ: the processor returned and the task moved to completed. */
  finishedOnMs: number;
  /** The fake server's own time (openai-processing-ms → compute_sec). */
  computeMs: number;
  worker: string;
  /** Tasks for this segment (1: never re-dispatched) and backend attempts (1: no retry). */
  dispatches: number;
  attempts: number;
}

export interface JobTiming {
  id: string;
  /** Epoch ms the job row says it completed. */
  completedMs: number;
  wallMs: number;
  computeMs: number;
  segments: number;
  audioSec: number;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/** CPU seconds of a process and its reaped children (ffmpeg encodes, decodes) from /proc/<pid>/stat. */
export function processCpuSec(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, so utime(14), stime(15), cutime(16), cstime(17) sit at 11..14.
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

export interface Cluster {
  fake: FakeOpenAIServer;
  server(): RunningServer;
  workers(): RunningWorker[];
  /** (Re)starts `parascribe serve` with these `distributed` settings on top of the bench config. */
  restartServer(distributed: Record<string, unknown>): Promise<void>;
  /** Stops the running workers, then starts n fresh ones (each --concurrency 1, serving `fake`). */
  setWorkers(n: number): Promise<void>;
  submit(file: string, segmentSec: number): Promise<string>;
  wait(id: string, pollMs?: number): Promise<void>;
  segments(jobIds: string[]): Promise<SegmentTiming[]>;
  jobs(jobIds: string[]): Promise<JobTiming[]>;
  /** Redis's own CPU seconds (INFO cpu). */
  redisCpuSec(): Promise<number>;
  /**
   * Transactions committed in the bench database so far (pg_stat_database; every statement outside a
   * transaction is one). Backends flush these counts at most once a second: wait ~1.5 s before reading.
   */
  pgTransactions(): Promise<number>;
  close(): Promise<void>;
}

export async function startCluster(options: { uploadFormat: string; name: string }): Promise<Cluster> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => process.stderr.write(`cleanup: ${(e as Error).message}\n`));
  };
  try {
    const database: TestDatabase = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const fake = await startFakeOpenAIServer({ faults: { latencyMs: 0 } });
    cleanups.push(() => fake.close());
    const client = new Redis(redis.url);
    cleanups.push(async () => client.disconnect());
    const queue = new Queue<SegmentTaskData, SegmentTaskResult>(segmentQueueName('fake'), { connection: { url: redis.url }, prefix: 'parascribe' });
    cleanups.push(() => queue.close());
    let server: RunningServer | undefined;
    let workers: RunningWorker[] = [];
    cleanups.push(async () => {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await server?.stop();
    });
    const configPath = path.join(WORK_DIR, `${options.name}-config.json`);
    const dataDir = path.join(WORK_DIR, `data-${options.name}`);
    rmSync(dataDir, { recursive: true, force: true });
    const env = {
      PARASCRIBE_CONFIG: configPath,
      PARASCRIBE_CACHE: '0', // every job really runs: no transcript cache, no segment reuse across jobs
      PARASCRIBE_DATABASE_URL: database.url,
      PARASCRIBE_REDIS_URL: redis.url,
      PARASCRIBE_WORKER_SECRET: 'bench-worker-secret-0123456789abcdef',
    };
    const writeConfig = (distributed: Record<string, unknown>) =>
      writeFileSync(
        configPath,
        JSON.stringify({
          backends: { fake: { type: 'openai', baseURL: fake.url, apiKey: 'bench', timeoutSec: 60, uploadFormat: options.uploadFormat } },
          serve: { maxConcurrentJobs: 32, rateLimit: { requestsPerSec: 1000, burst: 1000 } },
          distributed,
        }),
      );
    writeConfig({});

    const rows = async (jobIds: string[]) =>
      queryDatabase<{ job_id: string; idx: number; start_sec: number; end_sec: number; stored_ms: string; compute_sec: number; attempts_json: string | null }>(
        database.url,
        `select job_id, idx, start_sec, end_sec, (extract(epoch from completed_at) * 1000)::text as stored_ms, compute_sec, attempts_json
           from transcription_segments where job_id = any($1) and status = 'completed' order by job_id, idx`,
        [jobIds],
      );

    return {
      fake,
      server: () => server!,
      workers: () => workers,
      async restartServer(distributed) {
        await server?.stop();
        writeConfig(distributed);
        server = await startServer({ env, dataDir });
      },
      async setWorkers(n) {
        await Promise.allSettled(workers.map((w) => w.stop()));
        workers = [];
        for (let i = 0; i < n; i++) workers.push(await startWorker(env, ['--backends', 'fake', '--concurrency', '1']));
      },
      async submit(file, segmentSec) {
        const { status, body } = await submitFile(server!.url, file, { segment_sec: String(segmentSec), backend: 'fake' }, TEST_KEYS[0], path.basename(file));
        if (status !== 202) throw new Error(`submit: HTTP ${status} ${JSON.stringify(body)}`);
        return String(body.id);
      },
      async wait(id, pollMs = 100) {
        const job = await waitForJob(server!.url, id, TEST_KEYS[0], 600_000, pollMs);
        if (job.status !== 'completed') throw new Error(`job ${id} ended ${job.status}: ${JSON.stringify(job.error)}\n${server!.stderr().slice(-2000)}`);
      },
      async segments(jobIds) {
        const wanted = new Set(jobIds);
        const tasks = (await queue.getJobs(['completed'], 0, -1)).filter((t) => wanted.has(t.data.task.jobId));
        const byKey = new Map<string, typeof tasks>();
        for (const t of tasks) {
          const key = `${t.data.task.jobId}#${t.data.task.index}`;
          byKey.set(key, [...(byKey.get(key) ?? []), t]);
        }
        return (await rows(jobIds)).flatMap((row) => {
          const mine = (byKey.get(`${row.job_id}#${row.idx}`) ?? []).sort((a, b) => a.data.dispatch - b.data.dispatch);
          const task = mine.at(-1);
          const attempts = JSON.parse(row.attempts_json ?? '[]') as AttemptRecord[];
          const served = attempts.filter((a) => a.outcome === 'ok').at(-1);
          if (!task || !served || !task.processedOn || !task.finishedOn) return [];
          return [
            {
              jobId: row.job_id,
              index: row.idx,
              audioSec: row.end_sec - row.start_sec,
              enqueuedMs: task.data.enqueuedAtMs,
              processedOnMs: task.processedOn,
              workerStartMs: task.data.enqueuedAtMs + task.returnvalue.queueWaitMs,
              attemptStartMs: served.startedAtSec * 1000,
              attemptEndMs: served.endedAtSec * 1000,
              storedMs: Number(row.stored_ms),
              finishedOnMs: task.finishedOn,
              computeMs: (row.compute_sec ?? 0) * 1000,
              worker: task.returnvalue.worker,
              dispatches: mine.length,
              attempts: attempts.length,
            },
          ];
        });
      },
      async jobs(jobIds) {
        const found = await queryDatabase<{ id: string; completed_ms: string; wall_ms: string; gpu_elapsed_sec: number; chunk_count: number; duration_sec: number }>(
          database.url,
          `select id, (extract(epoch from completed_at) * 1000)::text as completed_ms, (extract(epoch from (completed_at - started_at)) * 1000)::text as wall_ms, gpu_elapsed_sec, chunk_count, duration_sec
             from transcription_jobs where id = any($1) and status = 'completed'`,
          [jobIds],
        );
        return found.map((j) => ({ id: j.id, completedMs: Number(j.completed_ms), wallMs: Number(j.wall_ms), computeMs: j.gpu_elapsed_sec * 1000, segments: j.chunk_count, audioSec: j.duration_sec }));
      },
      async redisCpuSec() {
        const info = await client.info('cpu');
        const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
        return value('used_cpu_sys') + value('used_cpu_user');
      },
      async pgTransactions() {
        const [row] = await queryDatabase<{ n: string }>(database.url, 'select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()');
        return Number(row?.n ?? Number.NaN);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
