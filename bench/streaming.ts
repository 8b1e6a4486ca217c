/**
 * Pipelining (issue 6 part 5): time to first dispatch and total wall of one job, with the decode and
 * the transcription streamed (the default for a fresh job) and without (decode the whole file, plan,
 * then transcribe), on long-3600.wav and on the mp3 it was made from (62 min each).
 *
 * Jobs run in this process through `runJob` (the switch is `JobRequest.streaming`, not a CLI flag),
 * on the `openai` backend against the FAKE OpenAI server, which holds each request for a simulated
 * GPU's time (fixed + RTF × the upload's audio seconds, read from its FLAC header) and answers with
 * a digest of the upload (no transcription: the benchmark is about the pipeline, not the text).
 * Modes alternate A B B A per run pair; the table shows medians.
 *
 *   node --import tsx bench/streaming.ts [--runs 3] [--segment-sec 360] [--concurrency 4] [--fixed-ms 300] [--rtf 0.01] [--files wav,mp3] [--record]
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { runJob } from '../src/pipeline/job.js';
import { openRuntime } from '../src/runtime.js';
import { startFakeOpenAIServer } from '../test/fakes/openai-server.js';
import { WORK_DIR, die, ensureLongAudio, fmt, markdownTable, median, positiveNumber, recordResults, requireTools } from './lib.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    'segment-sec': { type: 'string' },
    concurrency: { type: 'string' },
    'fixed-ms': { type: 'string' },
    rtf: { type: 'string' },
    files: { type: 'string', default: 'wav,mp3' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('node --import tsx bench/streaming.ts [--runs 3] [--segment-sec 360] [--concurrency 4] [--fixed-ms 300] [--rtf 0.01] [--files wav,mp3] [--record]');
  process.exit(0);
}
const runs = positiveNumber(values.runs, '--runs', 3);
const segmentSec = positiveNumber(values['segment-sec'], '--segment-sec', 360);
const concurrency = positiveNumber(values.concurrency, '--concurrency', 4);
const fixedMs = positiveNumber(values['fixed-ms'], '--fixed-ms', 300);
const rtf = positiveNumber(values.rtf, '--rtf', 0.01);
const kinds = values.files.split(',').map((k) => k.trim());
if (kinds.some((k) => k !== 'wav' && k !== 'mp3')) die(`--files takes wav and/or mp3, got '${values.files}'`);
requireTools('ffmpeg', 'ffprobe');

/** Audio seconds of a FLAC upload, from STREAMINFO (sample rate: 20 bits at byte 18; total samples: 36 bits at 21.4). */
function flacAudioSec(bytes: Uint8Array): number {
  if (bytes.length < 42 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'fLaC') return 0;
  const rate = (bytes[18]! << 12) | (bytes[19]! << 4) | (bytes[20]! >> 4);
  const samples = (bytes[21]! & 0x0f) * 2 ** 32 + ((bytes[22]! << 24) >>> 0) + (bytes[23]! << 16) + (bytes[24]! << 8) + bytes[25]!;
  return rate > 0 ? samples / rate : 0;
}

