/**
 * End to end on real speech with real ffmpeg and pocketsphinx: segmenting must not cost accuracy,
 * no word may be doubled at a cut, a re-run is a cache hit, and the seed study's query works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { wordErrorRate } from '../src/eval/wer.js';
import { FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

const dir = tempDir('e2e');
const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
const audio = join(FIXTURES, 'gpl-preamble.mp3');
const reference = readFileSync(join(FIXTURES, 'gpl-preamble.txt'), 'utf8');

interface JsonTranscript {
  text: string;
  words: Array<{ word: string; startSec: number; endSec: number }>;
}
interface JobShow {
  segments: Array<{ startSec: number; endSec: number; status: string }>;
}

async function transcribe(name: string, args: string[], extraEnv: Record<string, string> = {}) {
  const output = join(dir, `${name}.json`);
  const run = await runCli(['transcribe', audio, '-f', 'json', '-o', output, '--json', ...args], { ...env, ...extraEnv });
  assert.equal(run.code, 0, run.stderr);
  const summary = parseJsonLines(run.stdout)[0]!;
  const transcript = JSON.parse(readFileSync(output, 'utf8')) as JsonTranscript;
  const show = JSON.parse((await runCli(['jobs', 'show', String(summary.jobId), '--json'], env)).stdout) as JobShow;
  return { run, summary, transcript, output, show };
}

/** Insertions within 3 s of a cut that repeat a neighbouring word: the signature of a doubled word. */
function doubledAtCuts(transcript: JsonTranscript, cutsSec: number[]): string[] {
  const { alignment } = wordErrorRate(reference, transcript.text);
  const doubled: string[] = [];
  for (const op of alignment) {
    if (op.op !== 'ins' || op.hypIndex === undefined) continue;
    const word = transcript.words[op.hypIndex];
    if (!word || !cutsSec.some((cut) => Math.abs(word.startSec - cut) < 3)) continue;
    const neighbours = [transcript.words[op.hypIndex - 1], transcript.words[op.hypIndex + 1]];
    if (neighbours.some((n) => n?.word === word.word)) doubled.push(`${word.word}@${word.startSec}`);
  }
  return doubled;
}

const cuts = (show: JobShow) => show.segments.slice(1).map((s) => s.startSec);

test('segmented transcription: WER within +1.0 point of the whole file, no word doubled at a cut, cache hit on re-run, seed query', async () => {
  const whole = await transcribe('whole', ['--segment-sec', '86400', '--no-cache']);
  assert.equal(whole.summary.segments, 1);
  const wholeWer = wordErrorRate(reference, whole.transcript.text).wer;

  const segmented = await transcribe('seg60', ['--segment-sec', '60', '--concurrency', '2']);
  const segmentedWer = wordErrorRate(reference, segmented.transcript.text).wer;
  assert.ok(Number(segmented.summary.segments) >= 3, 'several segments');
  assert.ok(segmented.show.segments.every((s) => s.status === 'completed'));
  console.log(`# WER whole ${(wholeWer * 100).toFixed(1)} %, 60 s segments (pause cuts) ${(segmentedWer * 100).toFixed(1)} %`);
  assert.ok(segmentedWer <= wholeWer + 0.01, `segmented WER ${segmentedWer} vs whole ${wholeWer}`);
  assert.deepEqual(doubledAtCuts(segmented.transcript, cuts(segmented.show)), []);

  // Word times are absolute and increasing across the cuts.
  const starts = segmented.transcript.words.map((w) => w.startSec);
  assert.ok(starts.every((s, i) => i === 0 || s >= starts[i - 1]!));
  assert.ok(starts.at(-1)! > 180, 'last words are near the end of the 207 s file');

  // Same file, same options: a cache hit, the identical output, well under a second.
  const again = await transcribe('seg60-again', ['--segment-sec', '60', '--concurrency', '2']);
  assert.equal(again.summary.cacheHit, true);
  // Identical transcript: everything but the job identity and its telemetry.
  const content = (path: string) => {
    const { job: _job, telemetry: _telemetry, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return rest;
  };
  assert.deepEqual(content(again.output), content(segmented.output));
  assert.ok(Number(again.summary.wallSec) < 1, `cache hit wall ${again.summary.wallSec} s`);
  console.log(`# cache hit: job wall ${again.summary.wallSec} s, process wall ${(again.run.wallMs / 1000).toFixed(2)} s`);

  // The seed study's query, in its SQLite form, verbatim.
  const db = new Database(join(env.PARASCRIBE_DATA_DIR, 'parascribe.sqlite'), { readonly: true });
  const rows = db
    .prepare(
      "SELECT id, duration_sec/60.0 AS audio_minutes, gpu_elapsed_sec, (completed_at - started_at) AS wall_seconds, gpu_elapsed_sec/(completed_at - started_at) AS parallelism_factor, chunk_count FROM transcription_jobs WHERE status='completed'",
    )
    .all() as Array<{ id: string; audio_minutes: number; wall_seconds: number; parallelism_factor: number; chunk_count: number }>;
  db.close();
  assert.equal(rows.length, 3, 'one row per completed job');
  const parallel = rows.find((r) => r.id === segmented.summary.jobId)!;
  console.log(`# seed query: ${JSON.stringify(parallel)}`);
  assert.ok(parallel.parallelism_factor > 1, `parallelism factor ${parallel.parallelism_factor}`);
  assert.ok(Math.abs(parallel.audio_minutes - 206.9 / 60) < 0.05);
  assert.ok(Math.abs(parallel.wall_seconds - Number(segmented.summary.wallSec)) < 0.5);
});

test('hard cuts only (no pause allowed): the overlap is resolved without dropping or doubling words', async () => {
  const configPath = join(dir, 'hard-cuts.json');
  writeFileSync(configPath, JSON.stringify({ planning: { toleranceSec: 0, overlapSec: 2 } }));
  const whole = await transcribe('whole-2', ['--segment-sec', '86400']);
  const wholeWer = wordErrorRate(reference, whole.transcript.text).wer;
  const hard = await transcribe('hard45', ['--segment-sec', '45', '--concurrency', '2', '--no-cache'], { PARASCRIBE_CONFIG: configPath });
  const overlaps = hard.show.segments.slice(1).map((s, i) => hard.show.segments[i]!.endSec - s.startSec);
  assert.ok(overlaps.length >= 3 && overlaps.every((o) => Math.abs(o - 2) < 0.01), `every cut is hard with a 2 s overlap: ${overlaps}`);
  const hardWer = wordErrorRate(reference, hard.transcript.text).wer;
  console.log(`# WER whole ${(wholeWer * 100).toFixed(1)} %, 45 s hard cuts ${(hardWer * 100).toFixed(1)} %`);
  // Each dropped or doubled word costs about 0.2 points on this 586-word file.
  assert.ok(hardWer <= wholeWer + 0.01, `hard-cut WER ${hardWer} vs whole ${wholeWer}`);
  assert.deepEqual(doubledAtCuts(hard.transcript, cuts(hard.show)), []);
});
