/**
 * `models pull` against a local fake model host (test/fakes/model-host.ts) serving whisper.cpp's two
 * test models from ../shared/fixtures/models: a connection dropped at 40 % (resumed with Range, in the
 * same run and in a later one), a checksum mismatch, a 404, a stalled server, an unreachable host,
 * a cancelled pull, and `verify`. Nothing here touches the internet.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_CATALOGUE, Catalogue, type CatalogueEntry } from '../src/models/catalogue.js';
import { ModelStore } from '../src/models/store.js';
import { isParascribeError, type ParascribeError } from '../src/errors.js';
import { startModelHost, type ModelHost } from './fakes/model-host.js';
import { FIXTURES } from './helpers/cli.js';

const TINY = join(FIXTURES, 'models', 'for-tests-ggml-tiny.en.bin');
const VAD = join(FIXTURES, 'models', 'for-tests-silero-v6.2.0-ggml.bin');
/** The test models' real SHA-256s (computed from ../shared/fixtures/models, checked below). */
const TINY_SHA256 = 'dd6b7796204a1cdf7164666423034e6e1a7a3e9f5c22327b4b7974c4584bd82d';
const TINY_SHA1 = '06f45ff6b30e9678b40ca36ce3bc175a50fd4929';
const VAD_SHA256 = '2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987';
const TINY_BYTES = 586_836;

/** The test catalogue: the test models under their own names, with their real checksums. */
const TEST_ENTRIES: CatalogueEntry[] = [
  { name: 'for-tests-tiny.en', file: 'for-tests-ggml-tiny.en.bin', kind: 'whisper', sizeBytes: TINY_BYTES, approxBytes: TINY_BYTES, sha256: TINY_SHA256 },
  { name: 'for-tests-tiny.en-sha1', file: 'ggml-sha1.bin', kind: 'whisper', sizeBytes: TINY_BYTES, approxBytes: TINY_BYTES, sha1: TINY_SHA1 },
  { name: 'for-tests-silero', file: 'for-tests-silero-v6.2.0-ggml.bin', kind: 'vad', approxBytes: 885_098 },
  { name: 'wrong-checksum', file: 'ggml-wrong.bin', kind: 'whisper', sizeBytes: TINY_BYTES, approxBytes: TINY_BYTES, sha256: VAD_SHA256 },
  { name: 'missing', file: 'ggml-missing.bin', kind: 'whisper', approxBytes: 1 },
];

let host: ModelHost;
const work = mkdtempSync(join(tmpdir(), 'parascribe-models-test-'));
let n = 0;

/** A fresh store per test (its own data dir), fetching from the fake host. */
function store(): ModelStore {
  return new ModelStore({ dataDir: join(work, `data-${++n}`), models: { baseUrl: host.url } }, new Catalogue([...BUILTIN_CATALOGUE, ...TEST_ENTRIES]));
}

const fast = { retryDelayMs: () => 0, stallTimeoutMs: 2_000 };

async function rejection(promise: Promise<unknown>): Promise<ParascribeError> {
  const error = await promise.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(isParascribeError(error), `not a ParascribeError: ${String(error)}`);
  return error as ParascribeError;
}

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

before(async () => {
  host = await startModelHost({
    '/for-tests-ggml-tiny.en.bin': TINY,
    '/ggml-sha1.bin': TINY,
    '/for-tests-silero-v6.2.0-ggml.bin': VAD,
    '/ggml-wrong.bin': TINY,
  });
});

after(async () => {
  await host.close();
  rmSync(work, { recursive: true, force: true });
});

