/**
 * Subtitle limits on real transcripts: the shared fixtures (jfk.wav, gpl-preamble.mp3) transcribed
 * once by the CLI (pocketsphinx, json), their cues checked for a table of limit settings, then the
 * CLI's own srt/vtt output with the flags (a cache hit: the format and cue limits are not part of
 * the cache key) parsed back and checked the same way.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromJsonTranscript, type JsonTranscript } from '../src/outputs/json.js';
import { buildCues, DEFAULT_CUE_LIMITS, type Cue, type CueLimits } from '../src/outputs/cues.js';
import { assertWithinLimits } from './helpers/cues.js';
import type { Transcript } from '../src/transcript.js';
import { FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

const dir = tempDir('subtitles');
const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
const inputs = ['jfk.wav', 'gpl-preamble.mp3'];
const transcripts = new Map<string, Transcript>();

const SETTINGS: CueLimits[] = [
  DEFAULT_CUE_LIMITS,
  { maxLineChars: 32, maxLines: 1, maxCueSec: 4, maxCps: 15 },
  { maxLineChars: 37, maxLines: 2, maxCueSec: 6, maxCps: 17 },
  { maxLineChars: 20, maxLines: 3, maxCueSec: 10, maxCps: 12 },
];

before(async () => {
  for (const name of inputs) {
    const output = join(dir, `${name}.json`);
    const run = await runCli(['transcribe', join(FIXTURES, name), '-f', 'json', '-o', output, '--segment-sec', '60', '--concurrency', '2', '-q'], env);
    assert.equal(run.code, 0, run.stderr);
    transcripts.set(name, fromJsonTranscript(JSON.parse(readFileSync(output, 'utf8')) as JsonTranscript).transcript);
  }
});

test('no cue exceeds the limits on the fixtures\' transcripts, for every setting of the table', () => {
  for (const [name, transcript] of transcripts) {
    assert.ok(transcript.words.length > 10, `${name}: words`);
    for (const limits of SETTINGS) {
      const cues = buildCues(transcript.utterances, limits);
      assertWithinLimits(cues, limits, `${name} @ ${JSON.stringify(limits)}`);
      assert.equal(cues.map((c) => c.lines.join(' ')).join(' ').split(' ').length, transcript.utterances.map((u) => u.text).join(' ').split(/\s+/).length, `${name}: every word in a cue`);
      const tooFast = cues.filter((c) => c.lines.join(' ').length / (c.endSec - c.startSec) > limits.maxCps).length;
      console.log(`${name} @ ${limits.maxLineChars}×${limits.maxLines}, ${limits.maxCueSec} s, ${limits.maxCps} cps: ${cues.length} cues, ${tooFast} faster than ${limits.maxCps} cps (speech too fast to hold)`);
    }
  }
});

/** SRT or VTT back into cues (times and lines), labels and voice spans left in the text. */
function parseSubtitles(text: string): Cue[] {
  const seconds = (t: string) => {
    const [h, m, s] = t.replace(',', '.').split(':').map(Number);
    return h! * 3600 + m! * 60 + s!;
  };
  return text
    .replace(/^WEBVTT\n\n?/, '')
    .trim()
    .split(/\n\n+/)
    .filter(Boolean)
    .map((block) => {
      const lines = block.split('\n');
      const at = lines.findIndex((l) => l.includes(' --> '));
      const [start, end] = lines[at]!.split(' --> ');
      return { startSec: seconds(start!), endSec: seconds(end!), lines: lines.slice(at + 1) };
    });
}

test('the CLI flags reach srt and vtt: --max-line-chars 32 --max-lines 1 --max-cue-sec 4 --max-cps 15', async () => {
  const limits: CueLimits = { maxLineChars: 32, maxLines: 1, maxCueSec: 4, maxCps: 15 };
  for (const format of ['srt', 'vtt'] as const) {
    const output = join(dir, `gpl.${format}`);
    const flags = ['--max-line-chars', '32', '--max-lines', '1', '--max-cue-sec', '4', '--max-cps', '15'];
    const run = await runCli(['transcribe', join(FIXTURES, 'gpl-preamble.mp3'), '-f', format, '-o', output, '--segment-sec', '60', '--concurrency', '2', '--json', '-q', ...flags], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseJsonLines(run.stdout)[0]!.cacheHit, true, 'the transcript came from the cache');
    const cues = parseSubtitles(readFileSync(output, 'utf8'));
    assert.ok(cues.length > 30, `${format}: ${cues.length} cues`);
    assertWithinLimits(cues, limits, `CLI ${format}`);
    assert.ok(cues.every((c) => c.lines.length === 1));
  }
  const bad = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '-f', 'srt', '-o', join(dir, 'x.srt'), '--max-lines', '0'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid value for --max-lines/);
});
