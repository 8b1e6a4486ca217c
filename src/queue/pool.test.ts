import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParascribeError } from '../errors.js';
import { runPool } from './pool.js';
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
