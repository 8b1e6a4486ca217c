/**
 * A backend's own diarization passed through: an openai instance with responseFormat diarized_json
 * against the fake server (which, like OpenAI's gpt-4o-transcribe-diarize, refuses a prompt and wants
 * chunking_strategy past 30 s, and labels speakers A, B… per request). The labels reach every output
 * as job-wide ids; labels of different segments are linked only where they share audio.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonTranscript } from '../src/outputs/json.js';
import { ffmpeg, FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';

const dir = tempDir('diarized');
let server: FakeOpenAIServer;
let env: Record<string, string>;
const clip = join(dir, 'gpl-70s.wav');

before(async () => {
  server = await startFakeOpenAIServer();
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      backends: {
        diar: { type: 'openai', baseURL: server.url, model: 'gpt-4o-transcribe-diarize', responseFormat: 'diarized_json', prompt: 'GPL' },
      },
    }),
  );
  env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'xdg'), PARASCRIBE_CONFIG: config };
  ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-t', '70', '-ac', '1', '-ar', '16000', clip]);
});

after(() => server.close());

test('diarized_json: speaker labels in json and srt; no prompt sent; chunking_strategy past 30 s', async () => {
  const short = join(dir, 'jfk.json');
  const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '--backend', 'diar', '--speakers', 'backend', '-f', 'json', '-o', short, '-q'], env);
  assert.equal(run.code, 0, run.stderr);
  const first = server.stats().log.filter((e) => e.fields?.response_format?.[0] === 'diarized_json');
  assert.equal(first.length, 1);
  assert.equal(first[0]!.fields!.prompt, undefined, 'the diarizing model takes no prompt');
  assert.equal(first[0]!.fields!.chunking_strategy, undefined, '11 s: no chunking needed');
  assert.equal(first[0]!.fields!['timestamp_granularities[]'], undefined);
  const jfk = JSON.parse(readFileSync(short, 'utf8')) as JsonTranscript;
  assert.ok(jfk.utterances.length >= 2, JSON.stringify(jfk.utterances));
  assert.deepEqual(jfk.utterances.map((u) => u.speaker), jfk.utterances.map((_, i) => (i % 2 === 0 ? 'SPEAKER_1' : 'SPEAKER_2')), 'A → SPEAKER_1, B → SPEAKER_2');

  const long = join(dir, 'gpl.json');
  const before = server.stats().log.length;
  const second = await runCli(['transcribe', clip, '--backend', 'diar', '--speakers', 'backend', '--segment-sec', '40', '-f', 'json', '-o', long, '-q', '--json'], env);
  assert.equal(second.code, 0, second.stderr);
  const requests = server.stats().log.slice(before).filter((e) => e.status === 200);
  assert.ok(requests.length >= 2, `${requests.length} segments`);
  const jobId = String(parseJsonLines(second.stdout)[0]!.jobId);
  const segments = (JSON.parse((await runCli(['jobs', 'show', jobId, '--json'], env)).stdout) as { segments: { startSec: number; endSec: number }[] }).segments;
  const over30 = segments.filter((g) => g.endSec - g.startSec > 30).length;
  assert.ok(over30 >= 1, JSON.stringify(segments));
  assert.equal(requests.filter((e) => e.fields?.chunking_strategy?.[0] === 'auto').length, over30, `chunking_strategy=auto exactly for the segments over 30 s: ${JSON.stringify(segments)}`);
  const gpl = JSON.parse(readFileSync(long, 'utf8')) as JsonTranscript;
  const ids = new Set(gpl.utterances.map((u) => u.speaker));
  assert.ok([...ids].every((id) => /^SPEAKER_\d+$/.test(id ?? '')), [...ids].join(','));
  assert.ok(ids.size >= 2 && ids.size <= 2 * requests.length, `${ids.size} ids over ${requests.length} segments: linked only where segments share audio`);
  assert.ok(gpl.words.length === 0, 'diarized_json has no word times');

  const srt = join(dir, 'gpl.srt');
  const third = await runCli(['transcribe', clip, '--backend', 'diar', '--speakers', 'backend', '--segment-sec', '40', '-f', 'srt', '-o', srt, '-q'], env);
  assert.equal(third.code, 0, third.stderr);
  const cues = readFileSync(srt, 'utf8').trim().split('\n\n');
  assert.ok(cues.every((c) => /\n\[SPEAKER_\d+\] /.test(c)), 'every cue labelled');
});

test('--speakers backend with a backend that has no diarization is refused', async () => {
  const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '--speakers', 'backend', '-o', join(dir, 'x.txt')], env);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--speakers backend: backend "pocketsphinx" gives no speaker labels/);
});
