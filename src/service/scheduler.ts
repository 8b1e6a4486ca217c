import type { Priority } from '../core/types.js';
/**
 * Runs service jobs, at most `maxConcurrent` at once, the rest waiting by priority then age. Each
 * running job has its own AbortController, so a cancel aborts its running segments at once. With
 * `maxPerOwner`, one owner (API key) runs at most that many at once: its next job waits while the
 * jobs of other owners behind it start (serve.maxRunningJobsPerKey).
 */

const PRIORITY_RANK: Record<Priority, number> = { critical: 0, normal: 1, batch: 2 };

interface Waiting {
  jobId: string;
  owner: string;
  rank: number;
  seq: number;
}

export type RunJob = (jobId: string, signal: AbortSignal) => Promise<void>;

export class JobScheduler {
  readonly #waiting: Waiting[] = [];
  readonly #running = new Map<string, { owner: string; controller: AbortController; done: Promise<void> }>();
  #seq = 0;
  #stopped = false;

  constructor(
    private readonly maxConcurrent: number,
    private readonly run: RunJob,
    /** Called when a job's run threw (the job row already records the failure). */
    private readonly onError: (jobId: string, error: unknown) => void = () => {},
    private readonly maxPerOwner: number = Number.POSITIVE_INFINITY,
  ) {}

  get queued(): number {
    return this.#waiting.length;
  }

  get running(): number {
    return this.#running.size;
  }

  /** Jobs of `owner` waiting to start (the per-key queue limit counts these). */
  queuedFor(owner: string): number {
    return this.#waiting.filter((w) => w.owner === owner).length;
  }

  runningFor(owner: string): number {
    let count = 0;
    for (const running of this.#running.values()) if (running.owner === owner) count++;
    return count;
  }

  has(jobId: string): boolean {
    return this.#running.has(jobId) || this.#waiting.some((w) => w.jobId === jobId);
  }

  enqueue(jobId: string, priority: Priority, owner = ''): void {
    if (this.#stopped || this.has(jobId)) return;
    this.#waiting.push({ jobId, owner, rank: PRIORITY_RANK[priority], seq: this.#seq++ });
    this.#waiting.sort((a, b) => a.rank - b.rank || a.seq - b.seq);
    this.#pump();
  }

  /** Ids of the jobs running or waiting here. */
  jobIds(): string[] {
    return [...this.#running.keys(), ...this.#waiting.map((w) => w.jobId)];
  }

  /** 'dequeued' (never started), 'aborted' (was running, aborted with `reason`), or 'unknown' (not here). */
  cancel(jobId: string, reason: unknown = new Error('cancelled')): 'dequeued' | 'aborted' | 'unknown' {
    const index = this.#waiting.findIndex((w) => w.jobId === jobId);
    if (index >= 0) {
      this.#waiting.splice(index, 1);
      return 'dequeued';
    }
    const running = this.#running.get(jobId);
    if (!running) return 'unknown';
    running.controller.abort(reason);
    return 'aborted';
  }

  /** Stops starting jobs; aborts the running ones (with `reason`) when `abortRunning`, and waits for them to settle. */
  async stop(abortRunning: boolean, reason: unknown = new Error('scheduler stopping')): Promise<void> {
    this.#stopped = true;
    this.#waiting.length = 0;
    if (abortRunning) for (const { controller } of this.#running.values()) controller.abort(reason);
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.maxConcurrent) {
      // The first waiting job (by priority, then age) whose owner is under its own limit.
      const index = this.#waiting.findIndex((w) => this.runningFor(w.owner) < this.maxPerOwner);
      if (index < 0) return;
      const [{ jobId, owner }] = this.#waiting.splice(index, 1) as [Waiting];
      const controller = new AbortController();
      const done = this.run(jobId, controller.signal)
        .catch((error: unknown) => this.onError(jobId, error))
        .finally(() => {
          this.#running.delete(jobId);
          this.#pump();
        });
      this.#running.set(jobId, { owner, controller, done });
    }
  }
}
