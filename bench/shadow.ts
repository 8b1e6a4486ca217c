/**
 * Shadow sampling off the job's path: the same job with and without `shadow` (share 0.2 by default),
 * interleaved in one run (off, on, off, on, …) so that drift on a shared machine hits both alike; the
 * medians of each job's wall-clock (its row: start to completed) and of the CLI process's wall-clock
 * (which also waits, at exit, for shadow calls still running: `shadow.drainSec`). Both backends are
 * FAKE OpenAI-compatible servers (test/fakes/openai-server.ts) with a fixed latency per request and
 * instant deterministic text (test/fakes/word-transcriber.ts); the reference replaces every 10th word,
 * so the recorded disagreement is about 0.1.
 *
 *   node --import tsx bench/shadow.ts [--runs 5] [--share 0.2] [--latency-ms 1500] [--segment-sec 30] [--concurrency 4] [--record]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startFakeOpenAIServer } from '../test/fakes/openai-server.js';
import { wordTranscriber } from '../test/fakes/word-transcriber.js';
import { WORK_DIR, assertSucceeded, ensureLongAudio, fmt, machineDescription, markdownTable, median, parseJsonSummary, positiveNumber, recordResults, requireCli, runTimed } from './lib.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    share: { type: 'string' },
    'latency-ms': { type: 'string' },
    'segment-sec': { type: 'string' },
    concurrency: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});
const runs = positiveNumber(values.runs, '--runs', 5);
const share = positiveNumber(values.share, '--share', 0.2);
const latencyMs = positiveNumber(values['latency-ms'], '--latency-ms', 1500);
const segmentSec = positiveNumber(values['segment-sec'], '--segment-sec', 30);
const concurrency = positiveNumber(values.concurrency, '--concurrency', 4);
const cli = requireCli();
const { audio } = ensureLongAudio('long-620.wav', 620);
const dataDir = path.join(WORK_DIR, 'data-shadow');

const primary = await startFakeOpenAIServer({ seed: 1, transcriber: wordTranscriber(), faults: { latencyMs } });
const reference = await startFakeOpenAIServer({ seed: 2, transcriber: wordTranscriber({ distortEvery: 10 }), faults: { latencyMs } });
const backend = (url: string) => ({ type: 'openai', baseURL: url, apiKey: 'bench', uploadFormat: 'wav', maxConcurrentRequests: 8 });
const backends = { primary: backend(primary.url), reference: backend(reference.url) };
const configs = {
  off: path.join(WORK_DIR, 'shadow-off-config.json'),
  on: path.join(WORK_DIR, 'shadow-on-config.json'),
};
writeFileSync(configs.off, JSON.stringify({ backends }));
writeFileSync(configs.on, JSON.stringify({ backends, shadow: { backend: 'reference', share } }));

interface Run {
  jobWallSec: number;
  processWallSec: number;
  segments: number;
  shadowed: number;
  meanWer: number | null;
}

function shadowsOf(jobId: string): { shadowed: number; meanWer: number | null } {
  const db = new Database(path.join(dataDir, 'parascribe.sqlite'), { readonly: true });
  const row = db.prepare("SELECT count(*) AS n, avg(wer) AS wer FROM segment_shadows WHERE job_id = ? AND kind = 'shadow' AND wer IS NOT NULL").get(jobId) as { n: number; wer: number | null };
  db.close();
  return { shadowed: row.n, meanWer: row.wer };
}

async function transcribe(mode: 'off' | 'on'): Promise<Run> {
  const env = { ...process.env, PARASCRIBE_DATA_DIR: dataDir, PARASCRIBE_CONFIG: configs[mode] };
  const args = [cli, 'transcribe', audio, '--backend', 'primary', '--segment-sec', String(segmentSec), '--concurrency', String(concurrency), '--no-cache', '--json', '-q', '-o', path.join(WORK_DIR, `shadow-${mode}.txt`)];
  const timed = await runTimed(process.execPath, args, { env });
  assertSucceeded(timed, `shadow ${mode}`);
  const summary = parseJsonSummary(timed.stdout)!;
  return { jobWallSec: Number(summary.wallSec), processWallSec: timed.wallSec, segments: Number(summary.segments), ...shadowsOf(String(summary.jobId)) };
}

try {
  process.stderr.write(`warm-up (not counted)\n`);
  await transcribe('off');
  const results: Record<'off' | 'on', Run[]> = { off: [], on: [] };
  for (let round = 0; round < runs; round++) {
    // Alternate which goes first, so neither always follows the other.
    for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const run = await transcribe(mode);
      results[mode].push(run);
      process.stderr.write(`  round ${round + 1} shadow ${mode}: job ${fmt(run.jobWallSec)} s, process ${fmt(run.processWallSec)} s, ${run.shadowed}/${run.segments} segments shadowed\n`);
    }
  }
  const off = results.off;
  const on = results.on;
  const med = (list: Run[], key: 'jobWallSec' | 'processWallSec') => median(list.map((r) => r[key]));
  const spread = (list: Run[], key: 'jobWallSec' | 'processWallSec') => `${fmt(Math.min(...list.map((r) => r[key])))}–${fmt(Math.max(...list.map((r) => r[key])))}`;
  const shadowedOn = on.reduce((sum, r) => sum + r.shadowed, 0);
  const segmentsOn = on.reduce((sum, r) => sum + r.segments, 0);
  const wers = on.filter((r) => r.meanWer !== null).map((r) => r.meanWer!);
  const rows = [
    ['off', runs, fmt(med(off, 'jobWallSec')), spread(off, 'jobWallSec'), fmt(med(off, 'processWallSec')), spread(off, 'processWallSec'), '0', '-'],
    [`on (share ${share})`, runs, fmt(med(on, 'jobWallSec')), spread(on, 'jobWallSec'), fmt(med(on, 'processWallSec')), spread(on, 'processWallSec'), `${shadowedOn}/${segmentsOn}`, wers.length ? fmt(median(wers), 3) : '-'],
  ];
  const jobDelta = med(on, 'jobWallSec') - med(off, 'jobWallSec');
  // Same round, same conditions: the per-round difference, and the run-to-run noise of the plain job
  // as its median absolute deviation (robust to one run that a busy machine slowed down).
  const paired = off.map((r, i) => on[i]!.jobWallSec - r.jobWallSec);
  const offMedian = med(off, 'jobWallSec');
  const noise = median(off.map((r) => Math.abs(r.jobWallSec - offMedian)));
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${fmt(value)}`;
  const table = markdownTable(['shadow', 'runs', 'job wall s (median)', 'job wall s (range)', 'process wall s (median)', 'process wall s (range)', 'segments shadowed', 'disagreement WER (median of jobs)'], rows);
  const body = [
    machineDescription(),
    '',
    table,
    '',
    `- job wall, shadowing on − off: ${signed(jobDelta)} s between the medians, ${signed(median(paired))} s median of the ${runs} same-round differences (${paired.map(signed).join(', ')}); run-to-run noise without shadowing (median absolute deviation) ${fmt(noise)} s`,
    `- audio: ${path.basename(audio)}, segments of ${segmentSec} s, concurrency ${concurrency}; both fake servers answer after ${latencyMs} ms; the reference replaces every 10th word (expected disagreement ≈ 0.1)`,
    '- job wall = the job row (start → completed); process wall also holds the shadow calls still running when the job ends (the CLI waits up to shadow.drainSec for them)',
    `- runs interleaved (off/on, then on/off), after one warm-up run`,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (values.record) recordResults('shadow sampling off the job path (bench/shadow.ts)', body);
} finally {
  await Promise.all([primary.close(), reference.close()]);
}
