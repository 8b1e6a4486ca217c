/**
 * Reads what the autoscaling metrics and the queue board show, at scrape time: the segment queues
 * (BullMQ counts and task data), the workers' heartbeat keys, and recent segment throughput from
 * the job store. Every read is bounded (`readTimeoutMs`) and its failure is an absence in the
 * snapshot, never an exception: a scrape must not hang or fail because Redis or the database is away.
 *
 * Its own Redis connection fails fast while disconnected (no offline queue), unlike the dispatcher's,
 * whose commands wait for a reconnect: a scrape during an outage must not pile up commands.
 */
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobStore } from '../../store/jobs.js';
import type { FleetSignal, SignalDecision } from '../../autoscale/signal.js';
import { desiredWorkers, fleetSlotSpeed, measureThroughput, slotsPerWorker, type AutoscalePolicy, type BackendThroughput, type DesiredWorkers, type WorkerHeartbeat } from './autoscale.js';
import { SEGMENT_QUEUE_PREFIX, segmentQueueName } from './connection.js';
import type { SegmentTaskData } from './dispatcher.js';
import { workerKey } from './worker.js';

/** Window of `parascribe_throughput_audio_seconds_per_second`. */
export const THROUGHPUT_WINDOW_SEC = 300;
/** Window of the measured slot speed behind `parascribe_desired_workers`. */
export const SPEED_WINDOW_SEC = 3_600;

export interface BackendQueueStats {
  backend: string;
  waitingTasks: number;
  activeTasks: number;
  /** Age of the oldest waiting task (0 when none waits). */
  oldestWaitSec: number;
  /** endSec − startSec of waiting and active tasks; beyond `maxTasksRead`, the mean of those read × the count. */
  backlogAudioSec: number;
}

export interface QueueSnapshot {
  /** One entry per queue that could be read. */
  queues: BackendQueueStats[];
  /** Queues whose read failed or timed out. */
  unreadQueues: string[];
  /** undefined: the heartbeat keys could not be read. */
  workers: WorkerHeartbeat[] | undefined;
  /** undefined: the store could not be read. */
  throughput: Map<string, BackendThroughput> | undefined;
  /** undefined when any input was missing (a queue or the store): no scaling decision on partial data. */
  autoscale: (DesiredWorkers & { slotsPerWorker: number; fleet: Omit<SignalDecision, 'window'> | undefined }) | undefined;
}

/** What ServiceMetrics reads (optional: embedded mode has none). */
export interface QueueStatsSource {
  snapshot(): Promise<QueueSnapshot>;
}

export interface QueueInspectorOptions {
  redisUrl: string;
  queuePrefix: string;
  store: JobStore;
  /** Backends whose queues exist by configuration or use (see `configuredQueueBackends`). */
  backendIds: () => string[];
  policy: AutoscalePolicy;
  /** `worker.concurrency` from config: slots per worker while no worker is alive. */
  workerConcurrency: number;
  readTimeoutMs?: number;
  /** Tasks read per queue and state group for backlog seconds and oldest age. */
  maxTasksRead?: number;
  /** Scrapes within this long share one snapshot (every gauge of a scrape reads the same one). */
  cacheMs?: number;
  /**
   * The predictive part and the scale-down window (src/autoscale/); absent: desired workers is the
   * reactive number alone, as before.
   */
  signal?: FleetSignal;
}

