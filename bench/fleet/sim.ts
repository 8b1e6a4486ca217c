/**
 * The fleet simulator, in virtual time: a trace's arrivals against simulated GPU workers, with the
 * product's own functions deciding everything the product decides:
 *
 * - segments: `planSegments` (src/plan/planner.ts) at the default 360 s target (no pauses known: hard cuts);
 * - dispatch order: BullMQ's, by `BULL_PRIORITY` (src/queue/bullmq/dispatcher.ts), FIFO within one;
 * - speed: `measureThroughput` over the finished segments of the last hour, as the store gives it;
 * - the signal: `desiredWorkers` (reactive) and `FleetSignal` (forecast + window, src/autoscale/);
 * - degradation: `degradeDecision` (src/autoscale/degrade.ts).
 *
 * What is simulated: the workers (cold start and service time from the seed study's fitted
 * parameters, bench/seed-fit.md) and the autoscaler that follows the signal every `pollSec` (KEDA's
 * polling, scale-up and -down at once: the window is parascribe's). Deterministic for a seed.
 */
import { FleetSignal } from '../../src/autoscale/signal.js';
import { degradeDecision, type DegradePolicy } from '../../src/autoscale/degrade.js';
import type { Priority } from '../../src/core/types.js';
import { planSegments } from '../../src/plan/planner.js';
import { seededRandom } from '../../src/plan/latency/random.js';
import { desiredWorkers, fleetSlotSpeed, measureThroughput, type FinishedSegment } from '../../src/queue/bullmq/autoscale.js';
import { BULL_PRIORITY } from '../../src/queue/bullmq/dispatcher.js';
import { drawColdStart, type ColdStartDistribution } from '../../test/fakes/serverless-sim.js';
import { Heap } from './heap.js';
import type { TraceArrival } from './trace.js';

export interface WorkerModel {
  coldStart: ColdStartDistribution;
  /** Fixed container time per segment (the seed fit's `rttSec`). */
  perSegmentSec: number;
  /** Per audio second: upload + compute. */
  perAudioSec: number;
  /**
   * A cold start paid inside the worker's first segment instead of before it is ready (an endpoint
   * that loads its model on the first request): it then counts in the measured slot speed too.
   */
  firstSegmentColdStart?: ColdStartDistribution;
}

/** bench/seed-fit.md: lognormal 15 s / σ 0.8 cold start, 17 s per request, 40 Mbit/s of 17.9 kB/s FLAC, RTF 0.006. */
export const SEED_WORKER: WorkerModel = {
  coldStart: { kind: 'lognormal', medianSec: 15, sigma: 0.8 },
  perSegmentSec: 17,
  perAudioSec: 17_900 / 5_000_000 + 0.006,
};

/** A CPU pool for degraded work: pocketsphinx as measured here (RTF 0.115, 0.3 s per process start; bench/RESULTS.md). */
export const CPU_WORKER: WorkerModel = { coldStart: { kind: 'fixed', sec: 0 }, perSegmentSec: 0.3, perAudioSec: 0.115 };

export interface SimPolicy {
  name: string;
  /** A fixed fleet of this many warm workers (no autoscaler); undefined: autoscaled. */
  fixedWorkers?: number;
  forecast: boolean;
  minWorkers: number;
  maxWorkers: number;
  scaleDownStabilisationSec: number;
  latencyTargetSec: number;
  provisioningDelaySec: number;
  /** forecast.targetUtilisation (default 0.8). */
  targetUtilisation?: number;
  degrade?: DegradePolicy & { cpuSlots: number };
}

export interface SimOptions {
  /** The arrivals; those before `fromSec` are only history for the forecast. */
  trace: readonly TraceArrival[];
  fromSec: number;
  toSec: number;
  worker: WorkerModel;
  seed: number;
  /** Trace second 0 in epoch seconds (bins align to the epoch; a Monday 00:00 UTC keeps days whole). */
  epochSec: number;
  pollSec: number;
  segmentSec: number;
  /** Client time per job outside the workers (probe, decode, pauses, plan; stitch, write). */
  clientBeforeSec: number;
  clientAfterSec: number;
  slo: (audioSec: number) => number;
}

