import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParascribeError } from '../../errors.js';
import { displayFilename, readMultipart, type MultipartOptions } from './index.js';

const MB = 1024 * 1024;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'parascribe-multipart-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A real multipart body, as fetch would send it: its headers (as a plain record) and body stream. */
function formRequest(form: FormData): { headers: Record<string, string>; body: ReadableStream<Uint8Array> } {
  const request = new Request('http://x', { method: 'POST', body: form });
  return { headers: Object.fromEntries(request.headers), body: request.body! };
}

async function formBytes(form: FormData): Promise<{ headers: Record<string, string>; bytes: Uint8Array }> {
  const request = new Request('http://x', { method: 'POST', body: form });
  return { headers: Object.fromEntries(request.headers), bytes: new Uint8Array(await request.arrayBuffer()) };
}

/** Sends the first `sendBytes` of `bytes`, then nothing, ever (until cancelled). */
function stalledStream(bytes: Uint8Array, sendBytes: number): { stream: ReadableStream<Uint8Array>; cancelled: Promise<void> } {
  let onCancel!: () => void;
  const cancelled = new Promise<void>((resolve) => (onCancel = resolve));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < sendBytes; at += 64 * 1024) controller.enqueue(bytes.slice(at, Math.min(sendBytes, at + 64 * 1024)));
    },
    cancel() {
      onCancel();
    },
  });
  return { stream, cancelled };
}

