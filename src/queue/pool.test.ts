import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParascribeError } from '../errors.js';
import { PushQueue, runPool } from './pool.js';
import { backoffDelayMs, withRetry } from './retry.js';

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new ParascribeError('ABORTED', 'aborted'));
    });
  });

test('pool: results are emitted in task order although they finish out of order', async () => {
  const durations = [50, 10, 30, 5, 20];
  const emitted: number[] = [];
  const finished: number[] = [];
  const results = await runPool(durations.map((ms, i) => ({ ms, i })), {
    concurrency: 3,
    signal: new AbortController().signal,
    run: async (task) => {
      await delay(task.ms);
      finished.push(task.i);
      return task.i * 10;
    },
    onInOrder: (task, result, position) => {
      assert.equal(result, task.i * 10);
      emitted.push(position);
    },
  });
  assert.deepEqual(results, [0, 10, 20, 30, 40]);
  assert.deepEqual(emitted, [0, 1, 2, 3, 4]);
  assert.notDeepEqual(finished, [0, 1, 2, 3, 4], 'the test must actually finish out of order');
});

test('pool: never runs more than k tasks at once', async () => {
  let running = 0;
  let peak = 0;
  await runPool(Array.from({ length: 12 }, (_, i) => i), {
    concurrency: 4,
    signal: new AbortController().signal,
    run: async () => {
      peak = Math.max(peak, ++running);
      await delay(5);
      running--;
    },
  });
  assert.equal(peak, 4);
});

test('pool: a failure aborts the tasks still running and is rethrown', async () => {
  const aborted: number[] = [];
  await assert.rejects(
    runPool([0, 1, 2], {
      concurrency: 3,
      signal: new AbortController().signal,
      run: async (i, signal) => {
        if (i === 1) throw new ParascribeError('BACKEND_FAILED', 'boom');
        try {
          await delay(5_000, signal);
        } catch (error) {
          aborted.push(i);
          throw error;
        }
      },
    }),
    (error: ParascribeError) => error.code === 'BACKEND_FAILED',
  );
  assert.deepEqual(aborted.sort(), [0, 2]);
});

test('pool: aborting the outer signal cancels everything with ABORTED', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(
    runPool([0, 1, 2, 3], { concurrency: 2, signal: controller.signal, run: (_i, signal) => delay(5_000, signal) }),
    (error: ParascribeError) => error.code === 'ABORTED',
  );
});

test('pool over a source that yields over time: runs each task as it arrives, emits in order, at most k at once', async () => {
  const queue = new PushQueue<{ i: number; ms: number }>();
  const startedAt: number[] = [];
  const emitted: number[] = [];
  let running = 0;
  let peak = 0;
  const t0 = performance.now();
  const pool = runPool(queue, {
    concurrency: 2,
    signal: new AbortController().signal,
    run: async (task, _signal, position) => {
      assert.equal(position, task.i);
      startedAt[task.i] = performance.now() - t0;
      peak = Math.max(peak, ++running);
      await delay(task.ms);
      running--;
      return task.i;
    },
    onInOrder: (_task, result, position) => {
      assert.equal(result, position);
      emitted.push(position);
    },
  });
  queue.push({ i: 0, ms: 40 });
  await delay(60);
  assert.deepEqual(emitted, [0], 'the first task ran before the source ended');
  for (const [i, ms] of [[1, 30], [2, 5], [3, 5], [4, 1]] as const) queue.push({ i, ms });
  await delay(10);
  queue.close();
  assert.deepEqual(await pool, [0, 1, 2, 3, 4]);
  assert.deepEqual(emitted, [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.ok(startedAt[0]! < 20, `task 0 started at ${startedAt[0]} ms`);
});

test('pool over a source: an empty source that closes gives no results', async () => {
  const queue = new PushQueue<number>();
  setTimeout(() => queue.close(), 10);
  assert.deepEqual(await runPool(queue, { concurrency: 3, signal: new AbortController().signal, run: async (i) => i }), []);
});

test('pool over a source: a failing source aborts the running tasks and its error is rethrown', async () => {
  const queue = new PushQueue<number>();
  const aborted: number[] = [];
  const pool = runPool(queue, {
    concurrency: 3,
    signal: new AbortController().signal,
    run: async (i, signal) => {
      try {
        await delay(5_000, signal);
      } catch (error) {
        aborted.push(i);
        throw error;
      }
    },
  });
  queue.push(0);
  queue.push(1);
  setTimeout(() => queue.fail(new ParascribeError('CORRUPT_AUDIO', 'truncated')), 20);
  await assert.rejects(pool, (error: ParascribeError) => error.code === 'CORRUPT_AUDIO');
  assert.deepEqual(aborted.sort(), [0, 1]);
  queue.push(2); // the reader is gone: dropped, no throw
});

test('pool over a source: a task failure stops reading the source; the outer signal ends a wait for tasks', async () => {
  const queue = new PushQueue<number>();
  const pool = runPool(queue, {
    concurrency: 2,
    signal: new AbortController().signal,
    run: async (i) => {
      if (i === 1) throw new ParascribeError('BACKEND_FAILED', 'boom');
      return i;
    },
  });
  queue.push(0);
  queue.push(1);
  await assert.rejects(pool, (error: ParascribeError) => error.code === 'BACKEND_FAILED');

  const idle = new PushQueue<number>();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(
    runPool(idle, { concurrency: 2, signal: controller.signal, run: async (i) => i }),
    (error: ParascribeError) => error.code === 'ABORTED',
  );
});

test('retry: retries retryable errors up to maxAttempts, then gives up', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw new ParascribeError('BACKEND_FAILED', 'flaky');
      },
      { policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, signal: new AbortController().signal },
    ),
    (error: ParascribeError) => error.code === 'BACKEND_FAILED',
  );
  assert.equal(calls, 3);
});

test('retry: a non-retryable error fails at once; success after a retry returns the value', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw new ParascribeError('UNSUPPORTED_LANGUAGE', 'no');
      },
      { policy: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 }, signal: new AbortController().signal },
    ),
  );
  assert.equal(calls, 1);
  let attempts = 0;
  const value = await withRetry(
    async (attempt) => {
      attempts = attempt;
      if (attempt < 2) throw new ParascribeError('SEGMENT_TIMEOUT', 'slow');
      return 'ok';
    },
    { policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, signal: new AbortController().signal },
  );
  assert.equal(value, 'ok');
  assert.equal(attempts, 2);
});

test('retry: backoff is full jitter under an exponential cap', () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  const cases: Array<[number, number, number]> = [
    [1, 0.999, 99],
    [2, 0.999, 199],
    [3, 0.5, 200],
    [5, 0.999, 999],
    [9, 0.999, 999],
    [4, 0, 0],
  ];
  for (const [attempt, random, expected] of cases) assert.equal(backoffDelayMs(attempt, policy, () => random), expected);
});

test('retry: a Retry-After hint in the error is a floor under the backoff', async () => {
  const delays: number[] = [];
  let calls = 0;
  await withRetry(
    async () => {
      if (++calls === 1) throw new ParascribeError('BACKEND_FAILED', 'rate limited', { details: { retryAfterMs: 120 } });
      return 'ok';
    },
    { policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, signal: new AbortController().signal, onRetry: (_a, _e, delayMs) => delays.push(delayMs) },
  );
  assert.deepEqual(delays, [120]);
});
