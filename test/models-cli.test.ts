/**
 * The documented path, end to end through the built CLI: `models pull base.en` from a mirror
 * (PARASCRIBE_MODELS_URL → a local fake host) then `transcribe --backend whispercpp` with no
 * modelPath. The mirror serves whisper.cpp's weightless test model as ggml-base.en.bin, and a test
 * catalogue (PARASCRIBE_MODELS_CATALOGUE) gives base.en that file's real size and SHA-256, so the
 * pull is checked exactly as a real one is. The test model transcribes nothing (empty text).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpeg, FIXTURES, runCli, tempDir } from './helpers/cli.js';
import { startModelHost, type ModelHost } from './fakes/model-host.js';

const TINY = join(FIXTURES, 'models', 'for-tests-ggml-tiny.en.bin');
const TINY_SHA256 = 'dd6b7796204a1cdf7164666423034e6e1a7a3e9f5c22327b4b7974c4584bd82d';
const dir = tempDir('models-cli');
let host: ModelHost;
let env: Record<string, string>;
const clip = join(dir, 'jfk-3s.wav');

before(async () => {
  host = await startModelHost({ '/ggml-base.en.bin': TINY });
  const catalogue = join(dir, 'catalogue.json');
  writeFileSync(catalogue, JSON.stringify({ models: [{ name: 'base.en', sizeBytes: 586_836, sha256: TINY_SHA256 }] }));
  env = {
    PARASCRIBE_DATA_DIR: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    PARASCRIBE_MODELS_URL: host.url,
    PARASCRIBE_MODELS_CATALOGUE: catalogue,
    PARASCRIBE_WHISPERCPP_MODEL: '',
  };
  ffmpeg(['-i', join(FIXTURES, 'jfk.wav'), '-t', '3', clip]);
});

after(() => host.close());

test('models pull base.en, then transcribe --backend whispercpp uses it; list, verify, rm', async () => {
  const before = await runCli(['transcribe', clip, '--backend', 'whispercpp', '-q'], env);
  assert.equal(before.code, 11, before.stderr);
  assert.match(before.stderr, /error\[BACKEND_UNAVAILABLE\]: backend "whispercpp": whisper\.cpp model "base\.en" is not in the model store .*parascribe models pull base\.en/);

  host.queueFaults({ dropAtFraction: 0.4 });
  const pull = await runCli(['models', 'pull', 'base.en'], env);
  assert.equal(pull.code, 0, pull.stderr);
  const path = join(dir, 'data', 'models', 'ggml-base.en.bin');
  assert.equal(pull.stdout, `${path}\n`);
  assert.match(pull.stderr, /pulling base\.en \(573 KiB\) from http:\/\/127\.0\.0\.1:\d+\/ggml-base\.en\.bin/);
  assert.match(pull.stderr, /the connection was cut at \d+ bytes .*; retry 1, resuming at \d+ KiB/);
  assert.match(pull.stderr, /pulled base\.en \(573 KiB; SHA-256 matches the catalogue\)/);
  assert.match(pull.stderr, /use it: parascribe transcribe --backend whispercpp <file>/);
  assert.deepEqual(host.log.map((r) => r.status), [200, 206]);

  const list = JSON.parse((await runCli(['models', 'list', '--json'], env)).stdout) as Array<{ name: string; installed: boolean; path: string | null }>;
  assert.deepEqual(list.find((m) => m.name === 'base.en'), { ...list.find((m) => m.name === 'base.en'), installed: true, path });
  assert.equal(list.filter((m) => m.installed).length, 1);
  assert.ok(list.length >= 26, 'the built-in catalogue is listed too');
  const table = await runCli(['models', 'list'], env);
  assert.match(table.stdout, /base\.en \*\s+whisper\s+573 KiB\s+sha256:dd6b7796204a…\s+installed/);
  assert.match(table.stdout, /small\.en-q5_1\s+whisper\s+181\.3 MiB\s+unknown \(recorded on pull\)\s+-/);
  assert.match(table.stdout, /large-v3\s+whisper\s+2\.9 GiB\s+sha1:ad82bf6a9043…/);

  const verify = await runCli(['models', 'verify'], env);
  assert.equal(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /base\.en\s+ok\s+sha256 \(catalogue\)/);

  const out = join(dir, 'jfk.json');
  const run = await runCli(['transcribe', clip, '--backend', 'whispercpp', '-f', 'json', '-o', out, '--json', '-q'], env);
  assert.equal(run.code, 0, run.stderr);
  console.log(`pull ${pull.wallMs.toFixed(0)} ms; transcribe (3 s clip, weightless model) ${run.wallMs.toFixed(0)} ms`);
  const transcript = JSON.parse(readFileSync(out, 'utf8')) as { job: { backend: string; model: string }; text: string; language: string };
  assert.deepEqual(transcript.job.backend, 'whispercpp');
  assert.equal(transcript.job.model, 'ggml-base.en', 'the pulled default model');
  assert.equal(transcript.text, '', 'the weightless test model transcribes nothing');
  assert.equal(transcript.language, 'en');

  const rm = await runCli(['models', 'rm', 'base.en'], env);
  assert.equal(rm.code, 0);
  assert.match(rm.stderr, /removed base\.en/);
  assert.equal(existsSync(path), false);
});

test('models pull: an unknown name is a usage error; an unreachable mirror says offline', async () => {
  const unknown = await runCli(['models', 'pull', 'base.fr'], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /error\[INVALID_ARGUMENT\]: unknown model "base\.fr" \(did you mean: base, base\.en/);
  const closed = await startModelHost({});
  await closed.close();
  const offline = await runCli(['models', 'pull', 'tiny.en', '-q'], { ...env, PARASCRIBE_MODELS_URL: closed.url });
  assert.equal(offline.code, 30);
  const where = closed.url.replace('http://', '');
  assert.ok(
    offline.stderr.startsWith(`parascribe: error[MODEL_DOWNLOAD_FAILED]: cannot download tiny.en from ${closed.url}/ggml-tiny.en.bin: ${where} refused the connection. Offline? `),
    offline.stderr,
  );
  assert.match(offline.stderr, new RegExp(`copy ggml-tiny\\.en\\.bin into ${join(dir, 'data', 'models')}`));
});
