/**
 * The embedded queue: a worker pool of size k over tasks. The tasks are a list, or arrive over time
 * (an async iterable, e.g. a `PushQueue` fed while the audio is still being decoded). Results are
 * handed on in task order as soon as all earlier tasks are done (so partial transcripts stream out in
 * order); the first failure, of a task or of the source, aborts everything still running.
 */
import { ParascribeError, toParascribeError } from '../errors.js';

export interface PoolOptions<T, R> {
  concurrency: number;
  signal: AbortSignal;
  run: (task: T, signal: AbortSignal, position: number) => Promise<R>;
  /** Called once per task, in task order, as soon as it and every earlier task are done. */
  onInOrder?: (task: T, result: R, position: number) => void | Promise<void>;
  /** Called as each task arrives from the source, before any worker can start it. */
  onArrive?: (task: T, position: number) => void;
}

/** Resolves with `promise`, or rejects once `signal` aborts: no wait in the pool outlives its signal. */
function untilAborted<V>(promise: Promise<V>, signal: AbortSignal): Promise<V> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<V>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export async function runPool<T, R>(source: readonly T[] | AsyncIterable<T>, options: PoolOptions<T, R>): Promise<R[]> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal.aborted) controller.abort(options.signal.reason);

  const listed = Array.isArray(source);
  const tasks: T[] = [];
  const results: R[] = [];
  const done: boolean[] = [];
  let ended = false;
  let nextToStart = 0;
  let nextToEmit = 0;
  let failure: ParascribeError | undefined;
  // In-order emission is serialised so a slow consumer never sees results out of order.
  let emitting = Promise.resolve();
  // Idle workers wait on this; it is replaced each time a task arrives or the source ends.
  let wake!: () => void;
  let arrival = new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const wakeAll = wake;
    arrival = new Promise<void>((resolve) => (wake = resolve));
    wakeAll();
  };
  const fail = (error: unknown) => {
    failure ??= controller.signal.aborted && options.signal.aborted ? new ParascribeError('ABORTED', 'aborted') : toParascribeError(error);
    controller.abort(failure);
  };
  const arrive = (task: T) => {
    const position = tasks.length;
    tasks.push(task);
    done.push(false);
    options.onArrive?.(task, position);
  };

  const emitReady = () => {
    emitting = emitting.then(async () => {
      while (nextToEmit < tasks.length && done[nextToEmit]) {
        const position = nextToEmit++;
        await options.onInOrder?.(tasks[position]!, results[position]!, position);
      }
    });
    return emitting;
  };

  /** The next task's position, or undefined once the source is drained or the pool is stopping. */
  const take = async (): Promise<number | undefined> => {
    while (!failure && !controller.signal.aborted) {
      if (nextToStart < tasks.length) return nextToStart++;
      if (ended) return undefined;
      await untilAborted(arrival, controller.signal).catch(() => {});
    }
    return undefined;
  };

  const worker = async () => {
    for (let position = await take(); position !== undefined; position = await take()) {
      try {
        results[position] = await options.run(tasks[position]!, controller.signal, position);
        done[position] = true;
        await emitReady();
      } catch (error) {
        fail(error);
      }
    }
  };

  // Pulls the source into `tasks` as fast as it yields; a failing source fails the pool.
  const feed = async (iterable: AsyncIterable<T>) => {
    const iterator = iterable[Symbol.asyncIterator]();
    let finished = false;
    try {
      while (!failure && !controller.signal.aborted) {
        const next = await untilAborted(iterator.next(), controller.signal);
        if (next.done) {
          finished = true;
          break;
        }
        arrive(next.value);
        notify();
      }
    } catch (error) {
      if (!controller.signal.aborted) fail(error);
    } finally {
      ended = true;
      notify();
      // Tell a source we stopped early (it may hold a pending read); not awaited, so it cannot hang us.
      if (!finished) iterator.return?.().catch(() => {});
    }
  };

  try {
    if (listed) {
      for (const task of source) arrive(task);
      ended = true;
    }
    const workerCount = Math.max(1, listed ? Math.min(options.concurrency, tasks.length) : options.concurrency);
    const feeding = listed ? Promise.resolve() : feed(source as AsyncIterable<T>);
    await Promise.all([feeding, ...Array.from({ length: workerCount }, worker)]);
    await emitting;
  } finally {
    options.signal.removeEventListener('abort', onOuterAbort);
  }
  if (failure) throw failure;
  if (options.signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
  return results;
}

/**
 * Tasks pushed over time, read once as an async iterable (by `runPool`). `close()` ends it after the
 * items pushed so far; `fail(error)` ends it at once with that error (the pool then aborts its tasks).
 * A read waits until one of the three happens: bound it with a signal (the pool does).
 */
export class PushQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #closed = false;
  #readerGone = false;
  #failed: { error: unknown } | undefined;
  #waiters: Array<() => void> = [];

  get closed(): boolean {
    return this.#closed || this.#failed !== undefined;
  }

  /** Adds an item; dropped once the reader has stopped (the pool failed or was aborted). */
  push(item: T): void {
    if (this.#readerGone) return;
    if (this.closed) throw new Error('PushQueue: push after close');
    this.#items.push(item);
    this.#wake();
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.#failed = { error };
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async #next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#failed) throw this.#failed.error;
      if (this.#items.length > 0) return { done: false, value: this.#items.shift()! };
      if (this.#closed) return { done: true, value: undefined };
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => this.#next(),
      return: async () => {
        // The reader is gone: a pending read ends at once, later pushes are dropped.
        this.#readerGone = true;
        this.#closed = true;
        this.#wake();
        return { done: true, value: undefined };
      },
    };
  }
}
