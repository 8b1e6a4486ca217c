import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParascribeError } from '../../errors.js';
import { readJsonBody, type JsonBodyOptions } from './index.js';

const OPTIONS: JsonBodyOptions = { maxKb: 1, idleTimeoutMs: 200, minBytesPerSec: 0, invalidMessage: 'not JSON' };

function streamOf(chunks: string[], { stallAfter = false, pauseMs = 0 } = {}): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      if (i < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[i++]!));
      else if (!stallAfter) controller.close();
      else await new Promise(() => undefined);
    },
  });
}

function post(body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}, signal?: AbortSignal): Request {
  return new Request('http://x/', { method: 'POST', body, headers, ...(signal ? { signal } : {}), duplex: 'half' } as RequestInit);
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    assert.ok(error instanceof ParascribeError, String(error));
    return error.code;
  }
}

test('readJsonBody: JSON parsed; not JSON → INVALID_ARGUMENT with the message given', async () => {
  assert.deepEqual(await readJsonBody(post('{"a":[1,2]}'), OPTIONS), { a: [1, 2] });
  assert.deepEqual(await readJsonBody(post(streamOf(['{"a"', ':', '1}'])), OPTIONS), { a: 1 });
  await assert.rejects(readJsonBody(post('{"a":'), OPTIONS), { code: 'INVALID_ARGUMENT', message: 'not JSON' });
  await assert.rejects(readJsonBody(post(''), OPTIONS), { code: 'INVALID_ARGUMENT' });
});

test('readJsonBody: over the cap whether declared or chunked → PAYLOAD_TOO_LARGE; stalled → REQUEST_TIMEOUT; a trickle → REQUEST_TIMEOUT', async () => {
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['declared too large', () => readJsonBody(post('{}', { 'content-length': '999999999' }), OPTIONS), 'PAYLOAD_TOO_LARGE'],
    ['chunked past the cap', () => readJsonBody(post(streamOf(Array(20).fill('x'.repeat(100)))), OPTIONS), 'PAYLOAD_TOO_LARGE'],
    ['stalls', () => readJsonBody(post(streamOf(['{"a":'], { stallAfter: true })), OPTIONS), 'REQUEST_TIMEOUT'],
    ['a trickle', () => readJsonBody(post(streamOf(Array(200).fill(' '), { pauseMs: 50 })), { ...OPTIONS, minBytesPerSec: 100 }), 'REQUEST_TIMEOUT'],
  ];
  for (const [name, run, expected] of cases) assert.equal(await code(run()), expected, name);
});