test('the test catalogue carries the test models\' real checksums; the built-in one whisper.cpp\'s SHA-1s', () => {
  assert.equal(sha256Of(TINY), TINY_SHA256);
  assert.equal(sha256Of(VAD), VAD_SHA256);
  assert.equal(statSync(TINY).size, TINY_BYTES);
  const catalogue = Catalogue.load();
  assert.equal(catalogue.get('base.en').sha1, '137c40403d78fd54d454da0f9bd998f78703390c');
  assert.equal(catalogue.get('base.en').sizeBytes, 147_964_211);
  assert.equal(catalogue.get('ggml-large-v3-turbo.bin').name, 'large-v3-turbo', 'a file name finds its entry');
  assert.equal(catalogue.get('small-q5_1').sha1, undefined, 'no published checksum: size only, SHA-256 recorded at pull');
  assert.equal(catalogue.urlOf(catalogue.get('base.en')), 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.en.bin');
  assert.equal(catalogue.urlOf(catalogue.get('silero-v6.2.0')), 'https://huggingface.co/ggml-org/whisper-vad/resolve/main/ggml-silero-v6.2.0.bin');
  assert.equal(catalogue.urlOf(catalogue.get('base.en'), 'http://mirror.local/m/'), 'http://mirror.local/m/ggml-base.en.bin');
  for (const name of ['tiny', 'tiny.en', 'base', 'small', 'medium', 'large-v3', 'large-v3-turbo', 'small.en-q5_1', 'large-v3-turbo-q5_0', 'silero-v6.2.0']) {
    assert.ok(catalogue.find(name), name);
  }
  assert.throws(() => catalogue.get('base.fr'), (e: ParascribeError) => e.code === 'INVALID_ARGUMENT' && /did you mean: base, base.en/.test(e.message));
  const custom = join(work, 'catalogue.json');
  writeFileSync(custom, JSON.stringify({ models: [{ name: 'base.en', sizeBytes: TINY_BYTES, sha256: TINY_SHA256.toUpperCase() }] }));
  assert.deepEqual(Catalogue.load(custom).get('base.en'), { name: 'base.en', file: 'ggml-base.en.bin', kind: 'whisper', approxBytes: TINY_BYTES, sizeBytes: TINY_BYTES, sha256: TINY_SHA256 });
  writeFileSync(custom, JSON.stringify({ models: [{ name: '../etc', sha256: 'x' }] }));
  assert.throws(() => Catalogue.load(custom), (e: ParascribeError) => e.code === 'INVALID_CONFIG');
});

test('a connection dropped at 40 % is resumed with Range in the same pull; the file is whole and checked', async () => {
  const models = store();
  host.queueFaults({ dropAtFraction: 0.4 });
  const from = host.log.length;
  const retries: number[] = [];
  const pulled = await models.pull('for-tests-tiny.en', { ...fast, onRetry: (r) => retries.push(r.resumeFromBytes) });
  const requests = host.log.slice(from);
  // The server sent 40 %; what reached the disk before the reset (a little less, at most that) is where it resumes.
  assert.equal(retries.length, 1);
  const resumedAt = retries[0]!;
  assert.ok(resumedAt > 0 && resumedAt <= Math.floor(TINY_BYTES * 0.4), `resumed at ${resumedAt}`);
  assert.deepEqual(requests.map((r) => [r.status, r.range]), [[200, undefined], [206, `bytes=${resumedAt}-`]]);
  assert.equal(requests[1]!.ifRange, `"${TINY_BYTES}-fake"`, 'the resume is conditional on the same file (If-Range: ETag)');
  assert.equal(requests[1]!.sent, TINY_BYTES - resumedAt, 'only the missing part travelled again');
  assert.equal(sha256Of(pulled.path), TINY_SHA256);
  assert.equal(pulled.path, join(models.dir, 'for-tests-ggml-tiny.en.bin'));
  assert.deepEqual(pulled.record?.checkedAgainst, ['sha256', 'size']);
  assert.equal(existsSync(`${pulled.path}.partial`), false);
  assert.equal(existsSync(`${pulled.path}.lock`), false);
  assert.equal((await models.manifest())['for-tests-ggml-tiny.en.bin']?.sha256, TINY_SHA256);
  const again = await models.pull('for-tests-tiny.en', fast);
  assert.equal(again.already, true, 'an installed model is not downloaded again');
});

test('a pull cut at 40 % with no retries leaves only the partial file; the next pull resumes from it', async () => {
  const models = store();
  host.queueFaults({ dropAtFraction: 0.4 });
  const error = await rejection(models.pull('for-tests-tiny.en-sha1', { ...fast, retries: 0 }));
  assert.equal(error.code, 'MODEL_DOWNLOAD_FAILED');
  assert.equal(error.details?.reason, 'cut');
  const final = join(models.dir, 'ggml-sha1.bin');
  assert.equal(existsSync(final), false, 'never a half model under its final name');
  const cut = statSync(`${final}.partial`).size;
  assert.ok(cut > 0 && cut <= Math.floor(TINY_BYTES * 0.4), `partial ${cut}`);
  const from = host.log.length;
  const resumed = await models.pull('for-tests-tiny.en-sha1', fast);
  assert.equal(resumed.resumedFromBytes, cut);
  assert.deepEqual(host.log.slice(from).map((r) => [r.status, r.range]), [[206, `bytes=${cut}-`]]);
  assert.equal(sha256Of(final), TINY_SHA256);
  assert.deepEqual(resumed.record?.checkedAgainst, ['sha1', 'size'], "checked against whisper.cpp's kind of checksum (SHA-1)");
});

test('a server that ignores Range gets the whole file again, not a corrupt splice', async () => {
  const models = store();
  host.queueFaults({ dropAtFraction: 0.4 }, { ignoreRange: true });
  const pulled = await models.pull('for-tests-tiny.en', fast);
  assert.equal(sha256Of(pulled.path), TINY_SHA256);
  assert.equal(host.log.at(-1)!.status, 200);
});

test('a checksum mismatch deletes the download and is not retried', async () => {
  const models = store();
  const from = host.log.length;
  const error = await rejection(models.pull('wrong-checksum', fast));
  assert.equal(error.code, 'MODEL_DOWNLOAD_FAILED');
  assert.equal(error.details?.reason, 'checksum');
  assert.equal(error.isRetryable, false);
  assert.match(error.message, new RegExp(`SHA-256 ${TINY_SHA256}, expected ${VAD_SHA256}`));
  assert.equal(host.log.length - from, 1);
  assert.equal(existsSync(join(models.dir, 'ggml-wrong.bin')), false);
  assert.equal(existsSync(join(models.dir, 'ggml-wrong.bin.partial')), false);
});

test('a 404 fails at once with the URL and a hint about the mirror', async () => {
  const models = store();
  const from = host.log.length;
  const error = await rejection(models.pull('missing', fast));
  assert.equal(error.code, 'MODEL_DOWNLOAD_FAILED');
  assert.equal(error.details?.reason, 'not-found');
  assert.match(error.message, /ggml-missing\.bin: not found \(HTTP 404\); is the base URL a mirror of/);
  assert.equal(host.log.length - from, 1, 'not retried');
  const busy = store();
  host.queueFaults({ status: 503 }, { status: 503 });
  const from2 = host.log.length;
  await busy.pull('for-tests-tiny.en', fast);
  assert.deepEqual(host.log.slice(from2).map((r) => r.status), [503, 503, 200], 'a 503 is retried');
});

test('a stalled server ends the attempt after the stall timeout; the retry resumes where it stalled', async () => {
  const models = store();
  host.queueFaults({ stallAfterBytes: 100_000 }, { stallAfterBytes: 50_000 });
  const from = host.log.length;
  const started = performance.now();
  const error = await rejection(models.pull('for-tests-tiny.en', { retryDelayMs: () => 0, stallTimeoutMs: 300, retries: 1 }));
  const ms = performance.now() - started;
  assert.equal(error.code, 'MODEL_DOWNLOAD_FAILED');
  assert.equal(error.details?.reason, 'stalled');
  assert.match(error.message, /no data for 0\.3 s at 150000 bytes \(stalled\) \(after 2 attempts\)/);
  assert.ok(ms < 3_000, `took ${ms} ms`);
  assert.deepEqual(host.log.slice(from).map((r) => r.range), [undefined, 'bytes=100000-']);
  assert.equal(statSync(join(models.dir, 'for-tests-ggml-tiny.en.bin.partial')).size, 150_000, 'kept for the next pull');
  const resumed = await models.pull('for-tests-tiny.en', fast);
  assert.equal(resumed.resumedFromBytes, 150_000);
  assert.equal(sha256Of(resumed.path), TINY_SHA256);
});

test('offline (nothing listening): a clear error at once, no retries', async () => {
  const closed = await startModelHost({});
  const url = closed.url;
  await closed.close();
  const models = new ModelStore({ dataDir: join(work, 'offline'), models: { baseUrl: url } }, new Catalogue(TEST_ENTRIES));
  const started = performance.now();
  const error = await rejection(models.pull('for-tests-tiny.en', { retries: 5, retryDelayMs: () => 1_000 }));
  assert.equal(error.code, 'MODEL_DOWNLOAD_FAILED');
  assert.equal(error.details?.reason, 'offline');
  assert.match(error.message, /refused the connection\. Offline\? .*PARASCRIBE_MODELS_URL/);
  assert.ok(performance.now() - started < 900, 'not retried');
});

test('a cancelled pull stops at once with ABORTED and keeps its partial file', async () => {
  const models = store();
  host.queueFaults({ stallAfterBytes: 200_000 });
  const controller = new AbortController();
  const pending = models.pull('for-tests-tiny.en', { ...fast, signal: controller.signal });
  while (!existsSync(join(models.dir, 'for-tests-ggml-tiny.en.bin.partial')) || statSync(join(models.dir, 'for-tests-ggml-tiny.en.bin.partial')).size < 200_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  controller.abort();
  const error = await rejection(pending);
  assert.equal(error.code, 'ABORTED');
  assert.equal(statSync(join(models.dir, 'for-tests-ggml-tiny.en.bin.partial')).size, 200_000);
  assert.equal(existsSync(join(models.dir, 'for-tests-ggml-tiny.en.bin.lock')), false, 'the lock is released');
});

test('verify: catalogue checksum, or the SHA-256 recorded at pull; a changed file is a mismatch; rm deletes', async () => {
  const models = store();
  await models.pull('for-tests-tiny.en', fast);
  const vad = await models.pull('for-tests-silero', fast);
  assert.deepEqual(vad.record?.checkedAgainst, [], 'nothing published: recorded only');
  assert.equal(vad.record?.sha256, VAD_SHA256);
  const ok = await models.verify();
  assert.deepEqual(ok.map((r) => [r.name, r.status, r.against]), [
    ['for-tests-tiny.en', 'ok', 'sha256 (catalogue)'],
    ['for-tests-silero', 'ok', 'sha256 (recorded at pull)'],
  ]);
  const bytes = readFileSync(vad.path);
  bytes[1000] = (bytes[1000]! + 1) % 256;
  writeFileSync(vad.path, bytes);
  const [changed] = await models.verify('for-tests-silero');
  assert.equal(changed!.status, 'mismatch');
  assert.equal(await models.remove('for-tests-silero'), true);
  assert.equal(existsSync(vad.path), false);
  assert.equal((await models.manifest())['for-tests-silero-v6.2.0-ggml.bin'], undefined);
  assert.equal(await models.remove('for-tests-silero'), false);
});

test('whispercpp without modelPath takes the pulled model from the store, and says how to pull one when there is none', async () => {
  const { createWhisperCpp } = await import('../src/backends/whispercpp/index.js');
  const models = store();
  const none = (() => {
    try {
      createWhisperCpp({}, 'local', {}, { models });
    } catch (error) {
      return error as ParascribeError;
    }
    return assert.fail('expected an error');
  })();
  assert.equal(none.code, 'BACKEND_UNAVAILABLE');
  assert.match(none.message, /whisper\.cpp model "base\.en" is not in the model store .*parascribe models pull base\.en/);
  const pulled = await models.pull('for-tests-tiny.en', fast);
  const vad = await models.pull('for-tests-silero', fast);
  const backend = createWhisperCpp({ model: 'for-tests-tiny.en', vadModel: 'for-tests-silero' }, 'local', {}, { models });
  assert.equal(backend.model, 'for-tests-ggml-tiny.en');
  assert.deepEqual((backend.fingerprint.model as { path: string }).path, pulled.path);
  assert.deepEqual((backend.fingerprint.vad as { path: string }).path, vad.path);
  const explicit = createWhisperCpp({ modelPath: TINY }, 'local', {}, { models });
  assert.equal((explicit.fingerprint.model as { path: string }).path, TINY, 'modelPath wins over the store');
  assert.throws(() => createWhisperCpp({ model: 'tiny' }, 'local', {}, { models }), (e: ParascribeError) => e.code === 'BACKEND_UNAVAILABLE' && /models pull tiny/.test(e.message));
  await Promise.all([backend.close(), explicit.close()]);
});

test('pull --force keeps the installed file until the new download has passed its checks', async () => {
  const models = store();
  const first = await models.pull('for-tests-tiny.en', fast);
  host.queueFaults({ status: 404 });
  const error = await rejection(models.pull('for-tests-tiny.en', { ...fast, force: true }));
  assert.equal(error.details?.reason, 'not-found');
  assert.equal(sha256Of(first.path), TINY_SHA256, 'the old model is still there, whole');
  const again = await models.pull('for-tests-tiny.en', { ...fast, force: true });
  assert.equal(again.already, false);
  assert.equal(sha256Of(again.path), TINY_SHA256);
});