export interface JobResult {
  atSec: number;
  audioSec: number;
  priority: Priority;
  turnaroundSec: number;
  withinSlo: boolean;
  degraded: boolean;
}

export interface SimResult {
  policy: string;
  jobs: JobResult[];
  gpuSec: number;
  busySec: number;
  scaleUps: number;
  scaleDowns: number;
  workersStarted: number;
  /** Worker count over time (at each poll), for plots. */
  fleet: Array<[number, number]>;
  /** Longest wait of a critical segment on the queue, and the longest GPU segment service. */
  maxCriticalWaitSec: number;
  maxServiceSec: number;
  cpuBusySec: number;
}

interface Job {
  arrival: TraceArrival;
  remaining: number;
  degraded: boolean;
}

interface Segment {
  job: Job;
  audioSec: number;
  enqueuedAt: number;
  seq: number;
}

interface Worker {
  state: 'starting' | 'idle' | 'busy' | 'stopped';
  since: number;
  readyAt: number;
  stopping: boolean;
  pool: 'gpu' | 'cpu';
  /** Seconds the next segment adds (firstSegmentColdStart), then 0. */
  firstExtraSec: number;
}

type EventBody = { t: number } & ({ kind: 'arrive'; job: Job } | { kind: 'enqueue'; job: Job } | { kind: 'ready'; worker: Worker } | { kind: 'done'; worker: Worker; segment: Segment; startedAt: number } | { kind: 'tick' });
type Event = EventBody & { seq: number };

