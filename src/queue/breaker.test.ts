import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakerBoard, CircuitBreaker, type BreakerTransition } from './breaker.js';

function fixture(options: Partial<ConstructorParameters<typeof CircuitBreaker>[1]> = {}) {
  let now = 1000;
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker(
    'remote',
    { failureThreshold: 3, errorRateThreshold: 0.5, windowSize: 10, minCalls: 6, openSec: 30, ...options },
    (t) => transitions.push(t),
    () => now,
  );
  return { breaker, transitions, advance: (sec: number) => (now += sec) };
}

test('breaker: opens after N consecutive failures, refuses while open', () => {
  const { breaker, transitions } = fixture();
  for (let i = 0; i < 2; i++) {
    assert.ok(breaker.tryAcquire());
    breaker.onFailure();
  }
  assert.equal(breaker.state, 'closed');
  breaker.tryAcquire();
  breaker.onFailure();
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.tryAcquire(), false);
  assert.equal(transitions[0]!.reason, '3 consecutive failures');
});

test('breaker: a success resets the consecutive count; the error rate over the window opens it', () => {
  const { breaker, transitions } = fixture({ failureThreshold: 100 });
  const outcomes = [false, true, false, true, false, true]; // 50 % failures over 6 calls
  for (const failed of outcomes) {
    breaker.tryAcquire();
    if (failed) breaker.onFailure();
    else breaker.onSuccess();
    if (breaker.state === 'open') break;
  }
  assert.equal(breaker.state, 'open');
  assert.match(transitions[0]!.reason, /error rate 50 % over the last 6 calls/);
});

test('breaker: half-open after the open period admits one probe; success closes, failure reopens', () => {
  const { breaker, advance } = fixture();
  for (let i = 0; i < 3; i++) breaker.onFailure();
  assert.equal(breaker.state, 'open');
  advance(29);
  assert.equal(breaker.tryAcquire(), false);
  advance(1);
  assert.equal(breaker.tryAcquire(), true, 'the probe');
  assert.equal(breaker.state, 'half-open');
  assert.equal(breaker.tryAcquire(), false, 'only one probe at a time');
  breaker.onFailure();
  assert.equal(breaker.state, 'open');
  advance(30);
  assert.equal(breaker.tryAcquire(), true);
  breaker.onSuccess();
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.tryAcquire(), true);
});

test('breaker board: one breaker per backend, transitions collected', () => {
  const seen: string[] = [];
  const board = new BreakerBoard({ failureThreshold: 1, errorRateThreshold: 1, windowSize: 5, minCalls: 5, openSec: 10 }, (t) => seen.push(`${t.backend}:${t.to}`));
  board.get('a').onFailure();
  board.get('b').onSuccess();
  assert.equal(board.get('a'), board.get('a'));
  assert.deepEqual(board.states(), { a: 'open', b: 'closed' });
  assert.deepEqual(seen, ['a:open']);
  assert.equal(board.transitions.length, 1);
});
