/**
 * Acceptance benchmark: parascribe vs. one whole-file pocketsphinx_continuous on the same ≥ 10-minute
 * 16 kHz wav, in one run. Passes when parascribe is ≥ 1.9× faster (wall-clock, spawn to exit) and its
 * WER is at most 1.0 point worse. Usage: node --import tsx bench/speedup.ts [--runs N] [--segment-sec S]
 * [--concurrency N] [--file X --ref X.txt] [--record]
 *
 * By default parascribe runs with its default flags: no --segment-sec (its own automatic choice) and no
 * --concurrency, each run in a fresh, empty data directory (no job history: the choice comes from the
 * backend's prior, as on a first run). --segment-sec / --concurrency pass those flags through.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { wordErrorRate } from '../src/eval/wer.js';
import {
  REPO_ROOT, WORK_DIR, assertSucceeded, die, ensureLongAudio, fmt, markdownTable, median, parseJsonSummary,
  positiveNumber, probeDurationSec, readText, recordResults, requireCli, requireFile, requireTools, runTimed,
} from './lib.js';

const MIN_SPEEDUP = 1.9;
const MAX_WER_LOSS_POINTS = 1.0;
const MIN_AUDIO_SEC = 600;
const SUMMARY_KEYS = ['jobId', 'status', 'durationSec', 'wallSec', 'computeSec', 'parallelism', 'segments', 'cacheHit', 'output'];

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string' },
    'segment-sec': { type: 'string' },
    concurrency: { type: 'string' },
    file: { type: 'string' },
    ref: { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(readText(fileURLToPath(import.meta.url)).split('*/')[0]);
  process.exit(0);
}
const runs = Math.round(positiveNumber(flags.runs, '--runs', 1));
// Absent: the flag is not passed (parascribe's own default: the automatic plan, one segment per core).
const segmentSec = flags['segment-sec'] === undefined ? undefined : positiveNumber(flags['segment-sec'], '--segment-sec', 60);
const concurrency = flags.concurrency === undefined ? undefined : Math.round(positiveNumber(flags.concurrency, '--concurrency', os.availableParallelism()));
const parascribeFlags = [...(concurrency !== undefined ? ['--concurrency', String(concurrency)] : []), ...(segmentSec !== undefined ? ['--segment-sec', String(segmentSec)] : [])];
const parascribeLabel = `parascribe ${parascribeFlags.length ? parascribeFlags.join(' ') : '(default flags, fresh data dir)'}`;

const cli = requireCli();
requireTools('pocketsphinx_continuous', 'ffmpeg', 'ffprobe');
mkdirSync(WORK_DIR, { recursive: true });

let input: { audio: string; reference: string };
if (flags.file) {
  const audio = requireFile(flags.file, '--file');
  const reference = flags.ref ?? audio.replace(/\.[^.]+$/, '.txt');
  input = { audio, reference: requireFile(reference, flags.ref ? '--ref' : 'reference (pass --ref)') };
} else {
  if (flags.ref) die('--ref needs --file');
  input = ensureLongAudio('long-620.wav', 620);
}
const wav = await asPocketsphinxWav(input.audio);
const audioSec = probeDurationSec(wav);
const reference = readText(input.reference);

/** pocketsphinx_continuous needs 16 kHz mono s16 wav; convert anything else once, untimed, so both engines read the same file. */
async function asPocketsphinxWav(file: string): Promise<string> {
  const probe = await runTimed('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'csv=p=0', file]);
  if (/\.wav$/i.test(file) && probe.stdout.trim() === 'pcm_s16le,16000,1') return file;
  const converted = path.join(WORK_DIR, `${path.basename(file).replace(/\.[^.]+$/, '')}.16k.wav`);
  console.error(`converting ${file} → ${converted} (16 kHz mono s16, not timed)`);
  const run = await runTimed('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', file, '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le',
    '-fflags', '+bitexact', '-flags:a', '+bitexact', '-map_metadata', '-1', converted]);
  assertSucceeded(run, 'ffmpeg conversion');
  return converted;
}

interface Sample { wallSec: number; wer: number; summary?: Record<string, unknown> }
const startLoad = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const baseline: Sample[] = [];
const parascribe: Sample[] = [];

async function runBaseline(round: number): Promise<void> {
  const run = await runTimed('pocketsphinx_continuous', ['-infile', wav, '-logfn', '/dev/null']);
  assertSucceeded(run, 'pocketsphinx_continuous');
  writeFileSync(path.join(WORK_DIR, `speedup-baseline-${round}.txt`), run.stdout);
  baseline.push({ wallSec: run.wallSec, wer: wordErrorRate(reference, run.stdout).wer });
  console.error(`  baseline    run ${round}: ${fmt(run.wallSec, 1)} s wall`);
}