export async function simulate(policy: SimPolicy, options: SimOptions): Promise<SimResult> {
  const random = seededRandom(options.seed);
  const events = new Heap<Event>((a, b) => a.t - b.t || a.seq - b.seq);
  let seq = 0;
  const push = (e: EventBody) => events.push({ ...e, seq: seq++ });
  const queues = { gpu: new Heap<Segment>(bySchedule), cpu: new Heap<Segment>(bySchedule) };
  const backlog = { waiting: 0, active: 0, audioSec: 0 };
  const workers: Worker[] = [];
  const idle = { gpu: [] as Worker[], cpu: [] as Worker[] };
  const finished: FinishedSegment[] = [];
  const results: JobResult[] = [];
  const fleet: Array<[number, number]> = [];
  let gpuSec = 0;
  let busySec = 0;
  let cpuBusySec = 0;
  let scaleUps = 0;
  let scaleDowns = 0;
  let started = 0;
  let maxCriticalWaitSec = 0;
  let maxServiceSec = 0;
  let unfinished = 0;
  const epoch = options.epochSec;
  const signal = new FleetSignal({
    policy: {
      minWorkers: policy.minWorkers,
      maxWorkers: policy.maxWorkers,
      scaleDownStabilisationSec: policy.scaleDownStabilisationSec,
      provisioningDelaySec: policy.provisioningDelaySec,
      forecast: { enabled: policy.forecast, binSec: 300, refitSec: 900, historyDays: 28, recentSec: 3_600, levelWeight: 0.5, maxLevelRatio: 3, targetUtilisation: policy.targetUtilisation ?? 0.8 },
    },
    loadArrivals: async (sinceSec) => options.trace.filter((a) => a.atSec + epoch >= sinceSec).map((a) => ({ atSec: a.atSec + epoch, audioSec: a.audioSec })),
  });

  const startWorker = (now: number, pool: 'gpu' | 'cpu', warm: boolean) => {
    const model = pool === 'gpu' ? options.worker : CPU_WORKER;
    const w: Worker = { state: 'starting', since: now, readyAt: now, stopping: false, pool, firstExtraSec: 0 };
    if (model.firstSegmentColdStart && !warm) w.firstExtraSec = drawColdStart(model.firstSegmentColdStart, random);
    workers.push(w);
    if (warm) {
      w.state = 'idle';
      idle[pool].push(w);
    } else {
      w.readyAt = now + drawColdStart(model.coldStart, random);
      push({ t: w.readyAt, kind: 'ready', worker: w });
    }
    if (pool === 'gpu') started += 1;
  };
  const stopWorker = (now: number, w: Worker) => {
    if (w.pool === 'gpu') gpuSec += now - w.since;
    w.state = 'stopped';
  };
  const dispatch = (now: number, pool: 'gpu' | 'cpu') => {
    const queue = queues[pool];
    while (idle[pool].length > 0 && queue.size > 0) {
      const w = idle[pool].pop()!;
      const segment = queue.pop()!;
      const model = pool === 'gpu' ? options.worker : CPU_WORKER;
      const serviceSec = model.perSegmentSec + model.perAudioSec * segment.audioSec + w.firstExtraSec;
      w.firstExtraSec = 0;
      w.state = 'busy';
      if (pool === 'gpu') {
        backlog.waiting -= 1;
        backlog.active += 1;
        if (segment.job.arrival.priority === 'critical') maxCriticalWaitSec = Math.max(maxCriticalWaitSec, now - segment.enqueuedAt);
        maxServiceSec = Math.max(maxServiceSec, serviceSec);
      }
      push({ t: now + serviceSec, kind: 'done', worker: w, segment, startedAt: now });
    }
  };

  if (policy.fixedWorkers !== undefined) for (let i = 0; i < policy.fixedWorkers; i++) startWorker(options.fromSec, 'gpu', true);
  else for (let i = 0; i < policy.minWorkers; i++) startWorker(options.fromSec, 'gpu', true);
  if (policy.degrade) for (let i = 0; i < policy.degrade.cpuSlots; i++) startWorker(options.fromSec, 'cpu', true);
  for (const arrival of options.trace) {
    if (arrival.atSec < options.fromSec || arrival.atSec >= options.toSec) continue;
    push({ t: arrival.atSec, kind: 'arrive', job: { arrival, remaining: 0, degraded: false } });
    unfinished += 1;
  }
  if (policy.fixedWorkers === undefined) push({ t: options.fromSec, kind: 'tick' });

  let lastSlotSpeed: number | undefined;
  while (events.size > 0) {
    const e = events.pop()!;
    const now = e.t;
    switch (e.kind) {
      case 'arrive': {
        const job = e.job;
        if (policy.degrade && lastSlotSpeed !== undefined) {
          const decision = degradeDecision(job.arrival.priority, { backlogSlotSec: backlog.audioSec / lastSlotSpeed, maxWorkers: policy.maxWorkers, slotsPerWorker: 1 }, policy.degrade);
          job.degraded = decision.degrade;
        }
        push({ t: now + options.clientBeforeSec, kind: 'enqueue', job });
        break;
      }
      case 'enqueue': {
        const plan = planSegments(e.job.arrival.audioSec, [], { targetSec: options.segmentSec });
        e.job.remaining = plan.length;
        const pool = e.job.degraded ? 'cpu' : 'gpu';
        for (const s of plan) {
          const audioSec = s.endSec - s.startSec;
          queues[pool].push({ job: e.job, audioSec, enqueuedAt: now, seq: seq++ });
          if (pool === 'gpu') {
            backlog.waiting += 1;
            backlog.audioSec += audioSec;
          }
        }
        dispatch(now, pool);
        break;
      }
      case 'ready': {
        if (e.worker.state !== 'starting') break;
        e.worker.state = 'idle';
        idle[e.worker.pool].push(e.worker);
        dispatch(now, e.worker.pool);
        break;
      }
      case 'done': {
        const { worker, segment } = e;
        if (worker.pool === 'gpu') {
          backlog.active -= 1;
          backlog.audioSec -= segment.audioSec;
          busySec += now - e.startedAt;
          finished.push({ backend: 'gpu', startSec: 0, endSec: segment.audioSec, startedAtSec: e.startedAt + epoch, completedAtSec: now + epoch });
        } else cpuBusySec += now - e.startedAt;
        segment.job.remaining -= 1;
        if (segment.job.remaining === 0) {
          const { arrival } = segment.job;
          const turnaroundSec = now + options.clientAfterSec - arrival.atSec;
          results.push({ atSec: arrival.atSec, audioSec: arrival.audioSec, priority: arrival.priority, turnaroundSec, withinSlo: turnaroundSec <= options.slo(arrival.audioSec), degraded: segment.job.degraded });
          unfinished -= 1;
        }
        if (worker.stopping) stopWorker(now, worker);
        else {
          worker.state = 'idle';
          idle[worker.pool].push(worker);
          dispatch(now, worker.pool);
        }
        break;
      }
      case 'tick': {
        while (finished.length > 0 && finished[0]!.completedAtSec < now + epoch - 3_600) finished.shift();
        const throughput = measureThroughput(finished, now + epoch, { throughputWindowSec: 300, speedWindowSec: 3_600 });
        const slotSpeed = throughput.get('gpu')?.slotSpeed;
        lastSlotSpeed = slotSpeed ?? lastSlotSpeed;
        const reactive = desiredWorkers([{ backend: 'gpu', waitingTasks: backlog.waiting, activeTasks: backlog.active, backlogAudioSec: backlog.audioSec, slotSpeed }], 1, {
          latencyTargetSec: policy.latencyTargetSec,
          minWorkers: 0,
          maxWorkers: Number.MAX_SAFE_INTEGER,
        }).desiredWorkers;
        await signal.refitIfStale(now + epoch);
        const target = signal.decide({ nowSec: now + epoch, reactiveWorkers: reactive, slotSpeed: fleetSlotSpeed(throughput), slotsPerWorker: 1 }).desiredWorkers;
        const live = workers.filter((w) => w.pool === 'gpu' && w.state !== 'stopped' && !w.stopping);
        if (target > live.length) {
          scaleUps += 1;
          for (let i = live.length; i < target; i++) startWorker(now, 'gpu', false);
        } else if (target < live.length) {
          scaleDowns += 1;
          // Idle first, then those still starting (newest first), then busy ones after their segment (SIGTERM grace).
          const order = [...live].sort((a, b) => rank(a) - rank(b) || b.since - a.since);
          for (const w of order.slice(0, live.length - target)) {
            if (w.state === 'busy') w.stopping = true;
            else {
              if (w.state === 'idle') idle.gpu.splice(idle.gpu.indexOf(w), 1);
              stopWorker(now, w);
            }
          }
        }
        fleet.push([now, workers.filter((w) => w.pool === 'gpu' && w.state !== 'stopped').length]);
        if (now < options.toSec || unfinished > 0) push({ t: now + options.pollSec, kind: 'tick' });
        break;
      }
    }
  }
  const endSec = Math.max(options.toSec, ...results.map((r) => r.atSec + r.turnaroundSec));
  for (const w of workers) if (w.state !== 'stopped') stopWorker(endSec, w);
  return { policy: policy.name, jobs: results, gpuSec, busySec, scaleUps, scaleDowns, workersStarted: started, fleet, maxCriticalWaitSec, maxServiceSec, cpuBusySec };
}

function bySchedule(a: Segment, b: Segment): number {
  return BULL_PRIORITY[a.job.arrival.priority] - BULL_PRIORITY[b.job.arrival.priority] || a.seq - b.seq;
}

function rank(w: Worker): number {
  return w.state === 'idle' ? 0 : w.state === 'starting' ? 1 : 2;
}
