/**
 * Parent side of the whisper.cpp backend: up to `maxWorkers` warm worker processes, one request at a
 * time each. Abort and timeout kill the worker (SIGKILL), since the binding cannot stop a running
 * inference; a replacement starts lazily and its first reply reports the cold start. Idle workers do
 * not keep the parent's event loop alive.
 */
import { ParascribeError } from '../../errors.js';
import type { InitMessage, JobMessage, ResultReply } from './protocol.js';
import { abortError, failureLines, holdWorker, killWorker, startWorker, type ColdStart, type WorkerProcess as Worker } from './worker-process.js';

export { abortError } from './worker-process.js';

export interface PoolOptions {
  init: InitMessage;
  maxWorkers: number;
  /** Names the backend in error messages. */
  label: string;
}

export interface PoolReply {
  result: ResultReply;
  /** Set on a worker's first reply: the model load this request paid (or waited for). */
  cold?: ColdStart;
}

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #workers = new Set<Worker>();
  readonly #waiters: Array<(worker: Worker | undefined) => void> = [];
  #loads = 0;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** Process ids of the live workers. */
  pids(): number[] {
    return [...this.#workers].map((w) => w.child.pid!).filter((pid) => pid !== undefined);
  }

  /** Model loads so far (each is one cold start). */
  get loads(): number {
    return this.#loads;
  }

  #spawn(): Worker {
    const worker = startWorker(this.#options.init, this.#options.label, (closed) => this.#forget(closed));
    this.#workers.add(worker);
    this.#loads++;
    return worker;
  }

  #forget(worker: Worker): void {
    if (!this.#workers.delete(worker)) return;
    // A slot came free: start a fresh worker for the first waiter.
    const waiter = this.#waiters.shift();
    if (waiter) waiter(this.#spawn());
  }

  async #acquire(signal: AbortSignal): Promise<Worker> {
    const idle = [...this.#workers].find((w) => !w.busy && !w.dead);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.#workers.size < this.#options.maxWorkers) return this.#spawn();
    return new Promise<Worker>((resolve, reject) => {
      const waiter = (worker: Worker | undefined) => {
        signal.removeEventListener('abort', onAbort);
        if (worker) resolve(worker);
        else reject(new ParascribeError('ABORTED', `${this.#options.label}: backend closed`));
      };
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(abortError(signal, this.#options.label));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #release(worker: Worker): void {
    worker.onMessage = undefined;
    worker.onClose = undefined;
    if (worker.dead) return; // its close hands the slot to a waiter
    const waiter = this.#waiters.shift();
    if (waiter) return waiter(worker);
    worker.busy = false;
    holdWorker(worker, false);
  }

  /** Loads one worker ahead of the first request (fail fast on a bad model). */
  async warm(signal: AbortSignal): Promise<void> {
    if (this.#workers.size > 0) return;
    const worker = this.#spawn();
    try {
      await this.#guard(worker, worker.ready, signal, undefined);
    } finally {
      if (this.#workers.has(worker)) this.#release(worker);
    }
  }

  /** Runs one job on a worker; rejects with ABORTED, SEGMENT_TIMEOUT, BACKEND_FAILED or BACKEND_UNAVAILABLE. */
  async run(job: Omit<JobMessage, 'type' | 'id'>, signal: AbortSignal, timeoutMs: number): Promise<PoolReply> {
    if (signal.aborted) throw abortError(signal, this.#options.label);
    const worker = await this.#acquire(signal);
    holdWorker(worker, true);
    const id = worker.served + 1;
    const cold = worker.served === 0;
    const work = (async (): Promise<PoolReply> => {
      const ready = await worker.ready;
      const reply = new Promise<ResultReply>((resolve, reject) => {
        worker.onMessage = (message) => {
          if (message.type === 'result' && message.id === id) resolve(message);
          else if (message.type === 'failed' && message.id === id) reject(new ParascribeError('BACKEND_FAILED', `${this.#options.label}: ${message.message}`));
        };
        worker.onClose = () => {
          if (worker.killedBy) return reject(worker.killedBy);
          const why = failureLines(worker.stderr);
          const how = worker.child.signalCode ?? `exit code ${worker.child.exitCode}`;
          reject(new ParascribeError('BACKEND_FAILED', `${this.#options.label}: worker process died (${how})${why ? `: ${why}` : ''}`));
        };
        if (worker.dead) worker.onClose();
      });
      if (!worker.dead) worker.child.send({ type: 'transcribe', id, ...job } satisfies JobMessage);
      const result = await reply;
      if (!cold) return { result };
      // whisper.cpp quietly runs on the CPU when the GPU build finds no device.
      const noDevice = this.#options.init.useGpu && ready.library !== 'default' && /no GPU found/.test(worker.stderr);
      return { result, cold: noDevice ? { ...ready, warnings: [...ready.warnings, `the ${ready.library} build found no GPU; running on the CPU`] } : ready };
    })();
    try {
      const reply = await this.#guard(worker, work, signal, timeoutMs);
      worker.served++;
      this.#release(worker);
      return reply;
    } catch (error) {
      // After a failed request the worker's state is unknown: only a failed reply leaves it usable.
      if ((error as ParascribeError).code === 'BACKEND_FAILED' && !worker.dead) {
        worker.served++;
        this.#release(worker);
      }
      throw error;
    }
  }

  /** Races `work` against abort and timeout; either kills the worker, then rejects with its own error. */
  async #guard<T>(worker: Worker, work: Promise<T>, signal: AbortSignal, timeoutMs: number | undefined): Promise<T> {
    let stopError: ParascribeError | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      const stop = (error: ParascribeError): void => {
        if (stopError) return;
        stopError = error;
        void this.#kill(worker).then(() => reject(error));
      };
      onAbort = () => stop(abortError(signal, this.#options.label));
      if (timeoutMs !== undefined) {
        const seconds = Math.round(timeoutMs / 100) / 10;
        timer = setTimeout(() => stop(new ParascribeError('SEGMENT_TIMEOUT', `${this.#options.label}: no result after ${seconds} s; worker killed`)), timeoutMs);
      }
    });
    work.catch(() => {});
    stopped.catch(() => {});
    if (signal.aborted) onAbort!();
    else signal.addEventListener('abort', onAbort!, { once: true });
    try {
      return await Promise.race([work, stopped]);
    } catch (error) {
      // The kill also fails `work` (worker died); the reason for the kill is the error to report.
      throw stopError ?? error;
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort!);
    }
  }

  async #kill(worker: Worker, reason?: ParascribeError): Promise<void> {
    await killWorker(worker, reason);
    this.#forget(worker);
  }

  /** Kills every worker; requests in flight or queued reject with ABORTED. */
  async close(): Promise<void> {
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    const closed = new ParascribeError('ABORTED', `${this.#options.label}: backend closed`);
    await Promise.all([...this.#workers].map((worker) => this.#kill(worker, closed)));
  }
}
