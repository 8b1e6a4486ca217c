/**
 * `parascribe eval` end to end, as a user runs it: the shared fixture jfk.wav and the same speech
 * twice in a row (a file the plan must cut), on pocketsphinx and on the `openai` backend against the
 * FAKE OpenAI-compatible server (test/fakes/openai-server.ts). The scores must be src/eval's on the
 * same texts; the seams check runs against the whole-file runs; a second run whose references
 * changed shows exactly that change with --compare, and `eval --compare` alone re-reads it from the
 * store.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { characterErrorRate } from '../src/eval/cer.js';
import { wordErrorRate } from '../src/eval/wer.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';
import { FIXTURES, ffmpeg, runCli, tempDir } from './helpers/cli.js';

const root = tempDir('eval');
const audioDir = join(root, 'audio');
const refs2 = join(root, 'refs2');
let server: FakeOpenAIServer;
let env: Record<string, string>;
const jfkText = readFileSync(join(FIXTURES, 'jfk.txt'), 'utf8').trim();
/** The second run's reference for jfk.wav: the first four words missing. */
const jfkShorter = jfkText.split(' ').slice(4).join(' ');

before(async () => {
  server = await startFakeOpenAIServer({ seed: 16 });
  mkdirSync(audioDir);
  mkdirSync(refs2);
  copyFileSync(join(FIXTURES, 'jfk.wav'), join(audioDir, 'jfk.wav'));
  writeFileSync(join(audioDir, 'jfk.txt'), jfkText);
  ffmpeg(['-i', join(FIXTURES, 'jfk.wav'), '-i', join(FIXTURES, 'jfk.wav'), '-filter_complex', 'concat=n=2:v=0:a=1', join(audioDir, 'jfk-twice.wav')]);
  writeFileSync(join(audioDir, 'jfk-twice.txt'), `${jfkText} ${jfkText}`);
  writeFileSync(join(audioDir, 'notes.md'), 'not audio: ignored');
  writeFileSync(join(refs2, 'jfk.txt'), jfkShorter);
  writeFileSync(join(refs2, 'jfk-twice.txt'), `${jfkText} ${jfkText}`);
  const configPath = join(root, 'config.json');
  writeFileSync(configPath, JSON.stringify({ backends: { remote: { type: 'openai', baseURL: server.url, apiKey: 'test-key', timeoutSec: 600, costPerAudioMinuteUsd: 0.006 } } }));
  env = { PARASCRIBE_DATA_DIR: join(root, 'data'), PARASCRIBE_CONFIG: configPath, XDG_CONFIG_HOME: join(root, 'xdg') };
});
after(async () => {
  await server?.close();
});

interface Result {
  file: string;
  backend: string;
  status: string;
  wer: number;
  cer: number;
  refWords: number;
  wordErrors: number;
  costUsd: number;
  durationSec: number;
  wallSec: number;
  rtf: number;
  segments: number;
  hypothesis: string;
  seams: { cuts: number; wholeJobId: string; inserted: number; dropped: number; overallDiffRate: number } | { skipped: string };
}

let first: { runId: string; results: Result[]; totals: Array<{ backend: string; wer: number; files: number }> };

