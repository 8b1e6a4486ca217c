import type { Priority } from '../core/types.js';
/**
 * Runs service jobs, at most `maxConcurrent` at once, the rest waiting by priority then age. Each
 * running job has its own AbortController, so a cancel aborts its running segments at once.
 */

const PRIORITY_RANK: Record<Priority, number> = { critical: 0, normal: 1, batch: 2 };

interface Waiting {
  jobId: string;
  rank: number;
  seq: number;
}

export type RunJob = (jobId: string, signal: AbortSignal) => Promise<void>;

export class JobScheduler {
  readonly #waiting: Waiting[] = [];
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #seq = 0;
  #stopped = false;

  constructor(
    private readonly maxConcurrent: number,
    private readonly run: RunJob,
    /** Called when a job's run threw (the job row already records the failure). */
    private readonly onError: (jobId: string, error: unknown) => void = () => {},
  ) {}

  get queued(): number {
    return this.#waiting.length;
  }

  get running(): number {
    return this.#running.size;
  }

  has(jobId: string): boolean {
    return this.#running.has(jobId) || this.#waiting.some((w) => w.jobId === jobId);
  }

  enqueue(jobId: string, priority: Priority): void {
    if (this.#stopped || this.has(jobId)) return;
    this.#waiting.push({ jobId, rank: PRIORITY_RANK[priority], seq: this.#seq++ });
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
    while (!this.#stopped && this.#running.size < this.maxConcurrent && this.#waiting.length > 0) {
      const { jobId } = this.#waiting.shift()!;
      const controller = new AbortController();
      const done = this.run(jobId, controller.signal)
        .catch((error: unknown) => this.onError(jobId, error))
        .finally(() => {
          this.#running.delete(jobId);
          this.#pump();
        });
      this.#running.set(jobId, { controller, done });
    }
  }
}
