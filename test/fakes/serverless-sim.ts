/**
 * FAKE server support (test and benchmark code, not product code): a simulated scale-to-zero GPU
 * endpoint, after the seed study's serverless workers. The fake OpenAI server
 * (openai-server.ts, option `serverless`) runs every transcription request through one pool:
 *
 * - The pool grows to at most `maxContainers` (k) containers. A request takes an idle container if
 *   there is one (the most recently used, so that extra containers can go idle and stop). Otherwise,
 *   below k, it starts a new container dedicated to it and pays that container's cold start, drawn
 *   from `coldStart` with the seeded PRNG. At k, it waits (FIFO) until a container is handed back:
 *   that is its queue wait.
 * - On its container, a request pays its overhead, `rttSec + bodyBytes / uploadBytesPerSec`, then its
 *   compute, `rtf × the uploaded audio's duration`. The overhead holds the container, like a worker
 *   that receives and prepares its input before the model runs (see bench/seed-fit.md for why the fit
 *   needs that). The real work behind the answer (decoding, text) runs inside the compute window; if
 *   it takes longer, the answer is late by the difference, which is reported.
 * - A container handed back with nobody waiting goes idle; after `idleTimeoutSec` idle it stops.
 *   With every container stopped the endpoint has scaled to zero, and the next request is cold again.
 * - A request whose client gives up (`cancel` signal: a hedged duplicate lost, a job cancelled) is
 *   cancelled like on a real platform: out of the queue if still waiting; a container still booting
 *   finishes its boot and is then handed on (boots are not aborted); during overhead or compute the
 *   container is handed back at once, and only the compute already spent is reported
 *   (`SimCancelledError.report`). The table fit (bench/seed-fit.md) never cancels, so it is unaffected.
 *
 * Every request gets a `SimReport` (container id, cold start paid, queue wait, ...), which the fake
 * server puts in its log and in `x-sim-*` response headers (plus `x-cold-start: 1` when one was paid).
 */
import { setTimeout as delay } from 'node:timers/promises';

export type ColdStartDistribution =
  /** Always the same. */
  | { kind: 'fixed'; sec: number }
  /** exp(N(ln medianSec, sigma²)), clamped to [minSec, maxSec] when given. */
  | { kind: 'lognormal'; medianSec: number; sigma: number; minSec?: number; maxSec?: number }
  /** One of the given samples, uniformly (an empirical distribution). */
  | { kind: 'empirical'; samplesSec: readonly number[] };

export interface ServerlessOptions {
  /** k: containers at most (the platform's concurrency limit for this endpoint). */
  maxContainers: number;
  coldStart: ColdStartDistribution;
  /** An idle container stops after this long; 0 stops it as soon as it is handed back idle. */
  idleTimeoutSec: number;
  /** Fixed per-request time on the container: the round trip plus per-invocation set-up. */
  rttSec: number;
  /** Upload bandwidth in bytes/s: a request also pays bodyBytes / this. 0 or Infinity: free. */
  uploadBytesPerSec: number;
  /** Compute = rtf × the audio's duration (GPU seconds per audio second). */
  rtf: number;
  /** PRNG seed for the cold starts (default: the server's seed). */
  seed?: number;
}

export interface SimReport {
  /** Container id, 1-based in order of starting; a stopped container's id is never reused. */
  container: number;
  /** This request started its container (and waited for it to boot). */
  cold: boolean;
  /** The cold start this request paid (0: it found a warm container). */
  coldStartSec: number;
  /** Arrival to container assigned. */
  queueWaitSec: number;
  overheadSec: number;
  /** rtf × audioSec. */
  computeSec: number;
  audioSec: number;
  /** Real work that ran past the compute window (the answer came this much later than simulated). */
  lateSec: number;
  /** Seconds since the pool was created. */
  arrivedAtSec: number;
  /** The client gave up before the answer; `computeSec` is then the compute spent until then. */
  cancelled?: boolean;
  finishedAtSec: number;
}

export interface PoolStats {
  /** Containers started so far, i.e. cold starts paid. */
  started: number;
  /** Containers stopped after their idle timeout (or by scaleToZero). */
  stopped: number;
  alive: number;
  busy: number;
  waiting: number;
  maxAlive: number;
  maxBusy: number;
  maxWaiting: number;
}

interface Container {
  id: number;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
}

