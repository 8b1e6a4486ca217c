import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { errorResponse } from '../http-errors.js';
import { discardBody, jsonBodyLimit } from './index.js';

function app(maxKb: number): Hono {
  const app = new Hono();
  app.onError((error, c) => errorResponse(c, error));
  app.use('*', jsonBodyLimit(maxKb));
  app.post('/', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
  return app;
}

/** A body without Content-Length: the limit must count it as it streams. */
function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(1024, bytes - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(0x20));
    },
  });
}

test('jsonBodyLimit: at the limit passes, over it is 413 PAYLOAD_TOO_LARGE; uploads pass through', async () => {
  const cases: Array<{ name: string; body: () => BodyInit; type: string; length?: number; status: number }> = [
    { name: 'JSON at the limit', body: () => ' '.repeat(2048), type: 'application/json', status: 200 },
    { name: 'JSON over the limit', body: () => ' '.repeat(2049), type: 'application/json', status: 413 },
    { name: 'chunked over the limit', body: () => chunked(10_000), type: 'application/json', status: 413 },
    { name: 'chunked under the limit', body: () => chunked(1_000), type: 'application/json', status: 200 },
    { name: 'no content type, over', body: () => 'x'.repeat(5000), type: '', status: 413 },
    { name: 'multipart: the upload limit applies elsewhere', body: () => 'x'.repeat(50_000), type: 'multipart/form-data; boundary=x', status: 200 },
  ];
  for (const { name, body, type, status } of cases) {
    const response = await app(2).request('/', { method: 'POST', body: body(), headers: type ? { 'Content-Type': type } : {}, duplex: 'half' } as RequestInit);
    assert.equal(response.status, status, name);
    if (status === 413) {
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'PAYLOAD_TOO_LARGE', name);
      assert.match(error.message, /at most 2 KiB \(serve\.maxJsonBodyKb\)/, name);
    }
  }
});

test('discardBody: drains a body up to its bound, then cancels the rest', async () => {
  const cases: Array<{ bytes: number; max: number; cancelled: boolean }> = [
    { bytes: 10_000, max: 1024 * 1024, cancelled: false },
    { bytes: 200_000, max: 50_000, cancelled: true },
  ];
  for (const { bytes, max, cancelled } of cases) {
    let sent = 0;
    let wasCancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes) return controller.close();
        sent += 1024;
        controller.enqueue(new Uint8Array(1024));
      },
      cancel() {
        wasCancelled = true;
      },
    });
    await discardBody(body, max);
    assert.equal(wasCancelled, cancelled, `${bytes} / ${max}`);
    assert.ok(cancelled ? sent < bytes : sent >= bytes);
  }
  await discardBody(null); // no body: nothing to do
});
