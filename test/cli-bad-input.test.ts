/**
 * Every kind of bad input gets one line naming the problem, its own exit code, no stack trace, no
 * output file, and (where a job was started) a failed job row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ffmpeg, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

const dir = tempDir('bad-input');
const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
const media = join(dir, 'media');
mkdirSync(media);
const path = (name: string) => join(media, name);

writeFileSync(path('notes.mp3'), 'these are meeting notes, not audio\n');
ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=64x64', '-frames:v', '1', path('picture.png')]);
writeFileSync(path('empty.mp3'), '');
ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '0', path('zero-samples.wav')]);
writeFileSync(path('truncated.mp3'), readFileSync(join(FIXTURES, 'gpl-preamble.mp3')).subarray(0, 100_000));
writeFileSync(path('truncated.wav'), readFileSync(join(FIXTURES, 'jfk.wav')).subarray(0, 100_000));
ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=3', '-f', 'lavfi', '-i', 'color=c=blue:s=64x64:d=3', '-shortest', path('clip.mp4')]);
writeFileSync(path('broken.mp4'), readFileSync(path('clip.mp4')).subarray(0, 2_000));
ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '5', path('silence.wav')]);
const noAudioDir = join(dir, 'no-audio');
mkdirSync(noAudioDir);
writeFileSync(join(noAudioDir, 'readme.txt'), 'nothing to hear');
copyFileSync(path('picture.png'), join(noAudioDir, 'cover.png'));

interface Case {
  name: string;
  args: string[];
  exitCode: number;
  code: string;
  message: RegExp;
  /** A job row is expected to record the failure. */
  recorded: boolean;
}

const out = join(dir, 'out');
mkdirSync(out);
const cases: Case[] = [
  { name: 'missing file', args: [path('nope.mp3')], exitCode: 3, code: 'INPUT_NOT_FOUND', message: /nope\.mp3: no such file/, recorded: true },
  { name: 'directory without audio', args: [noAudioDir], exitCode: 4, code: 'NO_AUDIO_FILES', message: /contains no audio or video files/, recorded: false },
  { name: 'text file named .mp3', args: [path('notes.mp3')], exitCode: 5, code: 'NOT_AUDIO', message: /not an audio or video file/, recorded: true },
  { name: 'image', args: [path('picture.png')], exitCode: 5, code: 'NOT_AUDIO', message: /no audio stream \(found: png\)/, recorded: true },
  { name: 'truncated mp3', args: [path('truncated.mp3')], exitCode: 6, code: 'CORRUPT_AUDIO', message: /truncated audio \(header says 207\.0 s, only \d+\.\d s decodable\)/, recorded: true },
  { name: 'truncated wav', args: [path('truncated.wav')], exitCode: 6, code: 'CORRUPT_AUDIO', message: /truncated WAV/, recorded: true },
  { name: 'corrupt mp4', args: [path('broken.mp4')], exitCode: 6, code: 'CORRUPT_AUDIO', message: /corrupt or truncated audio/, recorded: true },
  { name: 'zero-byte file', args: [path('empty.mp3')], exitCode: 7, code: 'EMPTY_AUDIO', message: /file is empty \(0 bytes\)/, recorded: true },
  { name: 'zero-length audio', args: [path('zero-samples.wav')], exitCode: 7, code: 'EMPTY_AUDIO', message: /zero length/, recorded: true },
  { name: 'output directory missing', args: [path('silence.wav'), '-o', join(dir, 'missing-dir', 'x.txt')], exitCode: 8, code: 'OUTPUT_NOT_WRITABLE', message: /missing-dir.*does not exist/, recorded: true },
  { name: 'output is a directory', args: [path('silence.wav'), '-o', out], exitCode: 8, code: 'OUTPUT_NOT_WRITABLE', message: /is a directory/, recorded: true },
  { name: 'unknown backend', args: [path('silence.wav'), '--backend', 'nosuch'], exitCode: 9, code: 'UNKNOWN_BACKEND', message: /unknown backend "nosuch" \(available: openai, pocketsphinx, whispercpp\)/, recorded: false },
  { name: 'negative segment length', args: [path('silence.wav'), '--segment-sec', '-5'], exitCode: 2, code: 'INVALID_ARGUMENT', message: /--segment-sec/, recorded: false },
  { name: 'non-numeric segment length', args: [path('silence.wav'), '--segment-sec', 'ten'], exitCode: 2, code: 'INVALID_ARGUMENT', message: /--segment-sec/, recorded: false },
  { name: 'zero concurrency', args: [path('silence.wav'), '--concurrency', '0'], exitCode: 2, code: 'INVALID_ARGUMENT', message: /--concurrency/, recorded: false },
  { name: 'unknown format', args: [path('silence.wav'), '-f', 'docx'], exitCode: 2, code: 'INVALID_ARGUMENT', message: /--format/, recorded: false },
  { name: 'bad language code', args: [path('silence.wav'), '--language', 'english!'], exitCode: 2, code: 'INVALID_ARGUMENT', message: /--language/, recorded: false },
  { name: 'language the model lacks', args: [path('silence.wav'), '--language', 'de', '--max-attempts', '1'], exitCode: 14, code: 'UNSUPPORTED_LANGUAGE', message: /configured for "en", not "de"/, recorded: true },
];

