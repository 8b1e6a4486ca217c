/**
 * The BullMQ queue driver, worker side (`parascribe worker`): takes segment tasks of the backends it
 * serves, fetches the segment's audio from the signed URL, serves it through the same
 * serve-and-store step as the embedded mode, and lets the API server hear of it through the store.
 *
 * Failure semantics: a segment that failed on every backend is final (UnrecoverableError, the error
 * stays on the segment row for the server); anything else (audio download, a store write while the
 * database is away) is retried by BullMQ with backoff. Stopping hands in-flight segments back to
 * the queue after a grace period, so another worker takes them at once instead of after a lock expiry.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { segmentFromFile } from '../../audio/segment-audio.js';
import type { DistributedConfig } from '../../config/distributed.js';
import { isParascribeError } from '../../errors.js';
import { serveAndStore, type ServingDeps } from '../../pipeline/serve-and-store.js';
import { cancelChannel, redisConnection, reportOutages, segmentQueueName } from './connection.js';
import type { SegmentTaskData } from './dispatcher.js';
import { inSpan } from '../../telemetry/tracing/spans.js';
import { inWorkerSpan } from '../../telemetry/tracing/queue.js';

export interface SegmentWorkerOptions {
  config: DistributedConfig & { redisUrl: string };
  deps: ServingDeps;
  /** Backend ids whose queues this worker takes tasks from. */
  backendIds: string[];
  concurrency: number;
  log: (line: string) => void;
  /** Per-download limit. */
  downloadTimeoutSec?: number;
}

/** Outcome a task's processor returns (kept by BullMQ as the job's return value). */
export interface SegmentTaskResult {
  worker: string;
  /** From enqueue to this worker starting it. */
  queueWaitMs: number;
  /** Which delivery of this task this was (> 1: a worker before this one was lost or failed transiently). */
  delivery: number;
}

export const WORKER_HEARTBEAT_SEC = 10;

export function workerKey(prefix: string, name: string): string {
  return `${prefix}:workers:${name}`;
}