async function runParascribe(round: number): Promise<void> {
  const outFile = path.join(WORK_DIR, `speedup-parascribe-${round}.txt`);
  const args = [cli, 'transcribe', wav, ...parascribeFlags, '--no-cache', '-f', 'txt', '-o', outFile, '--json'];
  // A fresh data directory per run: no job history, so an automatic plan comes from the backend's prior.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parascribe-speedup-'));
  let run;
  try {
    run = await runTimed(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, PARASCRIBE_DATA_DIR: dataDir } });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  assertSucceeded(run, `parascribe (node ${args.join(' ')})`);
  const summary = parseJsonSummary(run.stdout);
  if (!summary) console.error('  warning: no JSON summary on parascribe stdout');
  const missing = SUMMARY_KEYS.filter((key) => summary && !(key in summary));
  if (missing.length) console.error(`  warning: JSON summary lacks ${missing.join(', ')}`);
  const written = existsSync(outFile) ? outFile : typeof summary?.output === 'string' ? summary.output : undefined;
  if (!written || !existsSync(written)) throw new Error(`parascribe exited 0 but wrote no transcript at ${outFile}`);
  parascribe.push({ wallSec: run.wallSec, wer: wordErrorRate(reference, readText(written)).wer, summary });
  const choice = summary?.planChoice as { reason?: string } | undefined;
  console.error(`  parascribe  run ${round}: ${fmt(run.wallSec, 1)} s wall (self-reported ${String(summary?.wallSec ?? '?')} s), ${String(summary?.segments ?? '?')} segments: ${choice?.reason ?? '?'}`);
}

console.error(`audio: ${path.relative(process.cwd(), wav)} (${fmt(audioSec, 1)} s); ${runs} run(s); ${parascribeLabel}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
try {
  for (let round = 1; round <= runs; round++) {
    // ABBA order, so slow drift in machine load does not favour whichever engine always runs first.
    const order = round % 2 === 1 ? [runBaseline, runParascribe] : [runParascribe, runBaseline];
    for (const run of order) await run(round);
  }
} catch (error) {
  die((error as Error).message);
}

const baselineWallSec = median(baseline.map((s) => s.wallSec));
const parascribeWallSec = median(parascribe.map((s) => s.wallSec));
const baselineWerPct = 100 * median(baseline.map((s) => s.wer));
const parascribeWerPct = 100 * median(parascribe.map((s) => s.wer));
const speedup = baselineWallSec / parascribeWallSec;
const selfReported = (key: string) => median(parascribe.map((s) => Number(s.summary?.[key])).filter(Number.isFinite));
const walls = (samples: Sample[]) => samples.map((s) => fmt(s.wallSec, 1)).join(', ');

const label = runs > 1 ? `median of ${runs}` : '1 run';
const table = markdownTable(
  ['engine', `wall s (${label})`, 'WER %', 'each run wall s', 'notes'],
  [
    ['pocketsphinx_continuous, whole file', fmt(baselineWallSec, 1), fmt(baselineWerPct, 1), walls(baseline), '1 process'],
    [
      parascribeLabel, fmt(parascribeWallSec, 1), fmt(parascribeWerPct, 1), walls(parascribe),
      `self-reported wallSec ${fmt(selfReported('wallSec'), 1)}, computeSec ${fmt(selfReported('computeSec'), 1)}, segments ${fmt(selfReported('segments'), 0)}`,
    ],
  ],
);
const choices = [...new Set(parascribe.map((s) => {
  const choice = s.summary?.planChoice as { reason?: string } | undefined;
  return `${String(s.summary?.segments ?? '?')} segments: ${choice?.reason ?? '?'}`;
}))];
const summaryLines = [
  `audio: ${path.basename(wav)}, ${fmt(audioSec, 1)} s, ${reference.split(/\s+/).filter(Boolean).length} reference words`,
  ...choices.map((c) => `parascribe's plan: ${c}`),
  `load average at the start: ${startLoad}`,
  `speedup (baseline wall / parascribe wall): **${fmt(speedup)}×** (required ≥ ${MIN_SPEEDUP})`,
  `WER difference (parascribe − baseline): ${fmt(parascribeWerPct - baselineWerPct, 1)} points (allowed ≤ ${MAX_WER_LOSS_POINTS})`,
];

const failures: string[] = [];
if (!(speedup >= MIN_SPEEDUP)) failures.push(`speedup ${fmt(speedup)}× is below ${MIN_SPEEDUP}×`);
if (!(parascribeWerPct <= baselineWerPct + MAX_WER_LOSS_POINTS)) {
  failures.push(`parascribe WER ${fmt(parascribeWerPct, 1)} % is more than ${MAX_WER_LOSS_POINTS} point above the baseline's ${fmt(baselineWerPct, 1)} %`);
}
if (audioSec < MIN_AUDIO_SEC) failures.push(`the audio is ${fmt(audioSec, 1)} s; the acceptance run needs ≥ ${MIN_AUDIO_SEC} s`);
const verdict = failures.length ? `**FAIL**: ${failures.join('; ')}` : '**PASS**';

const report = [table, '', ...summaryLines.map((l) => `- ${l}`), '', verdict].join('\n');
console.log(`\n${report}`);
if (flags.record) recordResults('speedup (bench/speedup.ts)', report);
process.exitCode = failures.length ? 1 : 0;