test('eval on jfk.wav and jfk-twice.wav, two backends: src/eval scores, cost, seams, totals', async () => {
  const run = await runCli(['eval', audioDir, '--backends', 'pocketsphinx,remote', '--segment-sec', '8', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  first = JSON.parse(run.stdout);
  assert.match(first.runId, /^r[0-9a-z]+$/);
  assert.deepEqual(first.results.map((r) => `${r.file.split('/').pop()} ${r.backend} ${r.status}`), [
    'jfk-twice.wav pocketsphinx ok',
    'jfk-twice.wav remote ok',
    'jfk.wav pocketsphinx ok',
    'jfk.wav remote ok',
  ]);
  for (const r of first.results) {
    const reference = readFileSync(r.file.replace(/\.wav$/, '.txt'), 'utf8');
    const words = wordErrorRate(reference, r.hypothesis);
    assert.equal(r.wer, words.wer, `${r.file} ${r.backend}: WER as src/eval computes it`);
    assert.equal(r.wordErrors, words.substitutions + words.deletions + words.insertions);
    assert.equal(r.refWords, words.referenceWords);
    assert.equal(r.cer, characterErrorRate(reference, r.hypothesis).cer);
    assert.ok(r.wer < 0.9, `${r.backend} recognised something: WER ${r.wer}`);
    assert.ok(r.segments >= 2, `${r.file} was cut (${r.segments} segments)`);
    assert.ok(Math.abs(r.rtf - r.wallSec / r.durationSec) < 1e-9);
    // The remote backend costs $0.006 per audio minute; pocketsphinx nothing.
    if (r.backend === 'remote') assert.ok(Math.abs(r.costUsd - (0.006 * r.durationSec) / 60) < 1e-3, `cost ${r.costUsd}`);
    else assert.equal(r.costUsd, 0);
    assert.ok(!('skipped' in r.seams), `seams checked: ${JSON.stringify(r.seams)}`);
    assert.equal(r.seams.cuts, r.segments - 1);
    assert.match(r.seams.wholeJobId, /^j/);
    assert.ok(r.seams.overallDiffRate >= 0);
  }
  // Totals pool errors over words.
  for (const total of first.totals) {
    const mine = first.results.filter((r) => r.backend === total.backend);
    assert.equal(total.files, 2);
    assert.equal(total.wer, mine.reduce((n, r) => n + r.wordErrors, 0) / mine.reduce((n, r) => n + r.refWords, 0));
  }
  // Every run is an ordinary job: the segmented ones and the whole-file ones.
  const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as Array<{ status: string }>;
  assert.equal(jobs.length, 8);
  assert.ok(jobs.every((j) => j.status === 'completed'));
});

test('a second run with changed references: --compare shows the change in the table, and eval --compare alone re-reads it', async () => {
  assert.ok(first, 'the first run succeeded');
  const run = await runCli(['eval', join(audioDir, 'jfk.wav'), join(audioDir, 'jfk-twice.wav'), '--refs', refs2, '--backends', 'pocketsphinx,remote', '--segment-sec', '8', '--no-seams', '--compare'], env);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.match(lines[0]!, /^file\s+backend\s+audio s\s+segs\s+wall s\s+RTF\s+k\s+cost \$\s+WER %\s+CER %\s+seams.*Δ WER pp\s+Δ CER pp\s+Δ RTF$/);
  const expectedDelta = (backend: string) => {
    const before = first.results.find((r) => r.backend === backend && r.file.endsWith('/jfk.wav'))!;
    return wordErrorRate(jfkShorter, before.hypothesis).wer - before.wer;
  };
  for (const backend of ['pocketsphinx', 'remote']) {
    const row = lines.find((l) => l.startsWith('jfk.wav ') && l.includes(` ${backend} `));
    assert.ok(row, `a row for jfk.wav on ${backend}:\n${run.stdout}`);
    const delta = expectedDelta(backend);
    assert.ok(delta > 0.05, 'four reference words fewer raise the WER');
    const sign = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`;
    assert.match(row!, new RegExp(`\\s${sign(delta).replace('+', '\\+')}\\s+\\S+\\s+\\S+$`), row);
    const twice = lines.find((l) => l.startsWith('jfk-twice.wav ') && l.includes(` ${backend} `))!;
    assert.match(twice, /\+0\.0\s+\+0\.0\s+\S+$/, 'the same file with the same reference: no change');
    assert.ok(lines.some((l) => l.startsWith('total (2 files)') && l.includes(` ${backend} `)), 'a total per backend');
  }
  assert.match(run.stdout, new RegExp(`compared with the previous run of each file and backend \\(${first.runId}\\)`));

  const again = await runCli(['eval', '--compare', '--json'], env);
  assert.equal(again.code, 0, again.stderr);
  const doc = JSON.parse(again.stdout) as { runId: string; comparison: { rows: Array<{ file: string; backend: string; previousRunId: string; delta: { wer: number } }> } };
  assert.notEqual(doc.runId, first.runId);
  assert.equal(doc.comparison.rows.length, 4);
  for (const change of doc.comparison.rows) {
    assert.equal(change.previousRunId, first.runId);
    const expected = change.file.endsWith('/jfk.wav') ? expectedDelta(change.backend) : 0;
    assert.ok(Math.abs(change.delta.wer - expected) < 1e-12, `${change.file} ${change.backend}: Δ ${change.delta.wer} ≠ ${expected}`);
  }
});

test('eval refuses what it cannot score', async () => {
  const noRef = join(root, 'lonely.wav');
  copyFileSync(join(FIXTURES, 'jfk.wav'), noRef);
  const missing = await runCli(['eval', noRef, '--backends', 'pocketsphinx'], env);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /no reference transcript .*lonely\.txt/);
  const unknown = await runCli(['eval', audioDir, '--backends', 'nope'], env);
  assert.equal(unknown.code, 9);
  assert.match(unknown.stderr, /unknown backend "nope"/);
  const nothing = await runCli(['eval'], env);
  assert.equal(nothing.code, 2);
});
