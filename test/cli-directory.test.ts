/** A directory input: every audio/video file in it becomes one job; other files are left alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ffmpeg, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

test('directory: one job per audio/video file, outputs next to them, srt format', async () => {
  const dir = tempDir('dir');
  const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const recordings = join(dir, 'recordings');
  mkdirSync(recordings);
  // 20 s of clear read speech, as a WAV and as the audio track of a video: video input works too.
  ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-t', '20', '-ac', '1', '-ar', '16000', join(recordings, 'talk.wav')]);
  ffmpeg(['-i', join(recordings, 'talk.wav'), '-f', 'lavfi', '-i', 'color=c=black:s=64x64:d=20', '-shortest', '-c:v', 'libx264', '-c:a', 'aac', '-b:a', '128k', join(recordings, 'talk-video.mp4')]);
  writeFileSync(join(recordings, 'notes.txt'), 'not audio');

  const run = await runCli(['transcribe', recordings, '-f', 'srt', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  const summaries = parseJsonLines(run.stdout);
  assert.deepEqual(summaries.map((s) => s.status), ['completed', 'completed']);
  assert.deepEqual(readdirSync(recordings).sort(), ['notes.txt', 'talk-video.mp4', 'talk-video.srt', 'talk.srt', 'talk.wav']);
  for (const name of ['talk.srt', 'talk-video.srt']) {
    const srt = readFileSync(join(recordings, name), 'utf8');
    assert.match(srt, /^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n.+/);
    assert.match(srt, /license/);
  }
  const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as unknown[];
  assert.equal(jobs.length, 2);

  // -o with several inputs must be a directory.
  const out = join(dir, 'out');
  mkdirSync(out);
  const second = await runCli(['transcribe', recordings, '-f', 'vtt', '-o', out, '-q'], env);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['talk-video.vtt', 'talk.vtt']);
  assert.match(readFileSync(join(out, 'talk.vtt'), 'utf8'), /^WEBVTT\n\n/);
});