/** Resolves to undefined when the work fails or takes longer than `ms`. */
export async function bounded<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class QueueInspector implements QueueStatsSource {
  readonly #options: QueueInspectorOptions;
  readonly #connection: Redis;
  readonly #queues = new Map<string, Queue<SegmentTaskData>>();
  readonly #broken = new WeakSet<Queue<SegmentTaskData>>();
  /** Backends announced by the workers seen in the last snapshot. */
  #announced: string[] = [];
  #cached: { atMs: number; snapshot: Promise<QueueSnapshot> } | undefined;

  constructor(options: QueueInspectorOptions) {
    this.#options = options;
    this.#connection = new Redis(options.redisUrl, {
      connectionName: 'parascribe-server-inspect',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    });
    this.#connection.on('error', () => {});
  }

  /** Configured or used backends, plus those live workers announce; sorted. */
  backendIds(): string[] {
    return [...new Set([...this.#options.backendIds(), ...this.#announced])].sort();
  }

  /** One Queue per backend id (on this fail-fast connection), for the board and the reads. */
  queues(): Array<Queue<SegmentTaskData>> {
    return this.backendIds().map((id) => this.#queue(id));
  }

  #queue(backend: string): Queue<SegmentTaskData> {
    let queue = this.#queues.get(backend);
    if (!queue || this.#broken.has(queue)) {
      if (queue) void queue.close().catch(() => {});
      const created = new Queue<SegmentTaskData>(segmentQueueName(backend), { connection: this.#connection, prefix: this.#options.queuePrefix });
      created.on('error', () => {});
      // BullMQ's start-up check runs once: if the connection drops between 'ready' and that check, the
      // Queue fails for good. Such a Queue is replaced on next use (the board picks up the new one).
      created.waitUntilReady().catch(() => this.#broken.add(created));
      this.#queues.set(backend, created);
      queue = created;
    }
    return queue;
  }

  snapshot(): Promise<QueueSnapshot> {
    const nowMs = Date.now();
    if (this.#cached && nowMs - this.#cached.atMs < (this.#options.cacheMs ?? 1_000)) return this.#cached.snapshot;
    const snapshot = this.#read(nowMs);
    this.#cached = { atMs: nowMs, snapshot };
    return snapshot;
  }

  async #read(nowMs: number): Promise<QueueSnapshot> {
    const timeoutMs = this.#options.readTimeoutMs ?? 2_000;
    const { signal } = this.#options;
    const [workers, throughput] = await Promise.all([
      bounded(this.#readWorkers(), timeoutMs),
      bounded(this.#readThroughput(nowMs / 1000), timeoutMs),
      // A refit (every refitSec) reads the store's arrivals; a slow one leaves the last forecast in use.
      signal ? bounded(signal.refitIfStale(nowMs / 1000), timeoutMs) : undefined,
    ]);
    if (workers) this.#announced = [...new Set(workers.flatMap((w) => w.backends))];
    const ids = this.backendIds();
    const read = await Promise.all(ids.map((id) => bounded(this.#readQueue(id, nowMs), timeoutMs)));
    const queues = read.filter((q): q is BackendQueueStats => q !== undefined);
    const unreadQueues = ids.filter((_, i) => read[i] === undefined);
    const slots = slotsPerWorker(workers ?? [], this.#options.workerConcurrency);
    let autoscale: QueueSnapshot['autoscale'];
    if (unreadQueues.length === 0 && throughput) {
      const samples = queues.map((q) => ({ ...q, slotSpeed: throughput.get(q.backend)?.slotSpeed }));
      const reactive = desiredWorkers(samples, slots, this.#options.policy);
      if (signal) {
        // Unbounded here: the bounds apply once, after the forecast and the window.
        const raw = desiredWorkers(samples, slots, { ...this.#options.policy, minWorkers: 0, maxWorkers: Number.MAX_SAFE_INTEGER });
        const { window: _window, ...fleet } = signal.decide({ nowSec: nowMs / 1000, reactiveWorkers: raw.desiredWorkers, slotSpeed: fleetSlotSpeed(throughput), slotsPerWorker: slots });
        autoscale = { ...reactive, desiredWorkers: fleet.desiredWorkers, slotsPerWorker: slots, fleet };
      } else {
        autoscale = { ...reactive, slotsPerWorker: slots, fleet: undefined };
      }
    }
    return { queues, unreadQueues, workers, throughput, autoscale };
  }

  async #readQueue(backend: string, nowMs: number): Promise<BackendQueueStats> {
    const queue = this.#queue(backend);
    const max = this.#options.maxTasksRead ?? 2_000;
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    const waitingTasks = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
    const activeTasks = counts.active ?? 0;
    // asc: the waiting list oldest first, so a capped read still sees the longest waits there.
    const [waiting, active] = await Promise.all([
      waitingTasks > 0 ? queue.getJobs(['waiting', 'prioritized', 'delayed'], 0, max - 1, true) : [],
      activeTasks > 0 ? queue.getJobs(['active'], 0, max - 1, true) : [],
    ]);
    let oldestMs = nowMs;
    for (const job of waiting) oldestMs = Math.min(oldestMs, enqueuedAtMs(job));
    return {
      backend,
      waitingTasks,
      activeTasks,
      oldestWaitSec: waiting.length > 0 ? Math.max(0, (nowMs - oldestMs) / 1000) : 0,
      backlogAudioSec: extrapolated(waiting, waitingTasks) + extrapolated(active, activeTasks),
    };
  }

  /** Live workers: heartbeat keys (`${prefix}:workers:<name>`, expiring 30 s after the last beat). */
  async #readWorkers(): Promise<WorkerHeartbeat[]> {
    const pattern = workerKey(this.#options.queuePrefix, '*');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#connection.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0' && keys.length < 10_000);
    if (keys.length === 0) return [];
    const values = await this.#connection.mget(...keys);
    const workers: WorkerHeartbeat[] = [];
    values.forEach((value, i) => {
      const beat = parseHeartbeat(keys[i]!.slice(pattern.length - 1), value);
      if (beat) workers.push(beat);
    });
    return workers;
  }

  async #readThroughput(nowSec: number): Promise<Map<string, BackendThroughput>> {
    const { store } = this.#options;
    const sinceSec = nowSec - Math.max(THROUGHPUT_WINDOW_SEC, SPEED_WINDOW_SEC);
    const finished = await store.listFinishedSegmentsSince(sinceSec, 50_000);
    return measureThroughput(finished, nowSec, { throughputWindowSec: THROUGHPUT_WINDOW_SEC, speedWindowSec: SPEED_WINDOW_SEC });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    this.#connection.disconnect();
  }
}

/** Primary backends a job can be routed to: each has a queue. Fallback-only backends show as empty queues. */
export function configuredQueueBackends(config: { backend?: string | undefined; backends: Record<string, unknown>; routing: { rules: Array<{ backend: string }>; pressure: Record<string, { divertTo: string }> } }): string[] {
  return [
    ...new Set([
      config.backend ?? 'pocketsphinx',
      ...config.routing.rules.map((r) => r.backend),
      ...Object.values(config.routing.pressure).map((p) => p.divertTo),
      ...Object.keys(config.backends),
    ]),
  ];
}

/** The backend id of a segment queue's name (`segments-<id>`). */
export function backendOfQueue(queueName: string): string {
  return queueName.startsWith(`${SEGMENT_QUEUE_PREFIX}-`) ? queueName.slice(SEGMENT_QUEUE_PREFIX.length + 1) : queueName;
}

function enqueuedAtMs(job: Job<SegmentTaskData>): number {
  const fromData = job.data?.enqueuedAtMs;
  return typeof fromData === 'number' && Number.isFinite(fromData) ? fromData : job.timestamp;
}

function audioSecOf(job: Job<SegmentTaskData>): number {
  const task = job.data?.task;
  const sec = task ? task.endSec - task.startSec : NaN;
  return Number.isFinite(sec) && sec > 0 ? sec : 0;
}

/** Sum over the tasks read, scaled to the full count when the read was capped. */
function extrapolated(jobs: Array<Job<SegmentTaskData>>, count: number): number {
  if (jobs.length === 0) return 0;
  const sum = jobs.reduce((total, job) => total + audioSecOf(job), 0);
  return jobs.length >= count ? sum : (sum / jobs.length) * count;
}

function parseHeartbeat(name: string, value: string | null): WorkerHeartbeat | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as { backends?: unknown; concurrency?: unknown };
    const backends = Array.isArray(parsed.backends) ? parsed.backends.filter((b): b is string => typeof b === 'string') : [];
    const concurrency = typeof parsed.concurrency === 'number' && parsed.concurrency >= 1 ? parsed.concurrency : 1;
    return { name, backends, concurrency };
  } catch {
    return undefined;
  }
}
