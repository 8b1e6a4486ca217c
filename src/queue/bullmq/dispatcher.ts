/**
 * The BullMQ queue driver, API-server side: each segment becomes a task on Redis (one queue per
 * primary backend, BullMQ priority from the job's), a `parascribe worker` serves it and stores the
 * result in the shared job store, and this side resolves when the store holds it.
 *
 * Why it cannot hang: completion is heard on BullMQ's event stream, and also checked in the store
 * every `pollMs` (2 s; an event missed across a Redis restart is not a lost result); a task Redis no longer
 * holds (Redis lost its data) is dispatched again at once; a task with no result by its deadline is
 * dispatched again, up to `maxDispatchAttempts`, then the segment fails with the reason. A worker
 * that dies mid-segment is BullMQ's stalled-job case: its lock expires and another worker gets it.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SegmentAudio } from '../../audio/segment-audio.js';
import type { DistributedConfig } from '../../config/distributed.js';
import { isErrorCode, ParascribeError } from '../../errors.js';
import type { JobStore } from '../../store/jobs.js';
import type { SegmentTranscript } from '../../transcript.js';
import { isHandoff, type SegmentDispatcher } from '../dispatch.js';
import { cancelChannel, redisConnection, reportOutages, segmentQueueName, segmentTaskId } from './connection.js';
import { signSegmentUrl } from './segment-url.js';
import type { Priority, SegmentTask } from '../../core/types.js';
import { inDispatchSpan, withTraceContext } from '../../telemetry/tracing/queue.js';

/** What travels on the queue. */
export interface SegmentTaskData {
  task: SegmentTask;
  audioUrl: string;
  audioBytes: number;
  dispatch: number;
  enqueuedAtMs: number;
}

/** BullMQ priority: 1 is served first. */
export const BULL_PRIORITY: Record<Priority, number> = { critical: 1, normal: 5, batch: 10 };

type Outcome = { kind: 'completed' } | { kind: 'failed'; reason: string } | { kind: 'lost' } | { kind: 'deadline'; state: string };

export interface BullmqDispatcherOptions {
  config: DistributedConfig & { redisUrl: string; secret: string; retryBudgetSec?: number | undefined };
  store: JobStore;
  /** Base URL workers use to fetch segment audio from this server. */
  publicUrl: () => string;
  /**
   * Where a segment's audio is put for workers before its task is queued, so that its URL works on
   * any API server (service/cluster/shared-files.ts); absent, only this server's disk holds it.
   */
  segmentAudio?: SegmentAudioStore;
  /** Store check interval while waiting (the event stream is the fast path). */
  pollMs?: number;
  log?: (line: string) => void;
}

/** Segment audio every API server can answer a worker's URL from (the shared store's blobs). */
export interface SegmentAudioStore {
  put(task: SegmentTask, audio: SegmentAudio): Promise<void>;
  drop(task: SegmentTask): Promise<void>;
}

export class BullmqDispatcher implements SegmentDispatcher {
  /** Workers in other processes serve the segments: they check, warm and prefetch their own backends. */
  readonly servesLocally = false;
  /** A hedge needs this process's view of the attempt in flight, which lives in a worker. */
  readonly canHedge = false;
  /** As many segments on the queue as allowed: the workers' number and concurrency set the pace. */
  readonly maxInFlight: number;
  readonly #options: BullmqDispatcherOptions;
  readonly #connection: Redis;
  readonly #queues = new Map<string, { queue: Queue<SegmentTaskData>; events: QueueEvents; eventsConnection: Redis }>();
  /** Waiters by BullMQ task id, resolved by the queue events. */
  readonly #waiters = new Map<string, (outcome: Outcome) => void>();

