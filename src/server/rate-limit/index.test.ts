import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import type { AuthEnv } from '../auth/index.js';
import { errorResponse } from '../http-errors.js';
import { rateLimit, TokenBuckets, type RateLimitOptions } from './index.js';

/** A clock the test moves by hand. */
function fakeClock(startMs = 1_000_000) {
  let now = startMs;
  return {
    nowMs: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('TokenBuckets: a full burst is granted, then refused with the wait until the next token', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ requestsPerSec: 2, burst: 3, nowMs: clock.nowMs });
  assert.deepEqual([buckets.take('a'), buckets.take('a'), buckets.take('a')], [0, 0, 0]);
  // Empty bucket at 2 tokens/s: a token is back in 500 ms.
  assert.equal(buckets.take('a'), 500);
  // Refusals take nothing: still 500 ms with no time passed.
  assert.equal(buckets.take('a'), 500);
  clock.advance(200);
  assert.equal(Math.round(buckets.take('a')), 300);
});

test('TokenBuckets: tokens refill over time, never beyond the burst', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ requestsPerSec: 10, burst: 5, nowMs: clock.nowMs });
  for (let i = 0; i < 5; i++) assert.equal(buckets.take('k'), 0);
  assert.ok(buckets.take('k') > 0);
  clock.advance(100); // one token
  assert.equal(buckets.take('k'), 0);
  assert.ok(buckets.take('k') > 0);
  clock.advance(250); // two and a half tokens
  assert.equal(buckets.take('k'), 0);
  assert.equal(buckets.take('k'), 0);
  assert.equal(Math.round(buckets.take('k')), 50);
  // A long idle refills to the burst, not more.
  clock.advance(60_000);
  for (let i = 0; i < 5; i++) assert.equal(buckets.take('k'), 0, `take ${i}`);
  assert.equal(Math.round(buckets.take('k')), 100);
});

test('TokenBuckets: separate keys have independent buckets', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ requestsPerSec: 1, burst: 2, nowMs: clock.nowMs });
  assert.equal(buckets.take('a'), 0);
  assert.equal(buckets.take('a'), 0);
  assert.equal(buckets.take('a'), 1000);
  assert.equal(buckets.take('b'), 0);
  assert.equal(buckets.take('b'), 0);
  assert.equal(buckets.take('b'), 1000);
  assert.equal(buckets.take('a'), 1000);
});

test('TokenBuckets: past 10 000 keys idle buckets are forgotten, and limiting still works', () => {
  const clock = fakeClock();
  // A slow refill (one token per 1000 s) so that a forgotten bucket is visible: it comes back full.
  const buckets = new TokenBuckets({ requestsPerSec: 0.001, burst: 1, nowMs: clock.nowMs, forgetAfterMs: 1_000 });
  assert.equal(buckets.take('old'), 0);
  assert.ok(buckets.take('old') > 0);
  clock.advance(5_000);
  // Not forgotten yet (few keys): still empty.
  assert.ok(buckets.take('old') > 0);
  clock.advance(5_000);
  for (let i = 0; i <= 10_000; i++) assert.equal(buckets.take(`caller-${i}`), 0);
  // 'old' was idle > forgetAfterMs when the map passed 10 000 keys: it starts over with a full bucket.
  assert.equal(buckets.take('old'), 0);
  assert.ok(buckets.take('old') > 0);
  // Recent keys were kept: caller-10000 just spent its only token.
  assert.ok(buckets.take('caller-10000') > 0);
  assert.ok(buckets.take('fresh') === 0);
  assert.ok(buckets.take('fresh') > 0);
});

function limitedApp(options: RateLimitOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.onError((error, c) => errorResponse(c, error));
  // Stands in for bearerAuth: the owner comes from a test header.
  app.use('*', async (c, next) => {
    const owner = c.req.header('x-test-owner');
    if (owner) c.set('owner', owner);
    await next();
  });
  app.use('*', rateLimit(options));
  app.get('/x', (c) => c.json({ ok: true }));
  return app;
}

test('rateLimit: over the limit → 429 RATE_LIMITED with an integer Retry-After ≥ 1', async () => {
  const clock = fakeClock();
  const app = limitedApp({ requestsPerSec: 4, burst: 2, nowMs: clock.nowMs });
  const get = (owner: string) => app.request('/x', { headers: { 'x-test-owner': owner } });
  assert.equal((await get('alice')).status, 200);
  assert.equal((await get('alice')).status, 200);
  const limited = await get('alice');
  assert.equal(limited.status, 429);
  // 250 ms until a token: rounded up to whole seconds, at least 1.
  assert.equal(limited.headers.get('retry-after'), '1');
  const body = (await limited.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'RATE_LIMITED');
  assert.match(body.error.message, /4 requests\/s/);
  // Another owner is unaffected.
  assert.equal((await get('bob')).status, 200);
  // Time passes: alice gets a token back.
  clock.advance(250);
  assert.equal((await get('alice')).status, 200);
});

test('rateLimit: Retry-After is the wait rounded up to whole seconds', async () => {
  const clock = fakeClock();
  const app = limitedApp({ requestsPerSec: 0.4, burst: 1, nowMs: clock.nowMs });
  const get = () => app.request('/x', { headers: { 'x-test-owner': 'slow' } });
  assert.equal((await get()).status, 200);
  const limited = await get();
  assert.equal(limited.status, 429);
  // 2.5 s until a token → "3".
  const retryAfter = limited.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^\d+$/);
  assert.equal(retryAfter, '3');
});

test('rateLimit: requests without an owner are not limited', async () => {
  const clock = fakeClock();
  const app = limitedApp({ requestsPerSec: 1, burst: 1, nowMs: clock.nowMs });
  for (let i = 0; i < 5; i++) assert.equal((await app.request('/x')).status, 200);
});
