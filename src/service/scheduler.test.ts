import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobScheduler } from './scheduler.js';

/** A run function whose jobs finish only when the test says so. */
function controlledRuns() {
  const started: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const finishers = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  let running = 0;
  let peak = 0;
  const waiters: Array<() => void> = [];
  const run = (jobId: string, signal: AbortSignal): Promise<void> => {
    started.push(jobId);
    signals.set(jobId, signal);
    running++;
    peak = Math.max(peak, running);
    for (const wake of waiters.splice(0)) wake();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = () => {
        if (!settled) running--;
        settled = true;
      };
      finishers.set(jobId, {
        resolve: () => {
          settle();
          resolve();
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      // A running job ends when aborted, as runJob does.
      signal.addEventListener('abort', () => {
        settle();
        reject(signal.reason);
      });
    });
  };
  return {
    run,
    started,
    signals,
    peak: () => peak,
    finish: (jobId: string) => finishers.get(jobId)!.resolve(),
    fail: (jobId: string, error: unknown) => finishers.get(jobId)!.reject(error),
    /** Resolves once `count` jobs have started in total. */
    startedCount: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (started.length >= count ? resolve() : waiters.push(check));
        check();
      }),
  };
}

test('scheduler: never more than maxConcurrent running; the rest wait and start as slots free', async () => {
  const runs = controlledRuns();
  const scheduler = new JobScheduler(2, runs.run);
  for (const id of ['a', 'b', 'c', 'd', 'e']) scheduler.enqueue(id, 'normal');
  assert.deepEqual(runs.started, ['a', 'b']);
  assert.equal(scheduler.running, 2);
  assert.equal(scheduler.queued, 3);
  runs.finish('a');
  await runs.startedCount(3);
  assert.deepEqual(runs.started, ['a', 'b', 'c']);
  assert.equal(scheduler.running, 2);
  runs.finish('b');
  runs.finish('c');
  await runs.startedCount(5);
  assert.deepEqual(runs.started, ['a', 'b', 'c', 'd', 'e']);
  runs.finish('d');
  runs.finish('e');
  await scheduler.stop(false);
  assert.equal(runs.peak(), 2);
  assert.equal(scheduler.running, 0);
  assert.equal(scheduler.queued, 0);
});

test('scheduler: critical before normal before batch, FIFO within a priority', async () => {
  const runs = controlledRuns();
  const scheduler = new JobScheduler(1, runs.run);
  scheduler.enqueue('first', 'batch'); // starts at once: the slot is free
  scheduler.enqueue('b1', 'batch');
  scheduler.enqueue('n1', 'normal');
  scheduler.enqueue('c1', 'critical');
  scheduler.enqueue('b2', 'batch');
  scheduler.enqueue('n2', 'normal');
  scheduler.enqueue('c2', 'critical');
  assert.deepEqual(runs.started, ['first']);
  const order = ['first', 'c1', 'c2', 'n1', 'n2', 'b1', 'b2'];
  for (let i = 0; i < order.length; i++) {
    await runs.startedCount(i + 1);
    assert.equal(runs.started[i], order[i]);
    assert.equal(scheduler.running, 1);
    runs.finish(order[i]!);
  }
  await scheduler.stop(false);
  assert.deepEqual(runs.started, order);
});

test('scheduler: cancel of a queued job → "dequeued" and it never runs', async () => {
  const runs = controlledRuns();
  const scheduler = new JobScheduler(1, runs.run);
  scheduler.enqueue('a', 'normal');
  scheduler.enqueue('b', 'normal');
  scheduler.enqueue('c', 'normal');
  assert.equal(scheduler.cancel('b'), 'dequeued');
  assert.equal(scheduler.has('b'), false);
  assert.equal(scheduler.queued, 1);
  runs.finish('a');
  await runs.startedCount(2);
  runs.finish('c');
  await scheduler.stop(false);
  assert.deepEqual(runs.started, ['a', 'c']);
  assert.equal(scheduler.cancel('b'), 'unknown');
  assert.equal(scheduler.cancel('nope'), 'unknown');
});

test('scheduler: cancel of a running job → "aborted", its signal aborts, the next job starts', async () => {
  const runs = controlledRuns();
  const errors: Array<[string, unknown]> = [];
  const scheduler = new JobScheduler(1, runs.run, (jobId, error) => errors.push([jobId, error]));
  scheduler.enqueue('a', 'normal');
  scheduler.enqueue('b', 'normal');
  const signal = runs.signals.get('a')!;
  assert.equal(signal.aborted, false);
  assert.equal(scheduler.cancel('a'), 'aborted');
  assert.equal(signal.aborted, true);
  assert.match(String((signal.reason as Error).message), /cancel/);
  await runs.startedCount(2);
  assert.deepEqual(runs.started, ['a', 'b']);
  assert.equal(runs.signals.get('b')!.aborted, false);
  assert.equal(scheduler.has('a'), false);
  assert.deepEqual(errors.map(([id]) => id), ['a']);
  runs.finish('b');
  await scheduler.stop(false);
});

