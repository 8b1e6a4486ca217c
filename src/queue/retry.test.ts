/**
 * withRetry on a virtual clock: `sleep` moves the clock instead of waiting, attempts move it by their
 * own duration, and jitter comes from a scripted sequence. Deterministic; nothing here is timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpError, malformedError, transportError } from '../backends/openai/classify.js';
import { ParascribeError } from '../errors.js';
import { backoffDelayMs, isTransient, withRetry, type RetryClock, type RetryPolicy } from './retry.js';

/** A virtual clock; `random` cycles through the given values. */
function fakeClock(randoms: number[] = [0.5]) {
  let now = 0;
  let draw = 0;
  const sleeps: number[] = [];
  const clock: RetryClock & { advance(ms: number): void; sleeps: number[] } = {
    nowMs: () => now,
    sleep: async (ms, signal) => {
      if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
      sleeps.push(ms);
      now += ms;
    },
    random: () => randoms[draw++ % randoms.length]!,
    advance: (ms) => {
      now += ms;
    },
    sleeps,
  };
  return clock;
}

const transient503 = () => new ParascribeError('BACKEND_FAILED', 'HTTP 503', { isRetryable: true, details: { status: 503, transient: true } });
const rateLimited = (retryAfterMs: number) => new ParascribeError('BACKEND_FAILED', 'HTTP 429', { isRetryable: true, details: { status: 429, retryAfterMs, transient: true } });
/** Retryable, not transient: an unusable answer. */
const malformed = () => new ParascribeError('BACKEND_FAILED', 'unusable body', { isRetryable: true, details: { status: 200 } });
const permanent = () => new ParascribeError('BACKEND_FAILED', 'HTTP 400', { isRetryable: false, details: { status: 400 } });

const policy = (extra: Partial<RetryPolicy> = {}): RetryPolicy => ({ maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 30_000, budgetMs: 600_000, ...extra });
const signal = () => new AbortController().signal;

/** An attempt function that plays a script: an error to throw, or 'ok'; each attempt lasts `ms`. */
function script(clock: ReturnType<typeof fakeClock>, steps: Array<ParascribeError | 'ok'>, ms = 100) {
  const attempts: number[] = [];
  const fn = async (attempt: number) => {
    attempts.push(attempt);
    clock.advance(ms);
    const step = steps[Math.min(attempt - 1, steps.length - 1)]!;
    if (step === 'ok') return `ok after ${attempt}`;
    throw step;
  };
  return { fn, attempts };
}