for (const c of cases) {
  test(`bad input: ${c.name} → exit ${c.exitCode} ${c.code}`, async () => {
    const before = new Set(readdirSync(media));
    const run = await runCli(['transcribe', ...c.args, '--json'], env);
    assert.equal(run.code, c.exitCode, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
    assert.match(lines[0]!, new RegExp(`^parascribe: error\\[${c.code}\\]: `));
    assert.match(lines[0]!, c.message);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(new Set(readdirSync(media)), before, 'no output or temp file next to the input');
    assert.deepEqual(readdirSync(out), [], 'nothing written into the output directory');
    if (c.recorded) {
      const [summary] = parseJsonLines(run.stdout);
      assert.equal(summary?.status, 'failed');
      const jobs = parseJsonLines((await runCli(['jobs', '--json'], env)).stdout)[0] as unknown as Array<{ source: string; status: string; error_code: string }>;
      const job = jobs.find((j) => j.source === c.args[0]);
      assert.ok(job, 'job row exists');
      assert.equal(job.status, 'failed');
      assert.equal(job.error_code, c.code);
    }
  });
}

test('unknown option → exit 2, usage message, no stack trace', async () => {
  const run = await runCli(['transcribe', path('silence.wav'), '--frobnicate'], env);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /unknown option '--frobnicate'/);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});

test('jobs show with an unknown id → exit 13', async () => {
  const run = await runCli(['jobs', 'show', 'jdoesnotexist'], env);
  assert.equal(run.code, 13);
  assert.match(run.stderr, /^parascribe: error\[JOB_NOT_FOUND\]: no job with id "jdoesnotexist"\n$/);
});

test('audio that is only silence → exit 0 and an empty transcript, not an error', async () => {
  const target = join(out, 'silence.txt');
  const run = await runCli(['transcribe', path('silence.wav'), '-o', target, '--json', '--segment-sec', '2'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(target, 'utf8'), '');
  const [summary] = parseJsonLines(run.stdout);
  assert.equal(summary?.status, 'completed');
  assert.ok(Number(summary?.segments) >= 2, 'several segments, each transcribed to nothing');
});

test('unwritable output directory (permission bits) → exit 8', { skip: process.getuid?.() === 0 ? 'running as root: permission bits are not enforced' : false }, async () => {
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  const run = await runCli(['transcribe', path('silence.wav'), '-o', join(locked, 'x.txt')], env);
  assert.equal(run.code, 8);
  assert.equal(existsSync(join(locked, 'x.txt')), false);
});