export class SegmentWorker {
  readonly name = `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  readonly #options: SegmentWorkerOptions;
  readonly #workers: Worker<SegmentTaskData, SegmentTaskResult>[] = [];
  /** Connections we made: BullMQ does not close connections it was given, so stop() does. */
  readonly #owned: Redis[] = [];
  #subscriber: Redis | undefined;
  #connection: Redis | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #handingBack = false;

  constructor(options: SegmentWorkerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { config, backendIds, concurrency } = this.#options;
    this.#connection = this.#own(redisConnection(config.redisUrl, `parascribe-worker-${this.name}`));
    reportOutages(this.#connection, this.#options.log);
    for (const backendId of backendIds) {
      const worker = new Worker<SegmentTaskData, SegmentTaskResult>(segmentQueueName(backendId), (job, token, signal) => this.#traced(job, () => this.#process(job, token, signal)), {
        connection: this.#own(redisConnection(config.redisUrl, `parascribe-worker-${this.name}-${backendId}`)),
        prefix: config.queuePrefix,
        concurrency,
        lockDuration: config.lockSec * 1000,
        stalledInterval: config.stalledCheckSec * 1000,
        maxStalledCount: config.maxStalledCount,
        autorun: true,
      });
      worker.on('error', (error) => this.#options.log(`queue ${backendId}: ${error.message}`));
      this.#workers.push(worker);
    }
    // The API server withdraws a task (job cancelled, deadline passed): abort it here if we hold it.
    this.#subscriber = this.#own(redisConnection(config.redisUrl, `parascribe-worker-${this.name}-cancel`));
    this.#subscriber.on('message', (_channel, taskId: string) => {
      for (const worker of this.#workers) worker.cancelJob(taskId, 'withdrawn by the server');
    });
    await this.#subscriber.subscribe(cancelChannel(config.queuePrefix));
    await Promise.all(this.#workers.map((w) => w.waitUntilReady()));
    await this.#beat();
    this.#heartbeat = setInterval(() => void this.#beat().catch(() => {}), WORKER_HEARTBEAT_SEC * 1000);
  }

  #own(connection: Redis): Redis {
    this.#owned.push(connection);
    return connection;
  }

  /** Announces this worker (for `parascribe_workers` / desired-workers metrics); expires if it dies. */
  async #beat(): Promise<void> {
    const { config, backendIds, concurrency } = this.#options;
    const value = JSON.stringify({ backends: backendIds, concurrency, pid: process.pid, host: hostname() });
    await this.#connection?.set(workerKey(config.queuePrefix, this.name), value, 'EX', WORKER_HEARTBEAT_SEC * 3);
  }

  /** The task's span (telemetry/tracing/queue.ts): a child of the server's dispatch span. */
  #traced<T>(job: Job<SegmentTaskData, SegmentTaskResult>, work: () => Promise<T>): Promise<T> {
    const { task, enqueuedAtMs, dispatch } = job.data;
    return inWorkerSpan(task, { worker: this.name, queue: job.queueName, taskId: job.id, enqueuedAtMs, dispatch, delivery: job.attemptsStarted + job.stalledCounter }, work);
  }

  async #process(job: Job<SegmentTaskData, SegmentTaskResult>, token: string | undefined, signal: AbortSignal | undefined): Promise<SegmentTaskResult> {
    const { task, audioUrl } = job.data;
    const startedMs = Date.now();
    const abort = signal ?? new AbortController().signal;
    const file = join(tmpdir(), `parascribe-worker-${process.pid}-${job.id}.wav`);
    try {
      const bytes = await inSpan('download', {}, () => this.#download(audioUrl, file, abort), (n) => ({ 'parascribe.audio.bytes': n }));
      const audio = segmentFromFile(file, 44, Math.max(0, bytes - 44), task.startSec, task.endSec);
      await serveAndStore(task, audio, this.#options.deps, abort);
      return { worker: this.name, queueWaitMs: startedMs - job.data.enqueuedAtMs, delivery: job.attemptsStarted + job.stalledCounter };
    } catch (thrown) {
      if (abort.aborted) {
        if (this.#handingBack && token) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        throw new UnrecoverableError('withdrawn by the server');
      }
      // INTERNAL is an exception nobody classified (in practice: a store write whose database connection
      // dropped mid-query), so like the unwrapped ones it gets BullMQ's retries before it is final.
      if (isParascribeError(thrown) && thrown.code !== 'INTERNAL') throw new UnrecoverableError(`${thrown.code}: ${thrown.message}`);
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      this.#options.log(`segment ${job.id}: attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1} failed (${message})`);
      throw thrown;
    } finally {
      await rm(file, { force: true });
    }
  }

  async #download(url: string, file: string, signal: AbortSignal): Promise<number> {
    const timeout = AbortSignal.timeout((this.#options.downloadTimeoutSec ?? 120) * 1000);
    const response = await fetch(url, { signal: AbortSignal.any([signal, timeout]) });
    if (response.status === 410 || response.status === 403 || response.status === 400) {
      throw new UnrecoverableError(`segment audio refused (${response.status}): ${(await response.text()).slice(0, 200)}`);
    }
    if (!response.ok || !response.body) throw new Error(`segment audio download failed: HTTP ${response.status}`);
    let bytes = 0;
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(file),
      { signal },
    );
    const expected = Number(response.headers.get('content-length'));
    if (Number.isFinite(expected) && expected > 0 && bytes !== expected) throw new Error(`segment audio truncated: ${bytes} of ${expected} bytes`);
    return bytes;
  }

  /**
   * Stops taking work; in-flight segments get `graceSec` to finish, then are aborted and handed back
   * to the queue (another worker takes them at once).
   */
  async stop(graceSec: number): Promise<void> {
    clearInterval(this.#heartbeat);
    const closing = Promise.all(this.#workers.map((w) => w.close()));
    const graceful = await Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceSec * 1000).unref())]);
    if (!graceful) {
      this.#handingBack = true;
      for (const worker of this.#workers) worker.cancelAllJobs('worker stopping');
      // Bounded: with Redis gone, hand-back and close would wait for it forever.
      await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    await Promise.race([this.#connection?.del(workerKey(this.#options.config.queuePrefix, this.name)).catch(() => 0), new Promise((r) => setTimeout(r, 1_000).unref())]);
    for (const connection of this.#owned) connection.disconnect();
  }
}
