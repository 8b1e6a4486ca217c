import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobWatch } from './job-watch.js';

const LONG = 60_000; // a timeout that must never be what ends a test

/** Tracks whether a promise has settled yet, without awaiting it. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  void promise.then(() => (done = true));
  return { promise, settled: () => done };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('JobWatch: notify wakes every waiter of that job, and only that job', async () => {
  const watch = new JobWatch();
  const a1 = track(watch.wait('a', LONG));
  const a2 = track(watch.wait('a', LONG));
  const b = track(watch.wait('b', LONG));
  assert.equal(watch.size, 3);
  watch.notify('a');
  assert.equal(await a1.promise, 'changed');
  assert.equal(await a2.promise, 'changed');
  await tick();
  assert.equal(b.settled(), false, 'a notify for job a woke a waiter of job b');
  assert.equal(watch.size, 1);
  watch.notify('b');
  assert.equal(await b.promise, 'changed');
  assert.equal(watch.size, 0);
});

test('JobWatch: notify with no waiters is a no-op, and a later wait needs a later notify', async () => {
  const watch = new JobWatch();
  watch.notify('a');
  assert.equal(watch.size, 0);
  const waiting = track(watch.wait('a', LONG));
  await tick();
  assert.equal(waiting.settled(), false, 'an earlier notify woke a later waiter');
  watch.notify('a');
  assert.equal(await waiting.promise, 'changed');
  assert.equal(watch.size, 0);
});

test('JobWatch: a waiter woken once is gone; a second notify does not affect new waiters wrongly', async () => {
  const watch = new JobWatch();
  const first = watch.wait('a', LONG);
  watch.notify('a');
  watch.notify('a');
  assert.equal(await first, 'changed');
  const second = track(watch.wait('a', LONG));
  await tick();
  assert.equal(second.settled(), false);
  watch.notify('a');
  assert.equal(await second.promise, 'changed');
  assert.equal(watch.size, 0);
});

test('JobWatch: no change within timeoutMs → "timeout", and the waiter is removed', async () => {
  const watch = new JobWatch();
  const other = watch.wait('a', LONG);
  const started = performance.now();
  const result = await watch.wait('a', 30);
  const elapsed = performance.now() - started;
  assert.equal(result, 'timeout');
  assert.ok(elapsed >= 25, `timed out after only ${elapsed} ms`);
  assert.equal(watch.size, 1, 'the timed-out waiter was left behind (or took the other one with it)');
  watch.notify('a');
  assert.equal(await other, 'changed');
  assert.equal(watch.size, 0);
});

test('JobWatch: a notify after a timeout is harmless', async () => {
  const watch = new JobWatch();
  assert.equal(await watch.wait('a', 1), 'timeout');
  watch.notify('a');
  assert.equal(watch.size, 0);
});

test('JobWatch: abort → "aborted", the waiter is removed, others keep waiting', async () => {
  const watch = new JobWatch();
  const controller = new AbortController();
  const aborted = watch.wait('a', LONG, controller.signal);
  const other = track(watch.wait('a', LONG));
  assert.equal(watch.size, 2);
  controller.abort();
  assert.equal(await aborted, 'aborted');
  assert.equal(watch.size, 1);
  await tick();
  assert.equal(other.settled(), false, 'aborting one waiter woke another');
  watch.notify('a');
  assert.equal(await other.promise, 'changed');
  assert.equal(watch.size, 0);
});

test('JobWatch: an already-aborted signal → "aborted" at once, nothing registered', async () => {
  const watch = new JobWatch();
  assert.equal(await watch.wait('a', LONG, AbortSignal.abort()), 'aborted');
  assert.equal(watch.size, 0);
});

test('JobWatch: after a change the signal no longer matters (its listener is gone)', async () => {
  const watch = new JobWatch();
  const controller = new AbortController();
  const waiting = watch.wait('a', LONG, controller.signal);
  watch.notify('a');
  assert.equal(await waiting, 'changed');
  controller.abort(); // must not throw or re-resolve
  assert.equal(watch.size, 0);
});

test('JobWatch: many waiters on many jobs, mixed endings → size back to 0', async () => {
  const watch = new JobWatch();
  const controller = new AbortController();
  const waits: Array<Promise<string>> = [];
  for (let i = 0; i < 20; i++) {
    waits.push(watch.wait(`j${i % 4}`, i % 5 === 0 ? 5 : LONG, i % 3 === 0 ? controller.signal : undefined));
  }
  assert.equal(watch.size, 20);
  watch.notify('j1');
  controller.abort();
  for (const id of ['j0', 'j2', 'j3']) watch.notify(id);
  const results = await Promise.all(waits);
  assert.equal(watch.size, 0);
  assert.ok(results.includes('changed') && results.includes('aborted'));
  // Each waiter ended exactly once, with one of the three outcomes.
  for (const result of results) assert.ok(['changed', 'aborted', 'timeout'].includes(result));
});
