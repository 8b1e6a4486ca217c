/**
 * The embedded queue: a worker pool of size k over a list of tasks. Results are handed on in task
 * order as soon as all earlier tasks are done (so partial transcripts stream out in order); the first
 * failure aborts everything still running.
 */
import { ParascribeError, toParascribeError } from '../errors.js';

export interface PoolOptions<T, R> {
  concurrency: number;
  signal: AbortSignal;
  run: (task: T, signal: AbortSignal) => Promise<R>;
  /** Called once per task, in task order, as soon as it and every earlier task are done. */
  onInOrder?: (task: T, result: R, position: number) => void | Promise<void>;
}

export async function runPool<T, R>(tasks: readonly T[], options: PoolOptions<T, R>): Promise<R[]> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal.aborted) controller.abort(options.signal.reason);

  const results = new Array<R>(tasks.length);
  const done = new Array<boolean>(tasks.length).fill(false);
  let nextToStart = 0;
  let nextToEmit = 0;
  let failure: ParascribeError | undefined;
  // In-order emission is serialised so a slow consumer never sees results out of order.
  let emitting = Promise.resolve();

  const emitReady = () => {
    emitting = emitting.then(async () => {
      while (nextToEmit < tasks.length && done[nextToEmit]) {
        const position = nextToEmit++;
        await options.onInOrder?.(tasks[position]!, results[position]!, position);
      }
    });
    return emitting;
  };

  const worker = async () => {
    while (!failure && !controller.signal.aborted && nextToStart < tasks.length) {
      const position = nextToStart++;
      try {
        results[position] = await options.run(tasks[position]!, controller.signal);
        done[position] = true;
        await emitReady();
      } catch (error) {
        failure ??= controller.signal.aborted && options.signal.aborted ? new ParascribeError('ABORTED', 'aborted') : toParascribeError(error);
        controller.abort(failure);
      }
    }
  };

  try {
    const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, tasks.length)) }, worker);
    await Promise.all(workers);
    await emitting;
  } finally {
    options.signal.removeEventListener('abort', onOuterAbort);
  }
  if (failure) throw failure;
  if (options.signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
  return results;
}
