/**
 * The whisper.cpp backend against the real binding (@fugood/whisper.node) and whisper.cpp's own test
 * models. for-tests-ggml-tiny.en.bin has no weights: whisper.cpp loads it and runs the whole inference
 * path (≈ 10-20 s for 11 s of audio on 2 cores: the empty decoder runs to its token limit) and returns
 * EMPTY text. So these tests prove process handling (load once, reuse, kill on abort/timeout, crash and
 * load-failure mapping, close) and the data path (PCM over IPC, options accepted, times converted),
 * never transcription quality. If the binding cannot load here, the tests fail; they never skip.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeToPcmFile } from '../src/audio/decode.js';
import { probeAudio } from '../src/audio/probe.js';
import { sliceSegment, type SegmentAudio } from '../src/audio/segment-audio.js';
import { composeSpeech, planSpeech, segmentsToUtterances, toSourceSec, tokensToUtterances } from '../src/backends/whispercpp/convert.js';
import { createWhisperCpp, MODEL_ENV, type WhisperCppBackend } from '../src/backends/whispercpp/index.js';
import { isParascribeError, type ParascribeError } from '../src/errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = process.env.PARASCRIBE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures');
const MODEL = join(FIXTURES, 'models', 'for-tests-ggml-tiny.en.bin');
const VAD_MODEL = join(FIXTURES, 'models', 'for-tests-silero-v6.2.0-ggml.bin');

const work = mkdtempSync(join(tmpdir(), 'parascribe-whispercpp-test-'));
let jfk: SegmentAudio;
let long: SegmentAudio;
let silence: SegmentAudio;
const backends: WhisperCppBackend[] = [];

function backend(settings: Parameters<typeof createWhisperCpp>[0] = {}): WhisperCppBackend {
  const created = createWhisperCpp({ modelPath: MODEL, ...settings });
  backends.push(created);
  return created;
}

const never = (): AbortSignal => new AbortController().signal;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function rejection(promise: Promise<unknown>): Promise<ParascribeError> {
  const error = await promise.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(isParascribeError(error), `not a ParascribeError: ${String(error)}`);
  return error as ParascribeError;
}

before(async () => {
  const decode = async (name: string) => (await decodeToPcmFile(await probeAudio(join(FIXTURES, name)), join(work, `${name}.pcm`))).pcmPath;
  const jfkPcm = await decode('jfk.wav');
  jfk = sliceSegment(jfkPcm, 0, 11);
  long = sliceSegment(await decode('gpl-preamble.mp3'), 0, 200);
  writeFileSync(join(work, 'silence.pcm'), Buffer.alloc(5 * 32_000));
  silence = sliceSegment(join(work, 'silence.pcm'), 0, 5);
});

after(async () => {
  await Promise.all(backends.map((b) => b.close()));
  rmSync(work, { recursive: true, force: true });
});

test('the binding loads on this machine', async () => {
  const specifier = '@fugood/whisper.node';
  const binding = (await import(specifier).catch((error: Error) =>
    assert.fail(`@fugood/whisper.node cannot be loaded here (npm install @fugood/whisper.node; linux-x64 needs its prebuilt package): ${error.message}`),
  )) as { initWhisper?: unknown };
  assert.equal(typeof binding.initWhisper, 'function');
});

test('VAD plan: regions become pieces with gaps; times map back exactly inside pieces', () => {
  const plan = planSpeech([[1, 2], [5, 6], [5.5, 7]], 10, 0.1, 0.1);
  const rounded = (x: number) => Number(x.toFixed(6));
  assert.deepEqual(plan.pieces.map((p) => [p.srcStartSec, rounded(p.dstStartSec), rounded(p.durationSec)]), [[1, 0, 1.1], [5, 1.2, 2]]);
  assert.ok(Math.abs(plan.totalSec - 3.2) < 1e-9);
  assert.equal(toSourceSec(plan, 0.5), 1.5);
  assert.ok(Math.abs(toSourceSec(plan, 2.2) - 6) < 1e-9);
  assert.ok(Math.abs(toSourceSec(plan, 1.15) - (2.1 + 0.5 * 2.9)) < 1e-9, 'inside a gap: linear between the pieces');
  assert.equal(toSourceSec(plan, 99), 7);
  const pcm = Int16Array.from({ length: 10 * 16_000 }, (_, i) => (i % 1000) + 1);
  const composed = composeSpeech(pcm, plan);
  assert.equal(composed.length, 51_200);
  assert.equal(composed[0], pcm[16_000]);
  assert.equal(composed[18_400], 0, 'the gap is silent');
  assert.equal(composed[19_200], pcm[80_000]);
  assert.deepEqual(planSpeech([], 10), { pieces: [], totalSec: 0 });
});

test('segments and tokens to utterances: ms to seconds, markers dropped, words regrouped', () => {
  const segments = [
    { text: ' And so my fellow Americans,', t0: 320, t1: 2270 },
    { text: ' [BLANK_AUDIO]', t0: 2270, t1: 3000 },
    { text: ' ask not.', t0: 3270, t1: 99_000 },
  ];
  assert.deepEqual(segmentsToUtterances(segments, 11), [
    { startSec: 0.32, endSec: 2.27, text: 'And so my fellow Americans,', words: [] },
    { startSec: 3.27, endSec: 11, text: 'ask not.', words: [] },
  ]);
  const tokens = [' And', ' so', ' Amer', 'icans', ',', ' ask', ' not', '.', ' what'].map((text, i) => ({ text, t0: i * 300 + (i === 8 ? 2000 : 0), t1: (i + 1) * 300 }));
  const utterances = tokensToUtterances(tokens, 11);
  assert.deepEqual(utterances.map((u) => u.text), ['And so Americans, ask not.', 'what']);
  assert.deepEqual(utterances[0]!.words[2], { word: 'Americans,', startSec: 0.6, endSec: 1.5 });
  assert.deepEqual(segmentsToUtterances([{ text: ' hi', t0: 1000, t1: 2000 }], 5, (s) => s + 1), [{ startSec: 2, endSec: 3, text: 'hi', words: [] }]);
});

test('settings: no model says how to get one; env fills it; a missing file or unknown key is refused', async () => {
  const missing = (() => {
    try {
      createWhisperCpp({}, undefined, {});
    } catch (error) {
      return error as ParascribeError;
    }
    return assert.fail('expected an error');
  })();
  assert.equal(missing.code, 'INVALID_CONFIG');
  for (const hint of ['download-ggml-model.sh', 'huggingface.co/ggerganov/whisper.cpp', 'backends.whispercpp.modelPath', MODEL_ENV]) {
    assert.ok(missing.message.includes(hint), `"${hint}" missing from: ${missing.message}`);
  }
  const fromEnv = createWhisperCpp({}, 'local', { [MODEL_ENV]: MODEL });
  assert.equal(fromEnv.id, 'local');
  assert.equal(fromEnv.model, 'for-tests-ggml-tiny.en');
  assert.deepEqual(fromEnv.capabilities, { wordTimestamps: false, languages: ['en'], costPerAudioMinuteUsd: 0, maxConcurrency: 1 });
  assert.deepEqual(Object.keys(fromEnv.fingerprint).sort(), ['language', 'model', 'translate', 'vad', 'wordTimestamps']);
  assert.ok((fromEnv.fingerprint.model as { sizeBytes: number }).sizeBytes > 0);
  assert.throws(() => createWhisperCpp({ modelPath: join(work, 'nope.bin') }), (e: ParascribeError) => e.code === 'BACKEND_UNAVAILABLE' && /does not exist.*download-ggml-model/.test(e.message));
  assert.throws(() => createWhisperCpp({ modelPath: MODEL, beam: 5 } as never), (e: ParascribeError) => e.code === 'INVALID_CONFIG');
  const error = await rejection(fromEnv.transcribe({ audio: jfk, language: 'de', signal: never() }));
  assert.equal(error.code, 'UNSUPPORTED_LANGUAGE');
});

test('transcribes a real segment: first call is the cold start, the second reuses the same process', async () => {
  const whisper = backend();
  const first = await whisper.transcribe({ audio: jfk, language: 'en', signal: never() });
  assert.equal(first.text, '', 'the weightless test model transcribes nothing');
  assert.deepEqual(first.utterances, []);
  assert.equal(first.language, 'en');
  assert.equal(first.coldStart, true);
  assert.ok(first.computeSec > 0);
  const [pid] = whisper.stats().workerPids;
  assert.ok(pid !== undefined);
  const second = await whisper.transcribe({ audio: jfk, signal: never(), options: { beamSize: 5 } });
  assert.equal(second.coldStart, false);
  assert.ok(second.computeSec > 0);
  assert.deepEqual(second.warnings.map((w) => w.type), ['unsupported-option']);
  const { lastColdStart, ...rest } = whisper.stats();
  assert.deepEqual(rest, { workerPids: [pid], modelLoads: 1 });
  assert.equal(lastColdStart?.library, 'default');
  assert.ok(lastColdStart.loadSec > 0 && lastColdStart.startSec >= lastColdStart.loadSec);
  console.log(
    `jfk.wav (11 s), test model: worker start ${lastColdStart.startSec.toFixed(2)} s (load ${lastColdStart.loadSec.toFixed(2)} s); ` +
      `compute cold ${first.computeSec.toFixed(2)} s, warm ${second.computeSec.toFixed(2)} s`,
  );
});

test('abort mid-request kills the worker and rejects with ABORTED at once', async () => {
  const whisper = backend();
  await whisper.check(never());
  const [pid] = whisper.stats().workerPids;
  const controller = new AbortController();
  const pending = whisper.transcribe({ audio: long, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const started = performance.now();
  controller.abort();
  const error = await rejection(pending);
  assert.equal(error.code, 'ABORTED');
  assert.ok(performance.now() - started < 2_000, `took ${performance.now() - started} ms`);
  assert.equal(isAlive(pid!), false, 'the worker process is gone');
  assert.deepEqual(whisper.stats().workerPids, []);
});

test('a timeout kills the worker (SEGMENT_TIMEOUT, retryable); the next call starts a fresh one', async () => {
  const strict = backend({ timeoutSec: 0.5 });
  const viaSetting = await rejection(strict.transcribe({ audio: jfk, signal: never() }));
  assert.equal(viaSetting.code, 'SEGMENT_TIMEOUT');
  assert.equal(viaSetting.isRetryable, true);

  const whisper = backend();
  const viaSignal = await rejection(whisper.transcribe({ audio: jfk, signal: AbortSignal.timeout(1_000) }));
  assert.equal(viaSignal.code, 'SEGMENT_TIMEOUT', 'a timed-out signal (the pipeline attempt limit) is a timeout');
  assert.deepEqual(whisper.stats().workerPids, []);
  const next = await whisper.transcribe({ audio: jfk, signal: never() });
  assert.equal(next.coldStart, true, 'the replacement worker paid a new model load');
  assert.equal(whisper.stats().modelLoads, 2);
});

test('a request waiting for a busy worker can be aborted without touching the running one', async () => {
  const whisper = backend({ maxWorkers: 1 });
  const running = new AbortController();
  const first = whisper.transcribe({ audio: long, signal: running.signal });
  while (whisper.stats().workerPids.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const [pid] = whisper.stats().workerPids;
  const queued = new AbortController();
  const second = whisper.transcribe({ audio: jfk, signal: queued.signal });
  await new Promise((resolve) => setTimeout(resolve, 300));
  queued.abort();
  assert.equal((await rejection(second)).code, 'ABORTED');
  assert.equal(isAlive(pid!), true, 'the running request keeps its worker');
  running.abort();
  assert.equal((await rejection(first)).code, 'ABORTED');
});

test('a worker that dies mid-request is BACKEND_FAILED (retryable); close() kills every worker', async () => {
  const whisper = backend({ maxWorkers: 2 });
  await whisper.check(never());
  const pending = whisper.transcribe({ audio: long, signal: never() });
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.kill(whisper.stats().workerPids[0]!, 'SIGKILL');
  const error = await rejection(pending);
  assert.equal(error.code, 'BACKEND_FAILED');
  assert.equal(error.isRetryable, true);
  await whisper.check(never());
  const [idle] = whisper.stats().workerPids;
  assert.equal(isAlive(idle!), true);
  const inFlight = whisper.transcribe({ audio: long, signal: never() });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await whisper.close();
  assert.equal((await rejection(inFlight)).code, 'ABORTED', 'a request in flight when the backend closes is aborted');
  assert.equal(isAlive(idle!), false);
  assert.deepEqual(whisper.stats().workerPids, []);
});

test('a file that is not a whisper model is BACKEND_UNAVAILABLE (not retryable), whether it errors or aborts', async () => {
  const garbage = join(work, 'garbage.bin');
  writeFileSync(garbage, Buffer.alloc(4096, 7));
  const bad = await rejection(backend({ modelPath: garbage }).check(never()));
  assert.equal(bad.code, 'BACKEND_UNAVAILABLE');
  assert.equal(bad.isRetryable, false);
  assert.match(bad.message, /bad magic/);
  // The VAD model read as a whisper model trips a GGML_ASSERT: the worker dies with SIGABRT.
  const crash = await rejection(backend({ modelPath: VAD_MODEL }).transcribe({ audio: jfk, signal: never() }));
  assert.equal(crash.code, 'BACKEND_UNAVAILABLE');
  assert.match(crash.message, /SIGABRT|GGML_ASSERT/);
});

// With the real Silero model this proves that the VAD model loads in the worker, finds speech in
// real speech (JFK: four regions, ~9 s of 11 s) and none in digital silence, that the speech-only
// audio goes through whisper (same load + inference path) and that silence skips whisper entirely.
// It cannot prove that whisper's times map back correctly onto the segment with real words (the
// test model returns none; the mapping is unit-tested above) or that VAD improves accuracy.
test('VAD: speech regions are found and only they reach whisper; silence skips inference', async () => {
  const whisper = backend({ vadModelPath: VAD_MODEL });
  const speech = await whisper.transcribe({ audio: jfk, signal: never() });
  assert.equal(speech.text, '');
  const seen = whisper.stats().lastSpeech!;
  assert.ok(seen.regions.length >= 2, JSON.stringify(seen));
  assert.ok(seen.regions.every(([s, e]) => s >= 0 && e > s && e <= 11.01), JSON.stringify(seen));
  assert.ok(seen.inferenceSec > 5 && seen.inferenceSec < 11, `speech handed to whisper: ${seen.inferenceSec} s`);
  const quiet = await whisper.transcribe({ audio: silence, signal: never() });
  assert.deepEqual(whisper.stats().lastSpeech, { regions: [], inferenceSec: 0 });
  assert.equal(quiet.text, '');
  assert.equal(quiet.coldStart, false);
  assert.ok(quiet.computeSec < 2, `silence should skip whisper, took ${quiet.computeSec} s`);
});
