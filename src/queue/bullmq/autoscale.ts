/**
 * The autoscaling signal, as pure functions: how many `parascribe worker` processes the backlog on
 * the segment queues needs to be done within a latency target, from what was measured recently.
 * `queue-stats.ts` reads the inputs (Redis, the job store); `docs/scaling.md` explains the choice.
 *
 *   slot seconds needed = Σ over backends of backlog audio sec / measured slot speed
 *                         (a backend with no measured speed: one slot per task for the whole target)
 *   desired workers     = clamp(min(ceil(slot seconds needed / (slots per worker × latency target)),
 *                                   ceil(tasks / slots per worker)), minWorkers, maxWorkers)
 *
 * The task bound: one task occupies one slot, so more slots than tasks cannot help.
 */

/** Queue state of one backend's segment queue. */
export interface BacklogSample {
  backend: string;
  /** Tasks not yet taken by a worker (BullMQ waiting + prioritized + delayed). */
  waitingTasks: number;
  /** Tasks a worker holds now. */
  activeTasks: number;
  /** Audio seconds in the waiting and active tasks (endSec − startSec, summed). */
  backlogAudioSec: number;
  /** Audio seconds one worker slot does per second of processing; undefined: nothing measured. */
  slotSpeed: number | undefined;
}

export interface AutoscalePolicy {
  latencyTargetSec: number;
  minWorkers: number;
  maxWorkers: number;
}

export interface DesiredWorkers {
  desiredWorkers: number;
  /** Worker-slot seconds the backlog needs. */
  slotSecNeeded: number;
  /** Backends with tasks whose need was estimated without a measured speed (one slot per task). */
  unmeasuredBackends: string[];
}

/** Float noise (e.g. 2.0000000001) must not cost a whole worker. */
const EPSILON = 1e-9;

export function desiredWorkers(samples: readonly BacklogSample[], slotsPerWorker: number, policy: AutoscalePolicy): DesiredWorkers {
  const slots = Number.isFinite(slotsPerWorker) && slotsPerWorker >= 1 ? slotsPerWorker : 1;
  let slotSecNeeded = 0;
  let tasks = 0;
  const unmeasuredBackends: string[] = [];
  for (const sample of samples) {
    const backendTasks = Math.max(0, sample.waitingTasks) + Math.max(0, sample.activeTasks);
    if (backendTasks === 0) continue;
    tasks += backendTasks;
    const speed = sample.slotSpeed;
    if (speed !== undefined && Number.isFinite(speed) && speed > 0) {
      slotSecNeeded += Math.max(0, sample.backlogAudioSec) / speed;
    } else {
      unmeasuredBackends.push(sample.backend);
      slotSecNeeded += backendTasks * policy.latencyTargetSec;
    }
  }
  const byLatency = Math.ceil(slotSecNeeded / (slots * policy.latencyTargetSec) - EPSILON);
  const byTasks = Math.ceil(tasks / slots - EPSILON);
  const wanted = Math.max(0, Math.min(byLatency, byTasks));
  const desired = Math.min(policy.maxWorkers, Math.max(policy.minWorkers, wanted));
  return { desiredWorkers: desired, slotSecNeeded, unmeasuredBackends };
}

/** One finished segment, as the job store has it (times in epoch seconds). */
export interface FinishedSegment {
  backend: string;
  startSec: number;
  endSec: number;
  startedAtSec: number;
  completedAtSec: number;
}

export interface BackendThroughput {
  /** Audio seconds finished per wall second over the throughput window (all slots together). */
  audioSecPerSec: number;
  /** Audio seconds per processing second of one slot, over the speed window; undefined: no sample. */
  slotSpeed: number | undefined;
  /** Segments behind `slotSpeed`. */
  speedSamples: number;
  /** Σ audio and Σ processing seconds behind `slotSpeed` (to pool backends: fleetSlotSpeed). */
  speedAudioSec: number;
  speedProcessingSec: number;
}

export interface ThroughputWindows {
  /** Window of `audioSecPerSec` (default use: 300 s). */
  throughputWindowSec: number;
  /** Window of `slotSpeed` (default use: 3600 s: a speed is a property of the hardware, not of the last minutes). */
  speedWindowSec: number;
}

/**
 * Per-backend throughput from finished segments. Processing time is `completedAtSec − startedAtSec`
 * (the worker's first start of the segment to its stored result: retries count, the audio download
 * before it does not); segments with no positive processing time are not speed samples.
 */
export function measureThroughput(segments: readonly FinishedSegment[], nowSec: number, windows: ThroughputWindows): Map<string, BackendThroughput> {
  const sums = new Map<string, { recentAudioSec: number; audioSec: number; processingSec: number; samples: number }>();
  for (const segment of segments) {
    const ageSec = nowSec - segment.completedAtSec;
    if (ageSec < 0 || ageSec > Math.max(windows.throughputWindowSec, windows.speedWindowSec)) continue;
    const audioSec = Math.max(0, segment.endSec - segment.startSec);
    const sum = sums.get(segment.backend) ?? { recentAudioSec: 0, audioSec: 0, processingSec: 0, samples: 0 };
    if (ageSec <= windows.throughputWindowSec) sum.recentAudioSec += audioSec;
    const processingSec = segment.completedAtSec - segment.startedAtSec;
    if (ageSec <= windows.speedWindowSec && processingSec > 0 && audioSec > 0) {
      sum.audioSec += audioSec;
      sum.processingSec += processingSec;
      sum.samples += 1;
    }
    sums.set(segment.backend, sum);
  }
  const out = new Map<string, BackendThroughput>();
  for (const [backend, sum] of sums) {
    out.set(backend, {
      audioSecPerSec: sum.recentAudioSec / windows.throughputWindowSec,
      slotSpeed: sum.samples > 0 ? sum.audioSec / sum.processingSec : undefined,
      speedSamples: sum.samples,
      speedAudioSec: sum.audioSec,
      speedProcessingSec: sum.processingSec,
    });
  }
  return out;
}

/** One slot's speed over every backend (Σ audio ÷ Σ processing seconds); undefined: nothing measured. */
export function fleetSlotSpeed(throughput: ReadonlyMap<string, BackendThroughput>): number | undefined {
  let audioSec = 0;
  let processingSec = 0;
  for (const t of throughput.values()) {
    audioSec += t.speedAudioSec;
    processingSec += t.speedProcessingSec;
  }
  return processingSec > 0 && audioSec > 0 ? audioSec / processingSec : undefined;
}

/** A live worker's heartbeat (queue/bullmq/worker.ts). */
export interface WorkerHeartbeat {
  name: string;
  backends: string[];
  concurrency: number;
}

/** Slots per worker: the live workers' mean concurrency, else the configured `worker.concurrency`. */
export function slotsPerWorker(workers: readonly WorkerHeartbeat[], configuredConcurrency: number): number {
  if (workers.length === 0) return configuredConcurrency;
  return workers.reduce((sum, w) => sum + w.concurrency, 0) / workers.length;
}