/** A draw from the distribution, using `random` (uniform in [0, 1)). */
export function drawColdStart(distribution: ColdStartDistribution, random: () => number): number {
  switch (distribution.kind) {
    case 'fixed':
      return distribution.sec;
    case 'empirical': {
      const samples = distribution.samplesSec;
      if (samples.length === 0) throw new Error('empirical cold-start distribution without samples');
      return samples[Math.min(samples.length - 1, Math.floor(random() * samples.length))]!;
    }
    case 'lognormal': {
      // Box–Muller; 1 - random() is in (0, 1], so the log is finite.
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const value = distribution.medianSec * Math.exp(distribution.sigma * normal);
      return Math.min(distribution.maxSec ?? Infinity, Math.max(distribution.minSec ?? 0, value));
    }
  }
}

export class ServerlessPool {
  readonly options: Readonly<ServerlessOptions>;
  readonly #random: () => number;
  readonly #origin = performance.now();
  readonly #containers: Container[] = [];
  readonly #waiting: Array<(container: Container) => void> = [];
  #nextId = 1;
  readonly #stats: PoolStats = { started: 0, stopped: 0, alive: 0, busy: 0, waiting: 0, maxAlive: 0, maxBusy: 0, maxWaiting: 0 };

  constructor(options: ServerlessOptions, random: () => number) {
    if (!Number.isInteger(options.maxContainers) || options.maxContainers < 1) throw new Error('serverless: maxContainers must be an integer ≥ 1');
    this.options = { ...options };
    this.#random = random;
  }

  #now(): number {
    return (performance.now() - this.#origin) / 1000;
  }

  /**
   * Serves one request: waits for a container, pays its cold start (if new), its overhead and its
   * compute. `work` does the real work and says how long the audio is; it starts when compute does.
   * `signal` (the server shutting down) ends the sleeps with an AbortError.
   */
  async run<T>(
    bodyBytes: number,
    work: () => Promise<{ value: T; audioSec: number }>,
    signal?: AbortSignal,
    cancel?: AbortSignal,
  ): Promise<{ value: T; report: SimReport }> {
    const arrivedAtSec = this.#now();
    const { container, cold } = await this.#acquire(cancel).catch((error: unknown) => {
      if (cancel?.aborted) throw new SimCancelledError(this.#report({ container: 0, cold: false, coldStartSec: 0, queueWaitSec: this.#now() - arrivedAtSec, arrivedAtSec }));
      throw error;
    });
    const queueWaitSec = this.#now() - arrivedAtSec;
    const base = { container: container.id, cold, queueWaitSec, arrivedAtSec };
    let handBackAtSec = 0; // a cancelled boot hands its container on when the boot is over
    try {
      const coldStartSec = cold ? drawColdStart(this.options.coldStart, this.#random) : 0;
      const bootedAtSec = this.#now() + coldStartSec;
      const bandwidth = this.options.uploadBytesPerSec;
      const overheadSec = this.options.rttSec + (bandwidth > 0 && Number.isFinite(bandwidth) ? bodyBytes / bandwidth : 0);
      const cancelled = (computeSec: number, audioSec = 0) => new SimCancelledError(this.#report({ ...base, coldStartSec, overheadSec, computeSec, audioSec }));
      if (!(await sleepUnlessCancelled(coldStartSec, signal, cancel))) {
        handBackAtSec = bootedAtSec;
        throw cancelled(0);
      }
      if (!(await sleepUnlessCancelled(overheadSec, signal, cancel))) throw cancelled(0);
      const computeStart = performance.now();
      const { value, audioSec } = await work();
      const computeSec = this.options.rtf * audioSec;
      const workSec = (performance.now() - computeStart) / 1000;
      if (!(await sleepUnlessCancelled(computeSec - workSec, signal, cancel))) {
        throw cancelled(Math.min(computeSec, (performance.now() - computeStart) / 1000), audioSec);
      }
      const report = this.#report({ ...base, coldStartSec, overheadSec, computeSec, audioSec, lateSec: Math.max(0, workSec - computeSec) });
      return { value, report };
    } finally {
      const waitSec = handBackAtSec - this.#now();
      if (waitSec > 0) setTimeout(() => this.#release(container), waitSec * 1000);
      else this.#release(container);
    }
  }

  #report(fields: Omit<SimReport, 'overheadSec' | 'computeSec' | 'audioSec' | 'lateSec' | 'finishedAtSec'> & Partial<SimReport>): SimReport {
    const report: SimReport = { overheadSec: 0, computeSec: 0, audioSec: 0, lateSec: 0, ...fields, finishedAtSec: this.#now() };
    return report;
  }

  #acquire(cancel?: AbortSignal): Promise<{ container: Container; cold: boolean }> {
    let idle: Container | undefined;
    for (const c of this.#containers) if (!c.busy) idle = c; // the last idle one: most recently used
    if (idle) {
      clearTimeout(idle.idleTimer);
      this.#setBusy(idle, true);
      return Promise.resolve({ container: idle, cold: false });
    }
    if (this.#containers.length < this.options.maxContainers) {
      const container: Container = { id: this.#nextId++, busy: false };
      this.#containers.push(container);
      this.#stats.started++;
      this.#stats.alive = this.#containers.length;
      this.#stats.maxAlive = Math.max(this.#stats.maxAlive, this.#stats.alive);
      this.#setBusy(container, true);
      return Promise.resolve({ container, cold: true });
    }
    return new Promise((resolve, reject) => {
      const waiter = (container: Container) => {
        cancel?.removeEventListener('abort', onCancel);
        resolve({ container, cold: false });
      };
      const onCancel = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        this.#stats.waiting = this.#waiting.length;
        reject(new Error('cancelled while queued'));
      };
      if (cancel?.aborted) return onCancel();
      cancel?.addEventListener('abort', onCancel, { once: true });
      this.#waiting.push(waiter);
      this.#stats.waiting = this.#waiting.length;
      this.#stats.maxWaiting = Math.max(this.#stats.maxWaiting, this.#stats.waiting);
    });
  }

  #release(container: Container): void {
    const next = this.#waiting.shift();
    this.#stats.waiting = this.#waiting.length;
    if (next) return next(container); // handed on warm: it stays busy
    this.#setBusy(container, false);
    // Most recently used last, so #acquire reuses it first and the others can time out.
    this.#containers.splice(this.#containers.indexOf(container), 1);
    this.#containers.push(container);
    if (this.options.idleTimeoutSec <= 0) return this.#stop(container);
    container.idleTimer = setTimeout(() => this.#stop(container), this.options.idleTimeoutSec * 1000);
    container.idleTimer.unref();
  }

  #setBusy(container: Container, busy: boolean): void {
    container.busy = busy;
    this.#stats.busy = this.#containers.filter((c) => c.busy).length;
    this.#stats.maxBusy = Math.max(this.#stats.maxBusy, this.#stats.busy);
  }

  #stop(container: Container): void {
    if (container.busy) return;
    clearTimeout(container.idleTimer);
    const index = this.#containers.indexOf(container);
    if (index < 0) return;
    this.#containers.splice(index, 1);
    this.#stats.stopped++;
    this.#stats.alive = this.#containers.length;
  }