function options(dir: string, overrides: Partial<MultipartOptions> = {}): MultipartOptions {
  return { fileField: 'file', destPath: join(dir, 'input.part'), maxFileBytes: 64 * MB, idleTimeoutMs: 5_000, ...overrides };
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<ParascribeError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ParascribeError, `expected a ParascribeError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

test('readMultipart: the file streams to destPath byte-exact; fields and name[] lists are collected', async () => {
  await withTempDir(async (dir) => {
    const payload = randomBytes(3 * MB + 12345);
    const form = new FormData();
    form.append('model', 'fast');
    form.append('timestamp_granularities[]', 'segment');
    form.append('file', new Blob([payload], { type: 'audio/wav' }), '../../secret/talk.wav');
    form.append('timestamp_granularities[]', 'word');
    form.append('language', 'en');
    const { headers, body } = formRequest(form);
    const seen: number[] = [];
    const result = await readMultipart(headers, body, options(dir, { onBytes: (bytes) => seen.push(bytes) }));
    assert.deepEqual(result.fields, { model: 'fast', language: 'en' });
    assert.deepEqual(result.lists, { 'timestamp_granularities[]': ['segment', 'word'] });
    assert.deepEqual(result.file, { bytes: payload.length, filename: 'talk.wav' });
    const written = await readFile(join(dir, 'input.part'));
    assert.equal(written.length, payload.length);
    assert.ok(written.equals(payload), 'the stored file differs from the upload');
    assert.ok(seen.length >= 1, 'onBytes reports progress');
    assert.equal(seen.at(-1), payload.length);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'progress only grows');
  });
});

test('readMultipart: only the first file part is stored; later file parts are skipped', async () => {
  await withTempDir(async (dir) => {
    const first = randomBytes(1000);
    const form = new FormData();
    form.append('file', new Blob([first]), 'a.wav');
    form.append('file', new Blob([randomBytes(500)]), 'b.wav');
    form.append('other', new Blob([randomBytes(500)]), 'other.bin');
    form.append('model', 'fast');
    const { headers, body } = formRequest(form);
    const result = await readMultipart(headers, body, options(dir));
    assert.deepEqual(result.file, { bytes: 1000, filename: 'a.wav' });
    assert.deepEqual(result.fields, { model: 'fast' });
    assert.ok((await readFile(join(dir, 'input.part'))).equals(first));
  });
});

test('readMultipart: a file over maxFileBytes → PAYLOAD_TOO_LARGE and no file left', async () => {
  await withTempDir(async (dir) => {
    const form = new FormData();
    form.append('file', new Blob([randomBytes(2 * MB)]), 'big.wav');
    const { headers, body } = formRequest(form);
    const destPath = join(dir, 'input.part');
    const error = await rejectsWithCode(readMultipart(headers, body, options(dir, { maxFileBytes: 1 * MB })), 'PAYLOAD_TOO_LARGE');
    assert.match(error.message, /1 MB/);
    assert.equal(existsSync(destPath), false, 'the partial upload must be deleted');
  });
});

test('readMultipart: refused at once (a tiny cap) → the partial file is gone and stays gone', async () => {
  await withTempDir(async (dir) => {
    // The refusal races the file's write stream being opened; the rm must come after it closed.
    for (let i = 0; i < 25; i++) {
      const form = new FormData();
      form.append('file', new Blob([randomBytes(200_000)]), 'big.wav');
      const { headers, body } = formRequest(form);
      const destPath = join(dir, `input-${i}.part`);
      await rejectsWithCode(readMultipart(headers, body, options(dir, { destPath, maxFileBytes: 10 })), 'PAYLOAD_TOO_LARGE');
      assert.equal(existsSync(destPath), false, `run ${i}: left behind`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await readdir(dir), [], 'a refused upload was re-created after its removal');
  });
});

test('readMultipart: too many fields, or an over-long field → INVALID_ARGUMENT', async () => {
  await withTempDir(async (dir) => {
    const many = new FormData();
    for (let i = 0; i < 60; i++) many.append(`f${i}`, 'x');
    const a = formRequest(many);
    await rejectsWithCode(readMultipart(a.headers, a.body, options(dir)), 'INVALID_ARGUMENT');
    const long = new FormData();
    long.append('prompt', 'y'.repeat(70 * 1024));
    long.append('file', new Blob([randomBytes(1000)]), 'a.wav');
    const b = formRequest(long);
    const error = await rejectsWithCode(readMultipart(b.headers, b.body, options(dir)), 'INVALID_ARGUMENT');
    assert.match(error.message, /prompt/);
    assert.equal(existsSync(join(dir, 'input.part')), false);
  });
});

test('readMultipart: a file of exactly maxFileBytes is accepted', async () => {
  await withTempDir(async (dir) => {
    const payload = randomBytes(256 * 1024);
    const form = new FormData();
    form.append('file', new Blob([payload]), 'edge.wav');
    const { headers, body } = formRequest(form);
    const result = await readMultipart(headers, body, options(dir, { maxFileBytes: payload.length }));
    assert.equal(result.file?.bytes, payload.length);
  });
});

test('readMultipart: a Content-Length far above the cap → PAYLOAD_TOO_LARGE before reading', async () => {
  await withTempDir(async (dir) => {
    const body = new ReadableStream<Uint8Array>();
    const headers = { 'content-type': 'multipart/form-data; boundary=xyz', 'content-length': String(500 * MB) };
    await rejectsWithCode(readMultipart(headers, body, options(dir, { maxFileBytes: 10 * MB })), 'PAYLOAD_TOO_LARGE');
    assert.equal(body.locked, false, 'the body must not be read');
    assert.equal(existsSync(join(dir, 'input.part')), false);
  });
});

test('readMultipart: a wrong content type → INVALID_ARGUMENT', async () => {
  await withTempDir(async (dir) => {
    for (const headers of [{ 'content-type': 'application/json' }, {} as Record<string, string>, { 'content-type': 'text/plain; boundary=x' }]) {
      const body = new Request('http://x', { method: 'POST', body: '{}' }).body;
      await rejectsWithCode(readMultipart(headers, body, options(dir)), 'INVALID_ARGUMENT');
    }
  });
});

test('readMultipart: multipart without a boundary → INVALID_ARGUMENT', async () => {
  await withTempDir(async (dir) => {
    const body = new Request('http://x', { method: 'POST', body: 'x' }).body;
    await rejectsWithCode(readMultipart({ 'content-type': 'multipart/form-data' }, body, options(dir)), 'INVALID_ARGUMENT');
  });
});

test('readMultipart: a form without the file field → file null, fields kept', async () => {
  await withTempDir(async (dir) => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    const { headers, body } = formRequest(form);
    const result = await readMultipart(headers, body, options(dir));
    assert.equal(result.file, null);
    assert.deepEqual(result.fields, { model: 'whisper-1' });
    assert.equal(existsSync(join(dir, 'input.part')), false);
  });
});

test('readMultipart: a body that stalls → REQUEST_TIMEOUT within idleTimeoutMs, no file left', async () => {
  await withTempDir(async (dir) => {
    const form = new FormData();
    form.append('model', 'fast');
    form.append('file', new Blob([randomBytes(1 * MB)]), 'slow.wav');
    const { headers, bytes } = await formBytes(form);
    // Half the form: the file part has begun (and its destination file been opened).
    const { stream, cancelled } = stalledStream(bytes, Math.floor(bytes.length / 2));
    const idleTimeoutMs = 300;
    const started = performance.now();
    const error = await rejectsWithCode(readMultipart(headers, stream, options(dir, { idleTimeoutMs })), 'REQUEST_TIMEOUT');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= idleTimeoutMs - 20, `gave up after ${elapsed} ms, before the idle timeout`);
    assert.ok(elapsed < idleTimeoutMs + 2_000, `gave up only after ${elapsed} ms`);
    assert.match(error.message, /stalled/);
    await cancelled; // the request body was released
    assert.equal(existsSync(join(dir, 'input.part')), false, 'the partial upload must be deleted');
  });
});

test('readMultipart: the abort signal → ABORTED, no file left', async () => {
  await withTempDir(async (dir) => {
    const form = new FormData();
    form.append('file', new Blob([randomBytes(1 * MB)]), 'gone.wav');
    const { headers, bytes } = await formBytes(form);
    const { stream } = stalledStream(bytes, Math.floor(bytes.length / 2));
    const controller = new AbortController();
    const destPath = join(dir, 'input.part');
    const pending = readMultipart(headers, stream, options(dir, { signal: controller.signal, idleTimeoutMs: 30_000 }));
    // Abort once the upload is under way (half the file has been written).
    const progress = new Promise<void>((resolve) => {
      const check = () => (existsSync(destPath) ? resolve() : setTimeout(check, 5));
      check();
    });
    await progress;
    controller.abort();
    await rejectsWithCode(pending, 'ABORTED');
    assert.equal(existsSync(destPath), false, 'the partial upload must be deleted');
  });
});

test('readMultipart: an already-aborted signal → ABORTED without storing anything', async () => {
  await withTempDir(async (dir) => {
    const form = new FormData();
    form.append('file', new Blob([randomBytes(1000)]), 'a.wav');
    const { headers, body } = formRequest(form);
    await rejectsWithCode(readMultipart(headers, body, options(dir, { signal: AbortSignal.abort() })), 'ABORTED');
    assert.equal(existsSync(join(dir, 'input.part')), false);
  });
});

test('displayFilename: basename only, no control or bidi characters, at most 200 chars', () => {
  const cases: Array<[string | null | undefined, string | null]> = [
    ['talk.wav', 'talk.wav'],
    ['../../etc/passwd', 'passwd'],
    ['/abs/path/a.mp3', 'a.mp3'],
    ['C:\\x\\y.wav', 'y.wav'],
    ['dir\\..\\z.flac', 'z.flac'],
    ['a\u0000b\u001fc\u007f.wav', 'abc.wav'],
    ['line\r\nbreak.wav', 'linebreak.wav'],
    ['evil\u202Egnp.exe', 'evilgnp.exe'],
    ['x\u2066y\u2069.wav', 'xy.wav'],
    ['  spaced.wav  ', 'spaced.wav'],
    ['..', null],
    ['.', null],
    ['../..', null],
    ['dir/', null],
    ['\u0000\u0001', null],
    ['', null],
    [null, null],
    [undefined, null],
    ['ünïcødé 音声.wav', 'ünïcødé 音声.wav'],
  ];
  for (const [raw, expected] of cases) assert.equal(displayFilename(raw), expected, JSON.stringify(raw));
  const long = `${'a'.repeat(296)}.wav`;
  assert.equal(long.length, 300);
  assert.equal(displayFilename(long), 'a'.repeat(200));
  assert.equal(displayFilename(`x/${long}`)?.length, 200);
});

/** A multipart body written by hand (what a broken or hostile client sends), as a one-chunk stream. */
function rawBody(text: string | Buffer): ReadableStream<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes));
      controller.close();
    },
  });
}

test('readMultipart (issue 22 fuzz): a field part without a name (none, or name="") → INVALID_ARGUMENT, not a TypeError that kills the process', async () => {
  await withTempDir(async (dir) => {
    for (const disposition of ['Content-Disposition: form-data', 'Content-Disposition: form-data; name=""']) {
      const body = `--B\r\n${disposition}\r\n\r\nhello\r\n--B--\r\n`;
      const error = await rejectsWithCode(readMultipart({ 'content-type': 'multipart/form-data; boundary=B' }, rawBody(body), options(dir)), 'INVALID_ARGUMENT');
      assert.match(error.message, /a part has no name/);
      assert.deepEqual(await readdir(dir), []);
    }
  });
});

test('readMultipart (issue 22 fuzz): refused while a skipped file part is still open → the error comes back, no unhandled stream error', async () => {
  await withTempDir(async (dir) => {
    // A second file part, skipped, is open when the too-long field after it... never comes: the
    // body ends inside it. Before the fix busboy's destroy made that part emit an unhandled 'error'.
    const parts = [
      '--B\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nAAAA\r\n',
      '--B\r\nContent-Disposition: form-data; name="file"; filename="b.wav"\r\n\r\n' + 'x'.repeat(1000),
    ];
    const form = Buffer.from(parts.join('') + '\r\n--B\r\nContent-Disposition: form-data; name="language"\r\n\r\n' + 'e'.repeat(70 * 1024) + '\r\n--B--\r\n');
    // Unterminated variant: the same body cut inside the skipped part.
    for (const body of [form, form.subarray(0, parts[0]!.length + parts[1]!.length - 10)]) {
      const unhandled: unknown[] = [];
      const onError = (e: unknown) => unhandled.push(e);
      process.on('uncaughtException', onError);
      try {
        await assert.rejects(readMultipart({ 'content-type': 'multipart/form-data; boundary=B' }, rawBody(body), options(dir)), ParascribeError);
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        process.off('uncaughtException', onError);
      }
      assert.deepEqual(unhandled, []);
      assert.equal(existsSync(join(dir, 'input.part')), false);
    }
  });
});

test('readMultipart (issue 22 chaos): the disk fills up under the upload → STORAGE_FULL, not INTERNAL, and no file left', async () => {
  if (process.getuid?.() !== 0) return; // needs a tmpfs of its own: mount needs root
  const { spawnSync } = await import('node:child_process');
  await withTempDir(async (dir) => {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status !== 0) return;
    try {
      const form = new FormData();
      form.append('file', new Blob([randomBytes(3 * MB)]), 'big.wav');
      const { headers, body } = formRequest(form);
      const error = await rejectsWithCode(readMultipart(headers, body, options(dir)), 'STORAGE_FULL');
      assert.match(error.message, /out of disk space storing the upload; try again later/);
      assert.equal(error.details?.retryAfterSec, 30);
      assert.deepEqual(await readdir(dir), []);
    } finally {
      spawnSync('umount', ['-l', dir]);
    }
  });
});