test('retry: transient errors are retried past maxAttempts while the budget lasts', async () => {
  const clock = fakeClock();
  const { fn, attempts } = script(clock, [...Array.from({ length: 9 }, transient503), 'ok']);
  const retries: number[] = [];
  const value = await withRetry(fn, { policy: policy({ maxAttempts: 3 }), signal: signal(), clock, onRetry: (attempt) => retries.push(attempt) });
  assert.equal(value, 'ok after 10');
  assert.equal(attempts.length, 10, 'nine 503s in a row did not end it (maxAttempts is 3)');
  assert.deepEqual(retries, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('retry: exponential backoff with full jitter, capped at maxDelayMs', async () => {
  // random 0.999: each delay is just under its cap, so the caps are visible: 1, 2, 4, 8, 16, then 30 s.
  const clock = fakeClock([0.999]);
  const { fn } = script(clock, [...Array.from({ length: 8 }, transient503), 'ok']);
  await withRetry(fn, { policy: policy(), signal: signal(), clock });
  assert.deepEqual(
    clock.sleeps,
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000].map((cap) => Math.floor(0.999 * cap)),
  );
  // Full jitter: the delay is uniform in [0, cap): random 0 gives no wait at all.
  assert.equal(backoffDelayMs(5, policy(), () => 0), 0);
  assert.equal(backoffDelayMs(40, policy(), () => 0.5), 15_000, 'the cap holds however many attempts came before');
});

test('retry: the budget runs out → BACKEND_FAILED saying for how long it failed and after how many attempts; the last wait is cut to the budget', async () => {
  const clock = fakeClock([0.999]);
  const { fn, attempts } = script(clock, [transient503()], 1500); // down for good; each refusal takes 1.5 s
  const error = await withRetry(fn, { policy: policy({ budgetMs: 20_000, maxDelayMs: 4000 }), signal: signal(), clock }).then(
    () => assert.fail('resolved'),
    (e: ParascribeError) => e,
  );
  assert.equal(error.code, 'BACKEND_FAILED');
  assert.equal(error.isRetryable, false, 'final: no outer retry');
  assert.equal(error.details?.budgetExhausted, true);
  assert.equal(error.details?.attempts, 6);
  // Failing since the first attempt started (t = 0). Attempts end at 1.5, 4.0, 7.5, 13.0, 18.5 s; the
  // fifth wait (3.996 s) would end past 20 s, so it is cut to the 1.511 s left; the 6th attempt fails
  // at 21.5 s with nothing left.
  assert.deepEqual(clock.sleeps, [999, 1998, 3996, 3996, 1511]);
  assert.equal(clock.nowMs(), 21_500);
  assert.equal(attempts.length, 6);
  assert.equal(error.message, 'failing for 22 s (6 attempts, retry budget 20 s); last error: HTTP 503');
});

test('retry: Retry-After is a floor under the jittered backoff, and one longer than the budget left ends the turn at once', async () => {
  const clock = fakeClock([0]); // jitter draws 0: any wait is the server's
  const { fn } = script(clock, [rateLimited(1000), rateLimited(2500), 'ok'], 10);
  const delays: number[] = [];
  await withRetry(fn, { policy: policy(), signal: signal(), clock, onRetry: (_a, _e, delayMs) => delays.push(delayMs) });
  assert.deepEqual(delays, [1000, 2500]);
  // Jitter above the floor wins: the floor is a minimum, not a replacement.
  const high = fakeClock([0.999]);
  const later = script(high, [rateLimited(100), 'ok'], 10);
  await withRetry(later.fn, { policy: policy({ baseDelayMs: 5000 }), signal: signal(), clock: high });
  assert.deepEqual(high.sleeps, [Math.floor(0.999 * 5000)]);
  // "Come back in 60 s" with 5 s of budget left: no pointless wait, the next backend takes over now.
  const short = fakeClock([0]);
  const refused = script(short, [rateLimited(60_000)], 10);
  await assert.rejects(withRetry(refused.fn, { policy: policy({ budgetMs: 5000 }), signal: signal(), clock: short }), (e: ParascribeError) => e.details?.budgetExhausted === true && /1 attempt,/.test(e.message));
  assert.deepEqual(short.sleeps, []);
});

test('retry: maxAttempts caps failures that are retryable but not transient; transient ones in between do not use it up', async () => {
  const clock = fakeClock();
  const capped = script(clock, [malformed()]);
  await assert.rejects(withRetry(capped.fn, { policy: policy({ maxAttempts: 3 }), signal: signal(), clock }), /unusable body/);
  assert.equal(capped.attempts.length, 3, 'three unusable answers: the cap');
  const mixed = script(clock, [transient503(), malformed(), transient503(), transient503(), malformed(), transient503(), 'ok']);
  assert.equal(await withRetry(mixed.fn, { policy: policy({ maxAttempts: 3 }), signal: signal(), clock }), 'ok after 7');
  const mixedOut = script(clock, [malformed(), transient503(), malformed(), transient503(), malformed(), 'ok']);
  await assert.rejects(withRetry(mixedOut.fn, { policy: policy({ maxAttempts: 3 }), signal: signal(), clock }), /unusable body/);
  assert.equal(mixedOut.attempts.length, 5, 'the third unusable answer ends it, two 503s between did not count');
});

test('retry: a non-retryable error ends it at once, whatever the budget and cap', async () => {
  const clock = fakeClock();
  const { fn, attempts } = script(clock, [permanent()]);
  await assert.rejects(withRetry(fn, { policy: policy({ maxAttempts: 10 }), signal: signal(), clock }), (e: ParascribeError) => e.message === 'HTTP 400' && e.details?.budgetExhausted === undefined);
  assert.equal(attempts.length, 1);
  assert.deepEqual(clock.sleeps, []);
});

test('retry: without a budget, maxAttempts bounds transient errors too (the webhook policy)', async () => {
  const clock = fakeClock();
  const { fn, attempts } = script(clock, [transient503()]);
  await assert.rejects(withRetry(fn, { policy: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 100 }, signal: signal(), clock }), /HTTP 503/);
  assert.equal(attempts.length, 4);
});

test('retry: waiting at the gate (an open breaker) is not an attempt, and runs on the budget', async () => {
  const clock = fakeClock([0]);
  // The breaker is open for 25 s, then admits calls.
  const gate = () => Math.max(0, 25_000 - clock.nowMs());
  const waits: number[] = [];
  const { fn, attempts } = script(clock, ['ok']);
  assert.equal(await withRetry(fn, { policy: policy({ maxAttempts: 1 }), signal: signal(), clock, gate, onGateWait: (ms) => waits.push(ms) }), 'ok after 1');
  assert.deepEqual(attempts, [1], 'the wait took no attempt (maxAttempts 1 still had its one)');
  assert.deepEqual(waits, [25_000]);

  // Open for good: the budget ends the wait, with 0 attempts and the gate's reason.
  const closed = fakeClock();
  const never = script(closed, ['ok']);
  const error = await withRetry(never.fn, {
    policy: policy({ budgetMs: 30_000 }),
    signal: signal(),
    clock: closed,
    gate: () => 1000,
    gateError: () => new ParascribeError('BREAKER_OPEN', 'circuit breaker of remote is open'),
  }).then(
    () => assert.fail('resolved'),
    (e: ParascribeError) => e,
  );
  assert.equal(never.attempts.length, 0);
  assert.match(error.message, /^failing for 30 s \(0 attempts, retry budget 30 s\); last error: circuit breaker of remote is open$/);
  assert.equal(closed.nowMs(), 30_000);

  // Failures and breaker waits share one budget, counted from the first sign of trouble.
  const shared = fakeClock([0]);
  let open = false;
  const sharedGate = () => (open ? 5000 : 0);
  const failing = script(shared, [transient503()], 1000);
  const fn2 = async (attempt: number) => {
    if (attempt === 2) open = true; // after the 2nd failure the breaker opens for good
    return failing.fn(attempt);
  };
  await assert.rejects(withRetry(fn2, { policy: policy({ budgetMs: 12_000 }), signal: signal(), clock: shared, gate: sharedGate }), (e: ParascribeError) => /failing for 12 s \(2 attempts/.test(e.message));
  assert.equal(shared.nowMs(), 12_000);
});

test('retry: an abort during a backoff ends it with ABORTED', async () => {
  const controller = new AbortController();
  const clock = fakeClock();
  const fn = async () => {
    controller.abort();
    throw transient503();
  };
  await assert.rejects(withRetry(fn, { policy: policy(), signal: controller.signal, clock }), (e: ParascribeError) => e.code === 'ABORTED');
});

test('retry: which errors are transient (on the budget) — network, timeouts, 408/409/429/5xx — and which are not', () => {
  const context = { instanceId: 'remote', url: 'http://x/v1/audio/transcriptions' };
  for (const status of [408, 409, 429, 500, 502, 503, 504]) assert.equal(isTransient(httpError(status, '{}', new Headers(), context)), true, `HTTP ${status}`);
  for (const status of [400, 401, 403, 404, 413, 415, 422]) assert.equal(isTransient(httpError(status, '{}', new Headers(), context)), false, `HTTP ${status}`);
  assert.equal(isTransient(malformedError(200, 'truncated', context)), false, 'an unusable 200 counts against maxAttempts');
  assert.equal(isTransient(transportError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }), signal(), false, 60, context)), true, 'network');
  assert.equal(isTransient(transportError(new Error('timeout'), signal(), true, 60, context)), true, 'our timeout');
  assert.equal(isTransient(new ParascribeError('SEGMENT_TIMEOUT', 'segment 0 timed out')), true);
  assert.equal(isTransient(new ParascribeError('BACKEND_FAILED', 'pocketsphinx failed (exit 1)')), false, 'a local engine crash counts against maxAttempts');
});
