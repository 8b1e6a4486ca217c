/**
 * `--speakers channels` end to end: a stereo recording built here with ffmpeg from the two fixture
 * voices, one per channel, alternating in time (left: jfk.wav at 0-11 s and again at 25-36 s; right:
 * the first 12 s of gpl-preamble.mp3 at 12-24 s). Each channel is transcribed as its own track
 * (pocketsphinx) and merged by time: every word must carry the speaker of the channel that is
 * speaking at its time (≥ 95 %), and SRT/VTT/md carry the labels.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonTranscript } from '../src/outputs/json.js';
import { ffmpeg, FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

const dir = tempDir('speakers');
const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
const stereo = join(dir, 'call.wav');
const mono16k = 'aformat=sample_fmts=s16:sample_rates=16000:channel_layouts=mono';

/** Who is speaking when: [from, to, speaker]. */
const TURNS: [number, number, string][] = [
  [0, 11.5, 'SPEAKER_1'],
  [12, 24.5, 'SPEAKER_2'],
  [25, 36.5, 'SPEAKER_1'],
];
const speakingAt = (sec: number) => TURNS.find(([from, to]) => sec >= from && sec <= to)?.[2];

before(() => {
  ffmpeg([
    '-i', join(FIXTURES, 'jfk.wav'),
    '-i', join(FIXTURES, 'gpl-preamble.mp3'),
    '-filter_complex',
    `[0:a]${mono16k},asplit=2[j1][j2];[j2]adelay=25000[j2d];[j1][j2d]amix=inputs=2:normalize=0:duration=longest,apad=whole_dur=37[L];` +
      `[1:a]atrim=0:12,asetpts=PTS-STARTPTS,${mono16k},adelay=12000,apad=whole_dur=37[R];[L][R]join=inputs=2:channel_layout=stereo[out]`,
    '-map', '[out]', '-c:a', 'pcm_s16le', stereo,
  ]);
});

test('stereo, one speaker per channel: each word labelled with its channel\'s speaker; srt, vtt and md carry the labels', async () => {
  const output = join(dir, 'call.json');
  const run = await runCli(['transcribe', stereo, '--speakers', 'channels', '-f', 'json', '-o', output, '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  const summary = parseJsonLines(run.stdout)[0]! as { speakers: string; output: string; tracks: { channel: number; speaker: string; jobId: string; status: string }[] };
  assert.equal(summary.speakers, 'channels');
  assert.equal(summary.output, output);
  assert.deepEqual(summary.tracks.map((t) => [t.channel, t.speaker, t.status]), [[1, 'SPEAKER_1', 'completed'], [2, 'SPEAKER_2', 'completed']]);
  assert.match(run.stderr, /channel 1 \(SPEAKER_1\)[\s\S]*channel 2 \(SPEAKER_2\)[\s\S]*2 channels merged by time/);

  const transcript = JSON.parse(readFileSync(output, 'utf8')) as JsonTranscript;
  assert.equal(transcript.job.id, summary.tracks.map((t) => t.jobId).join('+'));
  const words = transcript.words;
  const right = words.filter((w) => w.speaker === speakingAt((w.startSec + w.endSec) / 2));
  const share = right.length / words.length;
  const bySpeaker = (s: string) => words.filter((w) => w.speaker === s).length;
  console.log(`${words.length} words (${bySpeaker('SPEAKER_1')} SPEAKER_1, ${bySpeaker('SPEAKER_2')} SPEAKER_2); ${(share * 100).toFixed(1)} % labelled with the channel speaking at their time`);
  assert.ok(bySpeaker('SPEAKER_1') >= 10 && bySpeaker('SPEAKER_2') >= 10, 'both voices were heard');
  assert.ok(share >= 0.95, `${(share * 100).toFixed(1)} %`);
  assert.ok(transcript.utterances.every((u) => u.speaker !== undefined && u.words.every((w) => w.speaker === u.speaker)));
  const starts = transcript.utterances.map((u) => u.startSec);
  assert.deepEqual(starts, [...starts].sort((a, b) => a - b), 'merged by time');

  // The other formats come from the cached tracks (each channel's job is a cache hit).
  for (const format of ['srt', 'vtt', 'md'] as const) {
    const out = join(dir, `call.${format}`);
    const again = await runCli(['transcribe', stereo, '--speakers', 'channels', '-f', format, '-o', out, '--json', '-q'], env);
    assert.equal(again.code, 0, again.stderr);
    const tracks = (parseJsonLines(again.stdout)[0] as { tracks: { cacheHit: boolean }[] }).tracks;
    assert.ok(tracks.every((t) => t.cacheHit), `${format}: cache hits`);
    const text = readFileSync(out, 'utf8');
    const labels = { srt: ['[SPEAKER_1] ', '[SPEAKER_2] '], vtt: ['<v Speaker 1>', '<v Speaker 2>'], md: ['**Speaker 1:**', '**Speaker 2:**'] }[format];
    for (const label of labels) assert.ok(text.includes(label), `${format} lacks ${label}:\n${text}`);
    if (format === 'srt') {
      const cues = text.trim().split('\n\n');
      assert.ok(cues.every((c) => /^\d+\n[\d:,]+ --> [\d:,]+\n\[SPEAKER_[12]\] /.test(c)), 'every SRT cue labelled');
    }
  }
});

test('--speakers channels on a mono recording is refused with a clear message', async () => {
  const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '--speakers', 'channels', '-o', join(dir, 'jfk.txt')], env);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /error\[INVALID_ARGUMENT\]: .*jfk\.wav: --speakers channels needs a recording with one speaker per channel, and this one has a single channel/);
});