  /** Stops every idle container now (benchmarks start each run from zero, like a cold platform). */
  scaleToZero(): void {
    for (const container of [...this.#containers]) this.#stop(container);
  }

  stats(): PoolStats {
    return { ...this.#stats };
  }

  /** Zeroes the counters and maxima (the live values stay). */
  resetStats(): void {
    Object.assign(this.#stats, { started: 0, stopped: 0, maxAlive: this.#stats.alive, maxBusy: this.#stats.busy, maxWaiting: this.#stats.waiting });
  }

  close(): void {
    for (const container of this.#containers) clearTimeout(container.idleTimer);
  }
}

/** A request the client cancelled; `report` says what it had cost (compute spent so far). */
export class SimCancelledError extends Error {
  constructor(readonly report: SimReport) {
    super('request cancelled by the client');
    this.name = 'SimCancelledError';
    report.cancelled = true;
  }
}

/**
 * Sleeps; false when `cancel` ends it (the client gave up). `signal` (the server shutting down) ends
 * it with an AbortError.
 */
async function sleepUnlessCancelled(sec: number, signal: AbortSignal | undefined, cancel: AbortSignal | undefined): Promise<boolean> {
  signal?.throwIfAborted();
  if (cancel?.aborted) return false;
  if (sec <= 0) return true;
  const either = signal && cancel ? AbortSignal.any([signal, cancel]) : (cancel ?? signal);
  try {
    await delay(sec * 1000, undefined, either ? { signal: either } : {});
    return true;
  } catch (error) {
    if (signal?.aborted) throw error;
    return false;
  }
}

/** The response headers that expose a report (for benchmarks that drive the fake over HTTP). */
export function simHeaders(report: SimReport): Record<string, string> {
  const ms = (sec: number) => String(Math.round(sec * 1000));
  return {
    ...(report.cold ? { 'x-cold-start': '1' } : {}),
    'x-sim-container': String(report.container),
    'x-sim-cold-start-ms': ms(report.coldStartSec),
    'x-sim-queue-wait-ms': ms(report.queueWaitSec),
    'x-sim-overhead-ms': ms(report.overheadSec),
    'x-sim-compute-ms': ms(report.computeSec),
    'x-sim-late-ms': ms(report.lateSec),
    // What parascribe records as the segment's compute (its `computeSec`): the simulated GPU time.
    'openai-processing-ms': ms(report.computeSec),
  };
}
