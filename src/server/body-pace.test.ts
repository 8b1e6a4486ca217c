import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyPace, pacedRequest, tooSlow } from './body-pace.js';
import type { ParascribeError } from '../errors.js';

test('tooSlow: only after the grace (idleTimeoutMs), only under the minimum average, never with no minimum', () => {
  const cases: Array<[bytes: number, elapsedMs: number, idleTimeoutMs: number, minBytesPerSec: number, slow: boolean]> = [
    [0, 1_000, 30_000, 1024, false], // inside the grace
    [30, 30_000, 30_000, 1024, true], // a byte a second, grace over
    [30 * 1024, 30_000, 30_000, 1024, false], // exactly the minimum
    [30 * 1024 - 1, 30_000, 30_000, 1024, true],
    [10, 600_000, 30_000, 0, false], // no minimum
    [5 * 1024 * 1024, 60_000, 2_000, 1024, false],
  ];
  for (const [bytes, elapsedMs, idleTimeoutMs, minBytesPerSec, slow] of cases) {
    assert.equal(tooSlow(bytes, elapsedMs, { idleTimeoutMs, minBytesPerSec }), slow, JSON.stringify({ bytes, elapsedMs, idleTimeoutMs, minBytesPerSec }));
  }
});

test('BodyPace: a byte every 100 ms never trips the idle timer but trips the rate once the grace is over', async () => {
  const failures: ParascribeError[] = [];
  const pace = new BodyPace({ idleTimeoutMs: 400, minBytesPerSec: 100 }, (e) => failures.push(e));
  const started = performance.now();
  while (failures.length === 0 && performance.now() - started < 3_000) {
    pace.bytes(1);
    await new Promise((r) => setTimeout(r, 100));
  }
  pace.stop();
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.code, 'REQUEST_TIMEOUT');
  assert.match(failures[0]!.message, /too slowly \(\d+ bytes\/s, under the minimum of 100\)/);
  assert.ok(performance.now() - started >= 400 && performance.now() - started < 2_000);
});

test('BodyPace: silence → the idle timeout; stop() → nothing more', async () => {
  const failures: ParascribeError[] = [];
  const pace = new BodyPace({ idleTimeoutMs: 150, minBytesPerSec: 0, noun: 'the request body' }, (e) => failures.push(e));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(failures.map((e) => e.message), ['the request body stalled for 0.15 s']);
  const quiet = new BodyPace({ idleTimeoutMs: 100, minBytesPerSec: 1_000_000 }, (e) => failures.push(e));
  quiet.stop();
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(failures.length, 1);
  pace.stop();
});

test('pacedRequest: a paced body reads through unchanged; a trickle errors the reader with REQUEST_TIMEOUT', async () => {
  const whole = new Request('http://x/', { method: 'POST', body: 'hello world' });
  assert.equal(await pacedRequest(whole, { idleTimeoutMs: 1_000, minBytesPerSec: 1 }).text(), 'hello world');
  let sent = 0;
  const trickle = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, 50));
      if (sent++ > 200) controller.close();
      else controller.enqueue(new Uint8Array([32]));
    },
  });
  const slow = pacedRequest(new Request('http://x/', { method: 'POST', body: trickle, duplex: 'half' } as RequestInit), { idleTimeoutMs: 200, minBytesPerSec: 1_000 });
  await assert.rejects(slow.text(), (error: unknown) => (error as ParascribeError).code === 'REQUEST_TIMEOUT');
  assert.ok(sent < 50, `read ${sent} chunks before the cut`);
});
