/**
 * Cost of pause detection on a ≥ 60-minute file, each method given the same audio:
 *   (a) ffmpeg silencedetect over the already-decoded 16 kHz s16le PCM,
 *   (b) ffmpeg silencedetect over the original mp3 (decode + detect),
 *   (c) our EnergyPauseDetector fed that PCM in 64 KiB chunks, in this process,
 * plus, for context, ffmpeg decoding the mp3 alone (what (b) pays before it detects anything).
 * Runs are interleaved; the table shows medians. Usage: node --import tsx bench/silence.ts
 * [--file X.mp3] [--runs 5] [--record]
 */
import { createReadStream, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EnergyPauseDetector } from '../src/silence/energy.js';
import {
  WORK_DIR, assertSucceeded, die, ensureLongAudio, fmt, markdownTable, median, positiveNumber, probeDurationSec,
  readText, recordResults, requireFile, requireTools, runTimed,
} from './lib.js';

const CHUNK_BYTES = 64 * 1024;
const BYTES_PER_SEC = 16000 * 2; // 16 kHz mono s16le
const SILENCEDETECT = 'silencedetect=noise=-35dB:d=0.2';

const { values: flags } = parseArgs({
  options: {
    file: { type: 'string' },
    runs: { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(readText(fileURLToPath(import.meta.url)).split('*/')[0]);
  process.exit(0);
}
const runs = Math.round(positiveNumber(flags.runs, '--runs', 5));
requireTools('ffmpeg', 'ffprobe');

const source = flags.file ? requireFile(flags.file, '--file') : ensureLongAudio('long-3600.mp3', 3600).audio;
const sourceSec = probeDurationSec(source);
const pcm = path.join(WORK_DIR, `${path.basename(source).replace(/\.[^.]+$/, '')}.pcm`);
await decodeOnce(source, pcm);
const pcmSec = statSync(pcm).size / BYTES_PER_SEC;

/** Decodes to headerless PCM once (untimed); reused while newer than its source. */
async function decodeOnce(input: string, output: string): Promise<void> {
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(input).mtimeMs && statSync(output).size > 0) return;
  console.error(`decoding ${path.basename(input)} → ${path.relative(process.cwd(), output)} (not timed)`);
  const run = await runTimed('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', input, '-ar', '16000', '-ac', '1', '-f', 's16le', `${output}.tmp-${process.pid}`]);
  assertSucceeded(run, 'decoding to PCM');
  renameSync(`${output}.tmp-${process.pid}`, output);
}

interface Measurement { wallSec: number; pauses: number }
type Method = { label: string; run: () => Promise<Measurement> };

/** Runs ffmpeg with silencedetect and counts completed pauses (a silence still open at the end is no cut point). */
async function ffmpegSilencedetect(inputArgs: string[]): Promise<Measurement> {
  const run = await runTimed('ffmpeg', ['-hide_banner', '-nostdin', ...inputArgs, '-af', SILENCEDETECT, '-f', 'null', '-'], { captureStdout: false });
  assertSucceeded(run, 'ffmpeg silencedetect');
  return { wallSec: run.wallSec, pauses: run.stderr.match(/silence_end:/g)?.length ?? 0 };
}

async function energyDetectorStreaming(): Promise<Measurement> {
  const started = process.hrtime.bigint();
  const detector = new EnergyPauseDetector();
  for await (const chunk of createReadStream(pcm, { highWaterMark: CHUNK_BYTES })) detector.push(chunk as Buffer);
  const pauses = detector.finish().length;
  return { wallSec: Number(process.hrtime.bigint() - started) / 1e9, pauses };
}

let preloaded: Buffer | undefined; // loaded lazily so the streaming runs do not share a 100+ MB heap with it
function energyDetectorInMemory(): Promise<Measurement> {
  preloaded ??= readFileSync(pcm);
  const started = process.hrtime.bigint();
  const detector = new EnergyPauseDetector();
  for (let offset = 0; offset < preloaded.length; offset += CHUNK_BYTES) detector.push(preloaded.subarray(offset, offset + CHUNK_BYTES));
  const pauses = detector.finish().length;
  return Promise.resolve({ wallSec: Number(process.hrtime.bigint() - started) / 1e9, pauses });
}

async function decodeOnly(): Promise<Measurement> {
  const run = await runTimed('ffmpeg', ['-v', 'error', '-nostdin', '-i', source, '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'null', '-'], { captureStdout: false });
  assertSucceeded(run, 'ffmpeg decode');
  return { wallSec: run.wallSec, pauses: Number.NaN };
}

const pcmInput = ['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', pcm];
const methods: Method[] = [
  { label: '(a) ffmpeg silencedetect on decoded PCM', run: () => ffmpegSilencedetect(pcmInput) },
  { label: '(b) ffmpeg silencedetect on the mp3 (decode + detect)', run: () => ffmpegSilencedetect(['-i', source]) },
  { label: '(c) EnergyPauseDetector, PCM streamed from disk in 64 KiB chunks', run: energyDetectorStreaming },
  { label: "(c') EnergyPauseDetector, PCM already in memory, 64 KiB chunks", run: energyDetectorInMemory },
  { label: 'context: ffmpeg decode of the mp3 alone (mp3 → 16 kHz s16, discarded)', run: decodeOnly },
];

console.error(`audio: ${path.basename(source)} (${fmt(sourceSec, 0)} s), PCM ${fmt(pcmSec, 0)} s; ${runs} interleaved runs of ${methods.length} methods`);
const results = methods.map(() => [] as Measurement[]);
try {
  for (let round = 1; round <= runs; round++) {
    for (const [index, method] of methods.entries()) {
      const measurement = await method.run();
      results[index]!.push(measurement);
      console.error(`  run ${round} ${method.label}: ${fmt(measurement.wallSec, 3)} s`);
    }
  }
} catch (error) {
  die((error as Error).message);
}

const rows = methods.map((method, index) => {
  const samples = results[index]!;
  const walls = samples.map((s) => s.wallSec);
  const wallSec = median(walls);
  const pauseCounts = [...new Set(samples.map((s) => s.pauses).filter(Number.isFinite))];
  return [
    method.label,
    fmt(wallSec, 3),
    `${fmt(Math.min(...walls), 3)}–${fmt(Math.max(...walls), 3)}`,
    fmt(pcmSec / wallSec, 0),
    pauseCounts.length ? pauseCounts.join(' / ') : '—',
  ];
});
const report = [
  markdownTable([`method (median of ${runs})`, 'wall s', 'min–max s', '× realtime', 'pauses found'], rows),
  '',
  `- audio: ${path.basename(source)}, ${fmt(pcmSec, 1)} s (${fmt(pcmSec / 60, 1)} min) of 16 kHz mono PCM, ${fmt(statSync(pcm).size / 2 ** 20, 0)} MiB`,
  `- ffmpeg: \`${SILENCEDETECT}\` (fixed threshold); EnergyPauseDetector: defaults (adaptive noise floor, pauses ≥ 0.2 s), so pause counts differ by design`,
  '- ffmpeg rows include process start-up; detector rows run in this node process (JIT warm after run 1)',
].join('\n');
console.log(`\n${report}`);
if (flags.record) recordResults('pause detection (bench/silence.ts)', report);
