/** A directory input: every audio/video file in it becomes one job; other files are left alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ffmpeg, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

test('directory: one job per audio/video file, outputs next to them, srt format', async () => {
  const dir = tempDir('dir');
  const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const recordings = join(dir, 'recordings');
  mkdirSync(recordings);
  copyFileSync(join(FIXTURES, 'jfk.wav'), join(recordings, 'jfk.wav'));
  // A video container whose audio track is the same speech: video input works too.
  ffmpeg(['-i', join(FIXTURES, 'jfk.wav'), '-f', 'lavfi', '-i', 'color=c=black:s=64x64:d=11', '-shortest', '-c:v', 'libx264', '-c:a', 'aac', join(recordings, 'jfk-video.mp4')]);
  writeFileSync(join(recordings, 'notes.txt'), 'not audio');

  const run = await runCli(['transcribe', recordings, '-f', 'srt', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  const summaries = parseJsonLines(run.stdout);
  assert.deepEqual(summaries.map((s) => s.status), ['completed', 'completed']);
  assert.deepEqual(readdirSync(recordings).sort(), ['jfk-video.mp4', 'jfk-video.srt', 'jfk.srt', 'jfk.wav', 'notes.txt']);
  for (const name of ['jfk.srt', 'jfk-video.srt']) {
    const srt = readFileSync(join(recordings, name), 'utf8');
    assert.match(srt, /^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n.+/);
    assert.match(srt, /country/);
  }
  const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as unknown[];
  assert.equal(jobs.length, 2);

  // -o with several inputs must be a directory.
  const out = join(dir, 'out');
  mkdirSync(out);
  const second = await runCli(['transcribe', recordings, '-f', 'vtt', '-o', out, '-q'], env);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['jfk-video.vtt', 'jfk.vtt']);
  assert.match(readFileSync(join(out, 'jfk.vtt'), 'utf8'), /^WEBVTT\n\n/);
});
