/**
 * The `openai` backend against the FAKE OpenAI server (test/fakes/openai-server.ts) over loopback,
 * with a real SegmentAudio of jfk.wav. The fake memoises transcripts by upload bytes, so only the
 * first request per distinct upload pays for pocketsphinx.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeToPcmFile } from '../src/audio/decode.js';
import { probeAudio } from '../src/audio/probe.js';
import { sliceSegment, type SegmentAudio } from '../src/audio/segment-audio.js';
import { parseRetryAfterMs } from '../src/queue/retry.js';
import { encodeSegment } from '../src/backends/openai/encode.js';
import { createOpenAICompatible, openaiFactory, openaiSettingsSchema } from '../src/backends/openai/index.js';
import { Semaphore } from '../src/backends/openai/semaphore.js';
import type { TranscriptionBackend } from '../src/backends/spec.js';
import type { ParascribeError } from '../src/errors.js';
import { withRetry } from '../src/queue/retry.js';
import { FIXTURES } from './helpers/cli.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';

const SECRET = 'sk-test-DO-NOT-LEAK-0123456789abcdef';

let workDir: string | undefined;
let audio: SegmentAudio;
after(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function jfkSegment(): Promise<SegmentAudio> {
  if (audio) return audio;
  workDir = await mkdtemp(join(tmpdir(), 'parascribe-openai-test-'));
  const info = await probeAudio(join(FIXTURES, 'jfk.wav'));
  const { pcmPath } = await decodeToPcmFile(info, join(workDir, 'jfk.pcm'));
  audio = sliceSegment(pcmPath, 0, 11);
  return audio;
}

function transcribe(backend: TranscriptionBackend, signal = new AbortController().signal, extra: { language?: string; prompt?: string; options?: Record<string, unknown> } = {}) {
  return backend.transcribe({ audio, signal, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<ParascribeError> {
  try {
    await promise;
  } catch (error) {
    return error as ParascribeError;
  }
  assert.fail('expected a rejection');
}

async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('openai backend against the fake server', async (t) => {
  await jfkSegment();
  const server: FakeOpenAIServer = await startFakeOpenAIServer({ seed: 3 });
  t.after(() => server.close());
  const make = (settings: Record<string, unknown> = {}, id = 'remote-gpu') =>
    createOpenAICompatible({ baseURL: server.url, apiKey: SECRET, ...settings }, id, {});
  const lastRequest = () => server.stats().log.at(-1)!;

  await t.test('prefetch: an upload encoded ahead is the one sent; an aborted prefetch is redone', async () => {
    const backend = make();
    const plain = await transcribe(backend);
    const plainSize = lastRequest().file!.size;
    const early = new AbortController();
    backend.prefetch!(audio, early.signal);
    backend.prefetch!(audio, early.signal); // a repeated hint is a no-op
    const ahead = await transcribe(backend);
    assert.equal(lastRequest().file!.size, plainSize);
    assert.equal(ahead.text, plain.text);
    const doomed = new AbortController();
    backend.prefetch!(audio, doomed.signal);
    doomed.abort();
    const redone = await transcribe(backend);
    assert.equal(redone.text, plain.text, 'the aborted prefetch did not poison the request');
  });

  await t.test('verbose_json: utterances, words and signals are mapped', async () => {
    const backend = make({ prompt: 'Inaugural address.' });
    await backend.check!(new AbortController().signal);
    const result = await transcribe(backend, undefined, { language: 'en-US', options: { beamSize: 5 } });
    assert.match(result.text, /country/);
    assert.equal(result.language, 'en');
    assert.ok(result.utterances.length >= 2);
    const words = result.utterances.flatMap((u) => u.words);
    assert.ok(words.some((w) => w.word === 'country'));
    for (const u of result.utterances) {
      assert.ok(u.startSec >= 0 && u.endSec <= audio.durationSec && u.endSec >= u.startSec);
      assert.equal(u.text, u.text.trim());
      assert.deepEqual(Object.keys(u.signals ?? {}).sort(), ['avg_logprob', 'compression_ratio', 'no_speech_prob']);
      for (const w of u.words) assert.ok(w.startSec + w.endSec >= 2 * u.startSec - 1e-9 && w.startSec + w.endSec <= 2 * u.endSec + 1e-9);
    }
    assert.equal(result.coldStart, false);
    assert.ok(result.computeSec >= 0);
    assert.deepEqual(result.warnings, [{ type: 'unsupported-option', message: 'backend "remote-gpu" ignores option "beamSize"' }]);
    const sent = lastRequest();
    assert.deepEqual(sent.fields, {
      model: ['whisper-1'],
      language: ['en'],
      prompt: ['Inaugural address.'],
      response_format: ['verbose_json'],
      'timestamp_granularities[]': ['word', 'segment'],
    });
    assert.deepEqual(sent.file, { name: 'segment.flac', type: 'audio/flac', size: sent.file!.size });
    assert.equal(backend.capabilities.wordTimestamps, true);
    assert.equal(backend.id, 'remote-gpu');
    assert.equal(backend.model, 'whisper-1');
    assert.ok(!JSON.stringify(backend.fingerprint).includes(SECRET));
  });

  await t.test('compression ratio and cold start come through', async () => {
    const cold = await startFakeOpenAIServer({ faults: { coldStartMs: 30, compressionRatio: 2.9 } });
    try {
      const backend = createOpenAICompatible({ baseURL: cold.url }, 'cold', {});
      const first = await transcribe(backend);
      const second = await transcribe(backend);
      assert.equal(first.coldStart, true);
      assert.equal(second.coldStart, false);
      assert.ok(first.utterances.every((u) => u.signals?.compression_ratio === 2.9));
    } finally {
      await cold.close();
    }
  });

  await t.test('verbose_json refused: json fallback, a warning, and later calls go straight to json', async () => {
    server.setFaults({ refuseVerboseJson: true });
    const backend = make();
    const before = server.stats().requests;
    const first = await transcribe(backend);
    assert.equal(first.utterances.length, 1);
    assert.deepEqual({ ...first.utterances[0], text: '' }, { startSec: 0, endSec: audio.durationSec, text: '', words: [] });
    assert.match(first.text, /country/);
    assert.deepEqual(first.warnings, [{ type: 'timestamps-degraded', message: 'times are per segment only' }]);
    assert.equal(backend.capabilities.wordTimestamps, false);
    const formats = server.stats().log.slice(-2).map((e) => `${e.outcome}:${e.responseFormat}`);
    assert.deepEqual(formats, ['refused-verbose:verbose_json', 'ok:json']);
    const second = await transcribe(backend);
    assert.equal(server.stats().requests - before, 3);
    assert.equal(lastRequest().responseFormat, 'json');
    assert.deepEqual(second.warnings, [{ type: 'timestamps-degraded', message: 'times are per segment only' }]);
    server.setFaults({});
  });

  await t.test('a 200 without segments degrades without a second request', async () => {
    server.setFaults({ ignoreVerboseJson: true });
    const backend = make();
    const before = server.stats().requests;
    const result = await transcribe(backend);
    assert.equal(server.stats().requests - before, 1);
    assert.equal(result.utterances.length, 1);
    assert.equal(result.warnings[0]?.type, 'timestamps-degraded');
    assert.equal(backend.capabilities.wordTimestamps, false);
    server.setFaults({});
  });

  await t.test('5xx is retryable', async () => {
    server.setFaults({ failRate: 1 });
    const error = await failure(transcribe(make()));
    assert.equal(error.code, 'BACKEND_FAILED');
    assert.equal(error.isRetryable, true);
    assert.ok([500, 502, 503].includes(error.details?.status as number));
    assert.equal(error.details?.backend, 'remote-gpu');
    assert.match(error.message, /^backend "remote-gpu": HTTP 50\d from http:\/\/127\.0\.0\.1:\d+\/v1\/audio\/transcriptions: .*server_error/);
    server.setFaults({ down: true });
    assert.equal((await failure(transcribe(make()))).details?.status, 503);
    server.setFaults({});
  });

  await t.test('429 is retryable with the Retry-After delay', async () => {
    server.setFaults({ rateLimitRate: 1, retryAfterSec: 2 });
    const error = await failure(transcribe(make()));
    assert.equal(error.code, 'BACKEND_FAILED');
    assert.equal(error.isRetryable, true);
    assert.equal(error.details?.status, 429);
    assert.equal(error.details?.retryAfterMs, 2000);
    server.setFaults({});
  });

  await t.test('with the shared retry policy, a 429 waits at least Retry-After and then succeeds', async () => {
    server.setFaults({ rateLimitRate: 1, retryAfterSec: 0.3 });
    const backend = make();
    const delays: number[] = [];
    const started = Date.now();
    const result = await withRetry(() => transcribe(backend), {
      policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      signal: new AbortController().signal,
      onRetry: (_attempt, _error, delayMs) => {
        delays.push(delayMs);
        server.setFaults({});
      },
    });
    assert.match(result.text, /country/);
    assert.deepEqual(delays, [300]);
    assert.ok(Date.now() - started >= 300);
  });

  await t.test('client errors are not retryable; 401/403 mean the backend is unavailable', async () => {
    const expected: Record<number, [string, boolean]> = {
      400: ['BACKEND_FAILED', false],
      401: ['BACKEND_UNAVAILABLE', false],
      403: ['BACKEND_UNAVAILABLE', false],
      404: ['BACKEND_FAILED', false],
      408: ['BACKEND_FAILED', true],
      409: ['BACKEND_FAILED', true],
      413: ['BACKEND_FAILED', false],
      415: ['BACKEND_FAILED', false],
      422: ['BACKEND_FAILED', false],
    };
    for (const [status, [code, retryable]] of Object.entries(expected)) {
      server.setFaults({ forceStatus: Number(status) });
      const error = await failure(transcribe(make()));
      assert.deepEqual([error.code, error.isRetryable, error.details?.status], [code, retryable, Number(status)], `HTTP ${status}`);
      assert.ok(!error.message.includes('\n'));
    }
    server.setFaults({});
  });

  await t.test('a hang times out per attempt, and the server sees the connection closed', async () => {
    server.setFaults({ hangRate: 1 });
    const closedBefore = server.stats().clientClosed;
    const started = Date.now();
    const error = await failure(transcribe(make({ timeoutSec: 0.4 })));
    assert.equal(error.code, 'SEGMENT_TIMEOUT');
    assert.equal(error.isRetryable, true);
    assert.ok(Date.now() - started < 3000);
    await until(() => server.stats().clientClosed > closedBefore);
    server.setFaults({});
  });

  await t.test("the caller's abort is ABORTED, quickly", async () => {
    server.setFaults({ hangRate: 1 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 150);
    const error = await failure(transcribe(make({ timeoutSec: 30 }), controller.signal));
    assert.equal(error.code, 'ABORTED');
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    server.setFaults({});
  });

  await t.test('malformed JSON in a 200 is retryable', async () => {
    server.setFaults({ malformedRate: 1 });
    const error = await failure(transcribe(make()));
    assert.equal(error.code, 'BACKEND_FAILED');
    assert.equal(error.isRetryable, true);
    assert.equal(error.details?.status, 200);
    server.setFaults({});
  });

  await t.test('a refused connection is a retryable network error', async () => {
    const gone = await startFakeOpenAIServer();
    const url = gone.url;
    await gone.close();
    const error = await failure(transcribe(createOpenAICompatible({ baseURL: url }, 'gone', {})));
    assert.equal(error.code, 'BACKEND_FAILED');
    assert.equal(error.isRetryable, true);
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal((await failure(createOpenAICompatible({ baseURL: url }, 'gone', {}).check!(new AbortController().signal))).code, 'BACKEND_UNAVAILABLE');
  });

  await t.test('maxConcurrentRequests bounds the requests in flight', async () => {
    const limited = await startFakeOpenAIServer({ faults: { latencyMs: 250 } });
    try {
      const backend = createOpenAICompatible({ baseURL: limited.url, maxConcurrentRequests: 2 }, 'limited', {});
      const results = await Promise.all(Array.from({ length: 5 }, () => transcribe(backend)));
      assert.equal(results.length, 5);
      const stats = limited.stats();
      assert.equal(stats.requests, 5);
      assert.equal(stats.maxInFlight, 2);
    } finally {
      await limited.close();
    }
  });

  await t.test('the API key never appears in an error message', async () => {
    const locked = await startFakeOpenAIServer({ apiKey: 'the-right-key' });
    try {
      const backend = createOpenAICompatible({ baseURL: locked.url, apiKey: SECRET }, 'locked', {});
      const error = await failure(transcribe(backend));
      assert.equal(error.code, 'BACKEND_UNAVAILABLE');
      assert.match(error.message, /HTTP 401.*Incorrect API key provided/);
      assert.ok(!error.message.includes(SECRET), error.message);
      const checked = await failure(backend.check!(new AbortController().signal));
      assert.equal(checked.code, 'BACKEND_UNAVAILABLE');
      assert.ok(!checked.message.includes(SECRET));
      assert.ok(!JSON.stringify(error.details).includes(SECRET));
    } finally {
      await locked.close();
    }
  });
});

test('a missing API key for a remote endpoint is BACKEND_UNAVAILABLE, naming the setting and both variables', async () => {
  await jfkSegment();
  const backend = createOpenAICompatible({ baseURL: 'https://api.example.com/v1' }, 'groq', {});
  for (const promise of [backend.check!(new AbortController().signal), transcribe(backend)]) {
    const error = await failure(promise);
    assert.equal(error.code, 'BACKEND_UNAVAILABLE');
    assert.match(error.message, /apiKey/);
    assert.match(error.message, /PARASCRIBE_OPENAI_API_KEY/);
    assert.match(error.message, /\bOPENAI_API_KEY/);
  }
  // From the environment instead: no complaint (nothing is sent: check() would reach the network).
  const fromEnv = createOpenAICompatible({ baseURL: 'https://api.example.com/v1' }, 'groq', { OPENAI_API_KEY: 'k' });
  assert.equal(fromEnv.capabilities.costPerAudioMinuteUsd, 0.006);
  // apiKeyEnv names the one variable to read: an OpenAI key is not sent to another provider.
  const groq = createOpenAICompatible({ baseURL: 'https://api.example.com/v1', apiKeyEnv: 'GROQ_API_KEY' }, 'groq', { OPENAI_API_KEY: 'k' });
  const error = await failure(groq.check!(new AbortController().signal));
  assert.equal(error.code, 'BACKEND_UNAVAILABLE');
  assert.match(error.message, /GROQ_API_KEY/);
});

test('settings: env is read at create() time, PARASCRIBE_ first; defaults; strict schema', () => {
  const env = { PARASCRIBE_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/', OPENAI_BASE_URL: 'http://other/v1' };
  const backend = createOpenAICompatible({}, undefined, env);
  assert.equal(backend.id, 'openai');
  assert.deepEqual(backend.fingerprint, {
    baseURL: 'http://127.0.0.1:9/v1',
    model: 'whisper-1',
    prompt: null,
    responseFormat: 'verbose_json',
    language: null,
    uploadFormat: 'flac',
  });
  assert.equal(createOpenAICompatible({}, 'x', { OPENAI_BASE_URL: 'http://b:1/v1' }).fingerprint.baseURL, 'http://b:1/v1');
  assert.equal(createOpenAICompatible({}, 'x', {}).fingerprint.baseURL, 'https://api.openai.com/v1');
  assert.equal(openaiSettingsSchema.safeParse({ apiKey: 'k', bogus: 1 }).success, false);
  assert.equal(openaiSettingsSchema.safeParse({ uploadFormat: 'mp3' }).success, false);
  assert.throws(() => createOpenAICompatible({ baseURL: 'ftp://x' }), { code: 'INVALID_CONFIG' });
  const viaFactory = openaiFactory.create(openaiSettingsSchema.parse({ baseURL: 'http://localhost:1/v1', model: 'large-v3' }), 'remote-gpu');
  assert.deepEqual([viaFactory.id, viaFactory.model, viaFactory.capabilities.languages], ['remote-gpu', 'large-v3', '*']);
});

test('Retry-After: seconds, HTTP-date and retry-after-ms', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': '2' }), now), 2000);
  assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now), 5000);
  assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 00:00:05 GMT' }), now), 0);
  assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': '2', 'retry-after-ms': '1500' }), now), 1500);
  assert.equal(parseRetryAfterMs(new Headers({}), now), undefined);
  assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
});

test('upload encodings: wav, flac and opus bytes', async () => {
  const segment = await jfkSegment();
  const signal = new AbortController().signal;
  const wav = await encodeSegment(segment, 'wav', signal);
  const flac = await encodeSegment(segment, 'flac', signal);
  const opus = await encodeSegment(segment, 'opus', signal);
  assert.equal(wav.bytes.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(wav.bytes.length, 44 + 11 * 32_000);
  assert.equal(flac.bytes.subarray(0, 4).toString('latin1'), 'fLaC');
  assert.equal(opus.bytes.subarray(0, 4).toString('latin1'), 'OggS');
  assert.ok(flac.bytes.length < wav.bytes.length && opus.bytes.length < flac.bytes.length);
  const aborted = AbortSignal.abort();
  await assert.rejects(encodeSegment(segment, 'flac', aborted), { code: 'ABORTED' });
});

test('semaphore: at most capacity, FIFO, and an aborted wait leaves the queue', async () => {
  const semaphore = new Semaphore(1);
  const release = await semaphore.acquire();
  const controller = new AbortController();
  const abandoned = semaphore.acquire(controller.signal);
  const next = semaphore.acquire();
  controller.abort();
  await assert.rejects(abandoned, { code: 'ABORTED' });
  assert.equal(semaphore.waiting, 1);
  release();
  release(); // idempotent
  const releaseNext = await next;
  assert.equal(semaphore.inUse, 1);
  releaseNext();
  assert.equal(semaphore.inUse, 0);
});
