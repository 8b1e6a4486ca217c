import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isParascribeError } from '../../errors.js';
import { deliverWebhook, verifyWebhook, type WebhookDelivery, type WebhookOptions } from './index.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  atMs: number;
  method: string | undefined;
}
/** Answers the n-th request (0-based); returning false leaves it hanging (until close). */
type Responder = (res: ServerResponse, n: number) => void | false;

async function receiver(respond: Responder): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const n = received.length;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), atMs: Date.now(), method: req.method });
      respond(res, n);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/parascribe`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(status: number, headers: Record<string, string> = {}): (res: ServerResponse) => void {
  return (res) => {
    res.writeHead(status, headers);
    res.end(status >= 400 ? 'nope' : 'ok');
  };
}

/** Statuses in order; the last one repeats. */
function sequence(...steps: Array<number | ((res: ServerResponse) => void | false)>): Responder {
  return (res, n) => {
    const step = steps[Math.min(n, steps.length - 1)]!;
    return typeof step === 'number' ? reply(step)(res) : step(res);
  };
}

const SECRET = 'whsec_test_secret';
const payload = { id: 'job_123', status: 'completed', durationSec: 812.4, text: 'héllo wörld', segments: [{ i: 0 }] };

function delivery(url: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return { url, event: 'job.completed', payload, deliveryId: 'job_123:job.completed', ...overrides };
}

/** A sleep that records what it was asked to wait and returns at once. */
function recordingSleep(): { sleeps: number[]; sleep: NonNullable<WebhookOptions['sleep']> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

test('webhook: success on the first try, signed, with the payload JSON as body and the documented headers', async () => {
  const rx = await receiver(sequence(200));
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET });
    assert.equal(result.delivered, true);
    assert.equal(result.attempts.length, 1);
    assert.deepEqual({ ...result.attempts[0], atSec: 0 }, { atSec: 0, status: 200, error: null, waitedMs: 0 });
    assert.ok(Math.abs(result.attempts[0]!.atSec - Date.now() / 1000) < 5);
    const [req] = rx.received;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.body, JSON.stringify(payload));
    assert.deepEqual(JSON.parse(req!.body), payload);
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.equal(req!.headers['user-agent'], 'parascribe-webhook/1');
    assert.equal(req!.headers['parascribe-event'], 'job.completed');
    assert.equal(req!.headers['parascribe-delivery'], 'job_123:job.completed');
    const signature = req!.headers['parascribe-signature'] as string;
    assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhook(SECRET, signature, req!.body), true);
  } finally {
    await rx.close();
  }
});

test('webhook: any 2xx is success (204)', async () => {
  const rx = await receiver(sequence(204));
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET });
    assert.equal(result.delivered, true);
    assert.equal(result.attempts[0]!.status, 204);
  } finally {
    await rx.close();
  }
});

test('webhook: 500, 500, 200 → delivered on the 3rd attempt, waits recorded, same delivery id, signed afresh each time', async () => {
  const rx = await receiver(sequence(500, 500, 200));
  const { sleeps, sleep } = recordingSleep();
  let clock = 1_700_000_000_000;
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep, now: () => (clock += 7_000), baseDelayMs: 100, maxDelayMs: 1_000 });
    assert.equal(result.delivered, true);
    assert.deepEqual(result.attempts.map((a) => a.status), [500, 500, 200]);
    assert.deepEqual(result.attempts.map((a) => a.error), ['HTTP 500', 'HTTP 500', null]);
    assert.deepEqual(result.attempts.map((a) => a.waitedMs), [0, ...sleeps]);
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps[0]! < 100 && sleeps[1]! < 200, `full jitter under 100·2^(n-1): ${sleeps}`);
    assert.deepEqual(result.attempts.map((a) => a.atSec), [1_700_000_007, 1_700_000_014, 1_700_000_021]);
    assert.equal(rx.received.length, 3);
    assert.deepEqual(new Set(rx.received.map((r) => r.headers['parascribe-delivery'])), new Set(['job_123:job.completed']));
    const stamps = rx.received.map((r) => Number(/^t=(\d+)/.exec(r.headers['parascribe-signature'] as string)![1]));
    assert.deepEqual(stamps, [1_700_000_007, 1_700_000_014, 1_700_000_021]);
    rx.received.forEach((r, i) => assert.equal(verifyWebhook(SECRET, r.headers['parascribe-signature'] as string, r.body, 300, stamps[i]!), true));
  } finally {
    await rx.close();
  }
});

test('webhook: backoff comes from the shared policy (pinned jitter → exponential cap)', async () => {
  const rx = await receiver(sequence(503));
  const { sleeps, sleep } = recordingSleep();
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep, random: () => 0.999, baseDelayMs: 100, maxDelayMs: 500 });
    assert.equal(result.delivered, false);
    assert.equal(result.attempts.length, 6, 'default maxAttempts is 6');
    assert.deepEqual(sleeps, [99, 199, 399, 499, 499]);
  } finally {
    await rx.close();
  }
});

test('webhook: really waits between retries (small delays)', async () => {
  const rx = await receiver(sequence(502, 500, 200));
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, random: () => 0.999, baseDelayMs: 40, maxDelayMs: 1_000 });
    assert.equal(result.delivered, true);
    assert.deepEqual(result.attempts.map((a) => a.waitedMs), [0, 39, 79]);
    const gaps = [rx.received[1]!.atMs - rx.received[0]!.atMs, rx.received[2]!.atMs - rx.received[1]!.atMs];
    assert.ok(gaps[0]! >= 38 && gaps[1]! >= 78, `receiver-side gaps ${gaps}`);
  } finally {
    await rx.close();
  }
});

test('webhook: 429 with Retry-After: 1 → the next attempt waits at least 1000 ms (injected sleep)', async () => {
  const rx = await receiver(sequence((res) => reply(429, { 'Retry-After': '1' })(res), 200));
  const { sleeps, sleep } = recordingSleep();
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep, baseDelayMs: 10, maxDelayMs: 20 });
    assert.equal(result.delivered, true);
    assert.deepEqual(result.attempts.map((a) => a.status), [429, 200]);
    assert.equal(result.attempts[1]!.waitedMs, 1_000);
    assert.deepEqual(sleeps, [1_000]);
  } finally {
    await rx.close();
  }
});

test('webhook: 429 with Retry-After: 1 → really waited ≥ 1 s (attempt timestamps and receiver clock)', async () => {
  const rx = await receiver(sequence((res) => reply(429, { 'Retry-After': '1' })(res), 200));
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, baseDelayMs: 10, maxDelayMs: 20 });
    assert.equal(result.delivered, true);
    assert.ok(result.attempts[1]!.waitedMs >= 1_000);
    assert.ok(result.attempts[1]!.atSec - result.attempts[0]!.atSec >= 0.99, `attempts ${JSON.stringify(result.attempts)}`);
    assert.ok(rx.received[1]!.atMs - rx.received[0]!.atMs >= 990);
  } finally {
    await rx.close();
  }
});

test('webhook: a Retry-After beyond maxRetryAfterMs ends the delivery instead of holding it', async () => {
  const rx = await receiver(sequence((res) => reply(503, { 'Retry-After': '86400' })(res), 200));
  const { sleeps, sleep } = recordingSleep();
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep, maxRetryAfterMs: 60_000 });
    assert.equal(result.delivered, false);
    assert.equal(result.attempts.length, 1);
    assert.match(result.attempts[0]!.error!, /Retry-After 86400000 ms is over the 60000 ms limit/);
    assert.deepEqual(sleeps, []);
  } finally {
    await rx.close();
  }
});

test('webhook: 400 is final (not retried); so are 404 and 410', async () => {
  for (const status of [400, 404, 410]) {
    const rx = await receiver(sequence(status, 200));
    const { sleeps, sleep } = recordingSleep();
    try {
      const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep });
      assert.equal(result.delivered, false);
      assert.deepEqual(result.attempts, [{ atSec: result.attempts[0]!.atSec, status, error: `HTTP ${status}`, waitedMs: 0 }]);
      assert.equal(rx.received.length, 1);
      assert.deepEqual(sleeps, []);
    } finally {
      await rx.close();
    }
  }
});

test('webhook: 408, 409 and 425 are retried', async () => {
  const rx = await receiver(sequence(408, 409, 425, 200));
  const { sleep } = recordingSleep();
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep });
    assert.equal(result.delivered, true);
    assert.deepEqual(result.attempts.map((a) => a.status), [408, 409, 425, 200]);
  } finally {
    await rx.close();
  }
});

test('webhook: redirects are not followed and not retried', async () => {
  const rx = await receiver(sequence((res) => reply(302, { Location: '/elsewhere' })(res), 200));
  const { sleep } = recordingSleep();
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep });
    assert.equal(result.delivered, false);
    assert.equal(result.attempts.length, 1);
    assert.equal(result.attempts[0]!.status, 302);
    assert.match(result.attempts[0]!.error!, /redirect to \/elsewhere not followed/);
    assert.equal(rx.received.length, 1);
  } finally {
    await rx.close();
  }
});

test('webhook: a receiver that never answers times out; the attempt is retried', async () => {
  const rx = await receiver(sequence(() => false, 200));
  const { sleep } = recordingSleep();
  try {
    const started = Date.now();
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep, timeoutMs: 200 });
    assert.equal(result.delivered, true);
    assert.deepEqual(result.attempts.map((a) => a.status), [null, 200]);
    assert.match(result.attempts[0]!.error!, /timeout: no response within 200 ms/);
    assert.ok(Date.now() - started < 5_000);
    assert.equal(rx.received.length, 2);
  } finally {
    await rx.close();
  }
});

test('webhook: maxAttempts exhausted → delivered false with every attempt logged', async () => {
  const rx = await receiver(sequence(503));
  const { sleeps, sleep } = recordingSleep();
  try {
    const result = await deliverWebhook(delivery(rx.url), { secret: SECRET, sleep, maxAttempts: 3 });
    assert.equal(result.delivered, false);
    assert.deepEqual(result.attempts.map((a) => [a.status, a.error]), [[503, 'HTTP 503'], [503, 'HTTP 503'], [503, 'HTTP 503']]);
    assert.equal(sleeps.length, 2, 'no wait after the last attempt');
    assert.equal(rx.received.length, 3);
  } finally {
    await rx.close();
  }
});

test('webhook: connection refused is a retried network error, and never throws', async () => {
  const rx = await receiver(sequence(200));
  const url = rx.url;
  await rx.close(); // nothing listens there now
  const { sleep } = recordingSleep();
  const result = await deliverWebhook(delivery(url), { secret: SECRET, sleep, maxAttempts: 2 });
  assert.equal(result.delivered, false);
  assert.equal(result.attempts.length, 2);
  for (const a of result.attempts) {
    assert.equal(a.status, null);
    assert.match(a.error!, /^network error: .*ECONNREFUSED/);
  }
});

test('webhook: aborting during the backoff wait stops promptly and rejects with ABORTED (log in details)', async () => {
  const controller = new AbortController();
  const rx = await receiver((res) => {
    reply(500)(res);
    setTimeout(() => controller.abort(), 30);
  });
  try {
    const started = Date.now();
    const error = await deliverWebhook(delivery(rx.url), { secret: SECRET, signal: controller.signal, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.999 }).then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    assert.ok(Date.now() - started < 2_000, 'stopped promptly');
    assert.ok(isParascribeError(error));
    assert.equal(error.code, 'ABORTED');
    assert.equal((error.details!.attempts as unknown[]).length, 1);
    assert.equal(rx.received.length, 1);
  } finally {
    await rx.close();
  }
});

test('webhook: aborting an in-flight request stops at once; an already-aborted signal sends nothing', async () => {
  const rx = await receiver(() => false);
  try {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await assert.rejects(deliverWebhook(delivery(rx.url), { secret: SECRET, signal: controller.signal, timeoutMs: 30_000 }), (e: unknown) => {
      assert.ok(isParascribeError(e) && e.code === 'ABORTED');
      assert.deepEqual((e.details!.attempts as Array<{ status: unknown; error: unknown }>).map((a) => [a.status, a.error]), [[null, 'aborted']]);
      return true;
    });
    assert.ok(Date.now() - started < 2_000);
    assert.equal(rx.received.length, 1);

    await assert.rejects(deliverWebhook(delivery(rx.url), { secret: SECRET, signal: AbortSignal.abort() }), { code: 'ABORTED' });
    assert.equal(rx.received.length, 1);
  } finally {
    await rx.close();
  }
});

test('webhook: caller mistakes throw INVALID_ARGUMENT before anything is sent', async () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const cases: Array<[WebhookDelivery, Partial<WebhookOptions>]> = [
    [delivery('ftp://127.0.0.1/x'), {}],
    [delivery('not a url'), {}],
    [delivery('http://user:pw@127.0.0.1/x'), {}],
    [delivery('http://127.0.0.1/x', { payload: circular }), {}],
    [delivery('http://127.0.0.1/x', { payload: undefined }), {}],
    [delivery('http://127.0.0.1/x', { deliveryId: 'bad\r\nX-Injected: 1' }), {}],
    [delivery('http://127.0.0.1/x', { event: 'job.started' as never }), {}],
    [delivery('http://127.0.0.1/x'), { secret: '' }],
    [delivery('http://127.0.0.1/x'), { maxAttempts: 0 }],
    [delivery('http://127.0.0.1/x'), { timeoutMs: -1 }],
  ];
  for (const [d, o] of cases) await assert.rejects(deliverWebhook(d, { secret: SECRET, ...o }), { code: 'INVALID_ARGUMENT' });
});
