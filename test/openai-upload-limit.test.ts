/**
 * The openai backend and an endpoint's upload limit (OpenAI: 25 MiB), against the fake server, which
 * answers 413 over its `maxUploadBytes` like OpenAI does. A segment is planned to fit (the backend's
 * `capabilities.maxSegmentSec`); one that still encodes too large goes as Opus, with a warning, and
 * one too large even then fails with a typed, non-retryable error before anything is sent.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeToPcmFile } from '../src/audio/decode.js';
import { probeAudio } from '../src/audio/probe.js';
import { sliceSegment, type SegmentAudio } from '../src/audio/segment-audio.js';
import { encodeSegment, maxSegmentSecFor } from '../src/backends/openai/encode.js';
import { createOpenAICompatible } from '../src/backends/openai/index.js';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../src/backends/openai/settings.js';
import { isParascribeError } from '../src/errors.js';
import { FIXTURES } from './helpers/cli.js';
import { startFakeOpenAIServer } from './fakes/openai-server.js';

let workDir: string | undefined;
after(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** 60 s of real speech (the GPL preamble). */
async function speechSegment(): Promise<SegmentAudio> {
  workDir = await mkdtemp(join(tmpdir(), 'parascribe-upload-limit-'));
  const info = await probeAudio(join(FIXTURES, 'gpl-preamble.mp3'));
  const { pcmPath } = await decodeToPcmFile(info, join(workDir, 'gpl.pcm'));
  return sliceSegment(pcmPath, 0, 60);
}

test('maxSegmentSecFor: what fits the upload limit, per format', () => {
  const cases: Array<[number, 'flac' | 'wav' | 'opus', number]> = [
    [DEFAULT_MAX_UPLOAD_BYTES, 'flac', 1364], // 26214400 / 19200 − 1
    [DEFAULT_MAX_UPLOAD_BYTES, 'wav', 818],
    [DEFAULT_MAX_UPLOAD_BYTES, 'opus', 7942],
    [64 * 1024, 'flac', 2],
  ];
  for (const [bytes, format, sec] of cases) assert.equal(maxSegmentSecFor(bytes, format), sec, `${bytes} ${format}`);
  assert.equal(createOpenAICompatible({ baseURL: 'http://127.0.0.1:1/v1' }, 'x', {}).capabilities.maxSegmentSec, 1364);
  assert.equal(createOpenAICompatible({ baseURL: 'http://127.0.0.1:1/v1', uploadFormat: 'opus' }, 'x', {}).capabilities.maxSegmentSec, 7942);
});

test('an upload over the limit goes as opus; one too large even as opus fails unsent', async (t) => {
  const audio = await speechSegment();
  const signal = new AbortController().signal;
  const flacBytes = (await encodeSegment(audio, 'flac', signal)).bytes.length;
  const opusBytes = (await encodeSegment(audio, 'opus', signal)).bytes.length;
  assert.ok(opusBytes * 2 < flacBytes, `opus ${opusBytes} B vs flac ${flacBytes} B`);
  // The server's limit sits between the two sizes.
  const limit = Math.round((flacBytes + opusBytes) / 2);
  const server = await startFakeOpenAIServer({ seed: 1, maxUploadBytes: limit });
  t.after(() => server.close());

  const fits = createOpenAICompatible({ baseURL: server.url, maxUploadBytes: limit }, 'remote', {});
  const result = await fits.transcribe({ audio, signal });
  assert.ok(result.text.length > 20, 'a transcript came back');
  const sent = server.stats().log.at(-1)!;
  assert.equal(sent.outcome, 'ok');
  assert.match(sent.file!.name, /\.ogg$/);
  assert.ok(sent.file!.size <= limit);
  assert.deepEqual(result.warnings.map((w) => w.type), ['upload-reencoded']);
  assert.match(result.warnings[0]!.message, /a 60 s segment is [\d.]+ MiB as flac, over the upload limit .*sent as opus/);

  const before = server.stats().requests;
  const tooSmall = createOpenAICompatible({ baseURL: server.url, maxUploadBytes: 64 * 1024 }, 'remote', {});
  const error = await tooSmall.transcribe({ audio, signal }).then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(isParascribeError(error));
  assert.equal(error.code, 'BACKEND_FAILED');
  assert.equal(error.isRetryable, false);
  assert.match(error.message, /over the upload limit of 0\.1 MiB \(maxUploadBytes\), even as opus; use shorter segments/);
  assert.equal(server.stats().requests, before, 'nothing was sent');
});