  constructor(options: BullmqDispatcherOptions) {
    this.#options = options;
    this.maxInFlight = options.config.maxSegmentsInFlight;
    // Reconnects on its own; waits are bounded by deadlines.
    this.#connection = redisConnection(options.config.redisUrl, 'parascribe-server');
    if (options.log) reportOutages(this.#connection, options.log);
  }

  /** The queues this server has used so far (metrics, the admin UI). */
  queues(): Array<Queue<SegmentTaskData>> {
    return [...this.#queues.values()].map((q) => q.queue);
  }

  /** The queue (and its event listener) of a backend, created on first use. */
  queueFor(backendId: string): Queue<SegmentTaskData> {
    let entry = this.#queues.get(backendId);
    if (!entry) {
      const name = segmentQueueName(backendId);
      const prefix = this.#options.config.queuePrefix;
      const queue = new Queue<SegmentTaskData>(name, { connection: this.#connection, prefix });
      const eventsConnection = redisConnection(this.#options.config.redisUrl, 'parascribe-server-events');
      const events = new QueueEvents(name, { connection: eventsConnection, prefix });
      queue.on('error', () => {});
      events.on('error', () => {});
      events.on('completed', ({ jobId }) => this.#waiters.get(jobId)?.({ kind: 'completed' }));
      events.on('failed', ({ jobId, failedReason }) => this.#waiters.get(jobId)?.({ kind: 'failed', reason: failedReason }));
      entry = { queue, events, eventsConnection };
      this.#queues.set(backendId, entry);
    }
    return entry.queue;
  }

  async dispatch(task: SegmentTask, audio: SegmentAudio, signal: AbortSignal): Promise<SegmentTranscript> {
    const { config } = this.#options;
    const queue = this.queueFor(task.chain[0]!);
    // A worker keeps retrying a failing backend for up to the retry budget: not a lost task.
    const deadlineSec = config.segmentDeadlineSec ?? 120 + audio.durationSec * 4 + (config.retryBudgetSec ?? 0);
    const reasons: string[] = [];
    const shared = this.#options.segmentAudio;
    if (shared) await this.#readStore(() => shared.put(task, audio), signal);
    try {
      return await this.#dispatchAll(queue, task, audio, deadlineSec, reasons, signal);
    } finally {
      // Handed to another run, the task stays queued and its audio with it; otherwise it is done with.
      if (shared && !(signal.aborted && isHandoff(signal.reason))) await shared.drop(task).catch(() => undefined);
    }
  }

  async #dispatchAll(queue: Queue<SegmentTaskData>, task: SegmentTask, audio: SegmentAudio, deadlineSec: number, reasons: string[], signal: AbortSignal): Promise<SegmentTranscript> {
    const { config } = this.#options;
    for (let dispatch = 1; dispatch <= config.maxDispatchAttempts; dispatch++) {
      const id = segmentTaskId(task.jobId, task.index, dispatch);
      const outcome = await inDispatchSpan(task, { queue: queue.name, taskId: id, dispatch }, () => this.#runOnce(queue, id, task, audio, dispatch, deadlineSec, signal));
      if (outcome.kind === 'completed') {
        const transcript = await this.#readStore(() => this.#storedResult(task), signal);
        if (transcript) return transcript;
        reasons.push(`dispatch ${dispatch}: reported done but no result is stored`);
        continue;
      }
      // A worker that gave a final answer stored it on the segment row: that error is the segment's.
      const row = await this.#readStore(() => this.#options.store.getSegment(task.jobId, task.index), signal);
      if (row?.status === 'completed' || row?.status === 'reused') return JSON.parse(row.result_json!) as SegmentTranscript;
      if (outcome.kind === 'failed' && row?.status === 'failed' && row.error_code && isErrorCode(row.error_code)) {
        throw new ParascribeError(row.error_code, row.error ?? outcome.reason);
      }
      reasons.push(
        outcome.kind === 'failed'
          ? `dispatch ${dispatch}: ${outcome.reason}`
          : outcome.kind === 'lost'
            ? `dispatch ${dispatch}: the task vanished from Redis`
            : `dispatch ${dispatch}: no result within ${Math.round(deadlineSec)} s (task ${outcome.state})`,
      );
      this.#options.log?.(`segment ${task.jobId}#${task.index}: ${reasons.at(-1)}; ${dispatch < config.maxDispatchAttempts ? 'dispatching again' : 'giving up'}`);
    }
    throw new ParascribeError('SEGMENT_TIMEOUT', `segment ${task.index} was not served: ${reasons.join('; ')}`);
  }

  /**
   * A store read after an outcome: retried with backoff for up to a minute, so a database that is
   * briefly away delays the job instead of failing it.
   */
  async #readStore<T>(read: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const deadlineMs = Date.now() + 60_000;
    for (let waitMs = 250; ; waitMs = Math.min(waitMs * 2, 4_000)) {
      try {
        return await read();
      } catch (error) {
        if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
        if (Date.now() + waitMs > deadlineMs) throw error;
        this.#options.log?.(`job store unreachable (${(error as Error).message}); retrying in ${waitMs} ms`);
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  async #storedResult(task: SegmentTask): Promise<SegmentTranscript | undefined> {
    const row = await this.#options.store.getSegment(task.jobId, task.index);
    return row && (row.status === 'completed' || row.status === 'reused') && row.result_json ? (JSON.parse(row.result_json) as SegmentTranscript) : undefined;
  }

  /** One dispatch: enqueue, then wait for an outcome (event, store check, loss check, deadline or abort). */
  async #runOnce(queue: Queue<SegmentTaskData>, id: string, task: SegmentTask, audio: SegmentAudio, dispatch: number, deadlineSec: number, signal: AbortSignal): Promise<Outcome> {
    const { config, pollMs = 2_000 } = this.#options;
    const ttlSec = Math.max(config.urlTtlSec, deadlineSec);
    const audioUrl = signSegmentUrl(this.#options.publicUrl(), config.secret, task, ttlSec);
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    this.#waiters.set(id, settle);
    const onAbort = () => settle({ kind: 'failed', reason: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(async () => settle({ kind: 'deadline', state: await queue.getJobState(id).catch(() => 'unknown') }), deadlineSec * 1000);
    let polls = 0;
    const poll = setInterval(async () => {
      try {
        // A status-only primary-key read: cheap even with hundreds of segments waiting.
        const status = await this.#options.store.getSegmentStatus(task.jobId, task.index);
        if (status === 'completed' || status === 'reused') return settle({ kind: 'completed' });
        // Every 2nd check: does Redis still hold the task? (Gone: Redis restarted without its data.) A task
        // that failed before this run waited on it (an earlier owner's, taken over) has no event to come.
        if (++polls % 2 === 0) {
          const state = await queue.getJobState(id);
          if (state === 'unknown') settle({ kind: 'lost' });
          else if (state === 'failed') settle({ kind: 'failed', reason: (await queue.getJob(id))?.failedReason ?? 'failed' });
        }
      } catch {
        // Store or Redis briefly unreachable: the next check tries again; the deadline bounds it all.
      }
    }, pollMs);
    try {
      if (!signal.aborted) {
        const data: SegmentTaskData = { task: withTraceContext(task), audioUrl, audioBytes: Math.round(audio.durationSec * 32_000) + 44, dispatch, enqueuedAtMs: Date.now() };
        await Promise.race([
          queue.add('segment', data, {
            jobId: id,
            priority: BULL_PRIORITY[task.priority],
            // Transient worker-side failures (audio download, a store write while the database is away)
            // are retried by BullMQ with the shared policy's shape: exponential backoff from 1 s.
            attempts: 5,
            backoff: { type: 'exponential', delay: 1_000 },
            removeOnComplete: { age: 3_600 },
            removeOnFail: { age: 24 * 3_600 },
          }),
          outcome,
        ]);
      }
      const result = signal.aborted ? ({ kind: 'failed', reason: 'aborted' } as const) : await outcome;
      if (signal.aborted) {
        // A handoff leaves the task to the next run of the job, which waits on the same task id.
        if (!isHandoff(signal.reason)) await this.#withdraw(queue, id);
        throw new ParascribeError('ABORTED', 'aborted');
      }
      if (result.kind !== 'completed') await this.#withdraw(queue, id);
      return result;
    } finally {
      clearTimeout(deadline);
      clearInterval(poll);
      signal.removeEventListener('abort', onAbort);
      this.#waiters.delete(id);
    }
  }

  /** Takes a task back: removed if still waiting; if a worker holds it, that worker is told to abort it. */
  async #withdraw(queue: Queue<SegmentTaskData>, id: string): Promise<void> {
    const bounded = <T>(work: Promise<T>) => Promise.race([work, new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
    await bounded(queue.remove(id).catch(() => 0));
    await bounded(this.#connection.publish(cancelChannel(this.#options.config.queuePrefix), id).catch(() => 0));
  }

  async close(): Promise<void> {
    const closing = Promise.allSettled([...this.#queues.values()].flatMap(({ queue, events }) => [queue.close(), events.close()]));
    // Bounded (with Redis gone, close waits for it), and the connections we made are ours to end:
    // BullMQ leaves connections it was given open, and they would keep the process alive.
    await Promise.race([closing, new Promise((r) => setTimeout(r, 5_000).unref())]);
    for (const { eventsConnection } of this.#queues.values()) eventsConnection.disconnect();
    this.#connection.disconnect();
  }
}