test('scheduler: stop(true) aborts running jobs, drops queued ones, and resolves after they settle', async () => {
  const runs = controlledRuns();
  const settled: string[] = [];
  // Jobs that take a moment to wind down after the abort, as a real job does.
  const slowRun = (jobId: string, signal: AbortSignal) =>
    runs.run(jobId, signal).catch(async (error: unknown) => {
      await new Promise((resolve) => setImmediate(resolve));
      settled.push(jobId);
      throw error;
    });
  const slow = new JobScheduler(2, slowRun);
  slow.enqueue('a', 'normal');
  slow.enqueue('b', 'normal');
  slow.enqueue('c', 'normal');
  assert.equal(slow.running, 2);
  await slow.stop(true);
  assert.equal(runs.signals.get('a')!.aborted, true);
  assert.equal(runs.signals.get('b')!.aborted, true);
  assert.deepEqual(settled.sort(), ['a', 'b'], 'stop resolved before the running jobs settled');
  assert.equal(slow.running, 0);
  assert.equal(slow.queued, 0);
  assert.deepEqual(runs.started, ['a', 'b'], 'a queued job started after stop');
  // A stopped scheduler takes no new work.
  slow.enqueue('d', 'critical');
  assert.equal(slow.has('d'), false);
  assert.deepEqual(runs.started, ['a', 'b']);
});

test('scheduler: stop(false) waits for running jobs without aborting them', async () => {
  const runs = controlledRuns();
  const scheduler = new JobScheduler(1, runs.run);
  scheduler.enqueue('a', 'normal');
  scheduler.enqueue('b', 'normal');
  let stopped = false;
  const stopping = scheduler.stop(false).then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, 'stop resolved while a job was still running');
  assert.equal(runs.signals.get('a')!.aborted, false);
  runs.finish('a');
  await stopping;
  assert.deepEqual(runs.started, ['a']);
});

test('scheduler: a duplicate enqueue (queued or running) is ignored', async () => {
  const runs = controlledRuns();
  const scheduler = new JobScheduler(1, runs.run);
  scheduler.enqueue('a', 'normal');
  scheduler.enqueue('a', 'critical'); // running
  scheduler.enqueue('b', 'batch');
  scheduler.enqueue('b', 'critical'); // queued: keeps its place and priority
  scheduler.enqueue('c', 'normal');
  assert.equal(scheduler.running, 1);
  assert.equal(scheduler.queued, 2);
  runs.finish('a');
  await runs.startedCount(2);
  assert.equal(runs.started[1], 'c', 'the duplicate enqueue changed b’s priority');
  runs.finish('c');
  await runs.startedCount(3);
  runs.finish('b');
  await scheduler.stop(false);
  assert.deepEqual(runs.started, ['a', 'c', 'b']);
});

test('scheduler: a run that throws calls onError and the next job starts', async () => {
  const runs = controlledRuns();
  const errors: Array<[string, unknown]> = [];
  const scheduler = new JobScheduler(1, runs.run, (jobId, error) => errors.push([jobId, error]));
  scheduler.enqueue('a', 'normal');
  scheduler.enqueue('b', 'normal');
  const boom = new Error('boom');
  runs.fail('a', boom);
  await runs.startedCount(2);
  assert.deepEqual(errors, [['a', boom]]);
  assert.equal(scheduler.running, 1);
  runs.finish('b');
  await scheduler.stop(false);
  assert.deepEqual(errors, [['a', boom]], 'a job that succeeded was reported as an error');
});

test('scheduler: an async run that rejects at once still frees its slot for the next job', async () => {
  const errors: string[] = [];
  const started: string[] = [];
  const scheduler = new JobScheduler(
    1,
    async (jobId) => {
      started.push(jobId);
      if (jobId === 'bad') throw new Error('bad job');
    },
    (jobId) => errors.push(jobId),
  );
  scheduler.enqueue('bad', 'normal');
  scheduler.enqueue('good', 'normal');
  await new Promise((resolve) => setImmediate(resolve));
  await scheduler.stop(false);
  assert.deepEqual(started, ['bad', 'good']);
  assert.deepEqual(errors, ['bad']);
});

test('scheduler: maxPerOwner: a key over its own limit waits while other keys start, in priority order', async () => {
  const runs = controlledRuns();
  const scheduler = new JobScheduler(3, runs.run, () => {}, 1);
  scheduler.enqueue('a1', 'normal', 'alice');
  scheduler.enqueue('a2', 'critical', 'alice'); // first in the queue, but alice has one running
  scheduler.enqueue('b1', 'normal', 'bob');
  scheduler.enqueue('a3', 'normal', 'alice');
  scheduler.enqueue('c1', 'batch', 'carol');
  await runs.startedCount(3);
  assert.deepEqual(runs.started, ['a1', 'b1', 'c1']);
  assert.equal(scheduler.runningFor('alice'), 1);
  assert.equal(scheduler.queuedFor('alice'), 2);
  assert.equal(scheduler.queuedFor('bob'), 0);
  runs.finish('a1');
  await runs.startedCount(4);
  assert.equal(runs.started[3], 'a2', 'the critical job of alice next');
  runs.finish('b1'); // a free slot, but alice is at her limit: a3 waits
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(runs.started.length, 4);
  assert.equal(scheduler.running, 2);
  runs.finish('a2');
  await runs.startedCount(5);
  assert.equal(runs.started[4], 'a3');
  runs.finish('a3');
  runs.finish('c1');
  await scheduler.stop(false);
});