let jobStartMs = 0;
let firstArrivalMs: number | null = null;
const server = await startFakeOpenAIServer({
  transcriber: async (bytes, _filename, signal) => {
    firstArrivalMs ??= performance.now();
    const audioSec = flacAudioSec(bytes);
    await delay(fixedMs + rtf * audioSec * 1000, undefined, { signal }).catch(() => undefined);
    const text = `segment ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
    return { durationSec: audioSec, utterances: [{ startSec: 0, endSec: Math.min(1, audioSec), text, words: [] }] } as never;
  },
});

const dataDir = path.join(WORK_DIR, 'data-streaming');
rmSync(dataDir, { recursive: true, force: true });
const config = loadConfig({
  env: { PARASCRIBE_DATA_DIR: dataDir, XDG_CONFIG_HOME: path.join(dataDir, 'no-config') },
  flags: {
    backend: 'openai',
    segmentSec,
    concurrency,
    cache: false,
    backends: { openai: { baseURL: server.url, apiKey: 'bench-key-0123456789', maxConcurrentRequests: concurrency, uploadFormat: 'flac' } },
  },
});
const context = await openRuntime(config);

interface Sample {
  /** All seconds from the job's start (runJob called). */
  firstRequestSec: number;
  firstResultSec: number;
  decodeEndSec: number;
  wallSec: number;
  /** The job's own telemetry: decode start → first dispatch, and the decode's length. */
  firstDispatchSec: number;
  decodeSec: number;
  segments: number;
}

async function measure(input: string, streaming: boolean): Promise<Sample> {
  firstArrivalMs = null;
  let decodeEndMs = Number.NaN;
  let firstResultMs = Number.NaN;
  jobStartMs = performance.now();
  const outcome = await runJob({
    input,
    outputPath: path.join(WORK_DIR, 'streaming-out.txt'),
    format: 'txt',
    config,
    runtime: context,
    signal: AbortSignal.timeout(600_000),
    streaming,
    events: {
      onDecoded: () => (decodeEndMs = performance.now()),
      onPartial: (segment) => {
        if (segment.index === 0) firstResultMs = performance.now();
      },
    },
  });
  const sec = (ms: number | null) => (ms === null ? Number.NaN : (ms - jobStartMs) / 1000);
  return {
    firstRequestSec: sec(firstArrivalMs),
    firstResultSec: sec(firstResultMs),
    decodeEndSec: sec(decodeEndMs),
    wallSec: sec(performance.now()),
    firstDispatchSec: outcome.telemetry.firstDispatchSec ?? Number.NaN,
    decodeSec: outcome.telemetry.decodeSec ?? Number.NaN,
    segments: outcome.plan.length,
  };
}

const rows: Array<Array<string | number>> = [];
const notes: string[] = [];
try {
  for (const kind of kinds) {
    const { audio } = ensureLongAudio(`long-3600.${kind}`, 3600);
    // One uncounted job: the file's hash is memoised, page cache and JIT warm, the fake's sockets open.
    await measure(audio, true);
    const samples = { streamed: [] as Sample[], whole: [] as Sample[] };
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? [true, false] : [false, true];
      for (const streaming of order) {
        const sample = await measure(audio, streaming);
        samples[streaming ? 'streamed' : 'whole'].push(sample);
        process.stderr.write(
          `${kind} ${streaming ? 'streamed' : 'whole   '} run ${run + 1}: first request ${fmt(sample.firstRequestSec)} s, decode end ${fmt(sample.decodeEndSec)} s, first result ${fmt(sample.firstResultSec)} s, wall ${fmt(sample.wallSec)} s\n`,
        );
      }
    }
    for (const [mode, list] of Object.entries(samples)) {
      const m = (pick: (s: Sample) => number) => fmt(median(list.map(pick)));
      rows.push([path.basename(audio), mode, list[0]!.segments, m((s) => s.firstRequestSec), m((s) => s.firstDispatchSec), m((s) => s.decodeSec), m((s) => s.decodeEndSec), m((s) => s.firstResultSec), m((s) => s.wallSec)]);
    }
    const ratio = median(samples.whole.map((s) => s.firstRequestSec)) / median(samples.streamed.map((s) => s.firstRequestSec));
    const saved = median(samples.whole.map((s) => s.wallSec)) - median(samples.streamed.map((s) => s.wallSec));
    notes.push(`- ${path.basename(audio)}: first request ${fmt(ratio, 1)}× sooner streamed; total wall ${fmt(saved)} s shorter (medians)`);
  }
} finally {
  await context.close();
  await server.close();
}

const table = markdownTable(
  ['file', 'mode', 'segments', 'first request at server s', 'first dispatch s (after decode start)', 'decode s', 'decode end s', 'first result s', 'wall s'],
  rows,
);
const body = [
  table,
  '',
  ...notes,
  `- ${runs} runs per mode and file, alternating (A B, then B A), after one uncounted streamed job per file; medians`,
  `- job: \`runJob\` in this process, backend openai → FAKE server (simulated GPU: ${fixedMs} ms + RTF ${rtf} × upload audio s per request, digest text), --segment-sec ${segmentSec}, --concurrency ${concurrency}, --no-cache; uploads FLAC`,
  '- all times but the two telemetry columns are seconds from the job start (runJob called: probe, hash, cache check, then decode); first request = the fake server got the upload (after the FLAC encode and the upload); first result = segment 0 handed on in order; whole = `streaming: false` (decode the whole file, plan, then transcribe: the path resumed jobs take)',
  `- command: \`node --import tsx bench/streaming.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
].join('\n');
console.log(body);
if (values.record) recordResults('pipelining: time to first dispatch, streamed vs whole-file decode (bench/streaming.ts)', body);
