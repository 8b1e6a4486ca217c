/**
 * The `openai` backend at concurrency 1, 2, 4, 8 against the FAKE OpenAI-compatible server
 * (test/fakes/openai-server.ts) with a fixed per-request latency: wall-clock and k_effective per
 * level, and the per-segment overhead parascribe adds on top of the server's own time
 * (segment life minus the server's `openai-processing-ms`). The fake answers with real pocketsphinx
 * text on the first pass and from its memo afterwards (so levels are not slowed by the 2-core CPU).
 *
 *   node --import tsx bench/openai-concurrency.ts [--latency-ms 2000] [--segment-sec 60] [--upload flac|wav|opus] [--runs 1] [--record]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startFakeOpenAIServer } from '../test/fakes/openai-server.js';
import { WORK_DIR, assertSucceeded, ensureLongAudio, fmt, machineDescription, markdownTable, median, parseJsonSummary, positiveNumber, recordResults, requireCli, runTimed } from './lib.js';

const { values } = parseArgs({
  options: {
    'latency-ms': { type: 'string' },
    'segment-sec': { type: 'string' },
    upload: { type: 'string', default: 'flac' },
    runs: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});
const latencyMs = positiveNumber(values['latency-ms'], '--latency-ms', 2000);
const segmentSec = positiveNumber(values['segment-sec'], '--segment-sec', 60);
const runs = positiveNumber(values.runs, '--runs', 1);
const levels = [1, 2, 4, 8];
const cli = requireCli();
const { audio } = ensureLongAudio('long-620.wav', 620);
const dataDir = path.join(WORK_DIR, 'data-openai');
const configPath = path.join(WORK_DIR, 'openai-bench-config.json');

const server = await startFakeOpenAIServer({ seed: 1 });
writeFileSync(
  configPath,
  JSON.stringify({ backends: { 'remote-gpu': { type: 'openai', baseURL: server.url, apiKey: 'bench', maxConcurrentRequests: 8, uploadFormat: values.upload } } }),
);
const env = { ...process.env, PARASCRIBE_DATA_DIR: dataDir, PARASCRIBE_CONFIG: configPath };
const transcribe = (concurrency: number) =>
  runTimed(process.execPath, [cli, 'transcribe', audio, '--backend', 'remote-gpu', '--segment-sec', String(segmentSec), '--concurrency', String(concurrency), '--no-cache', '--json', '-q', '-o', path.join(WORK_DIR, `openai-k${concurrency}.txt`)], { env });

/** Per-segment overhead of one job: its segments' life minus the server's own time, in ms. */
function overheadMs(jobId: string): number[] {
  const db = new Database(path.join(dataDir, 'parascribe.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT completed_at - started_at AS life, compute_sec AS compute FROM transcription_segments WHERE job_id = ?').all(jobId) as Array<{ life: number; compute: number }>;
  db.close();
  return rows.map((r) => (r.life - r.compute) * 1000);
}

try {
  process.stderr.write(`warm-up: the fake server transcribes every segment once with pocketsphinx (no latency)\n`);
  assertSucceeded(await transcribe(2), 'warm-up');
  server.setFaults({ latencyMs });
  const results = new Map<number, Array<{ wallSec: number; jobWallSec: number; computeSec: number; k: number; overheadMs: number[] }>>();
  for (let run = 0; run < runs; run++) {
    for (const k of levels) {
      const timed = await transcribe(k);
      assertSucceeded(timed, `concurrency ${k}`);
      const summary = parseJsonSummary(timed.stdout)!;
      const entry = { wallSec: timed.wallSec, jobWallSec: Number(summary.wallSec), computeSec: Number(summary.computeSec), k: Number(summary.parallelism), overheadMs: overheadMs(String(summary.jobId)) };
      process.stderr.write(`  k=${k}: ${fmt(entry.wallSec)} s wall, k_eff ${fmt(entry.k)}, overhead median ${fmt(median(entry.overheadMs), 1)} ms/segment\n`);
      results.set(k, [...(results.get(k) ?? []), entry]);
    }
  }
  const rows = levels.map((k) => {
    const entries = results.get(k)!;
    const overhead = entries.flatMap((e) => e.overheadMs);
    return [
      k,
      fmt(median(entries.map((e) => e.wallSec))),
      fmt(median(entries.map((e) => e.jobWallSec))),
      fmt(median(entries.map((e) => e.computeSec))),
      fmt(median(entries.map((e) => e.k))),
      fmt(median(overhead), 1),
      fmt(Math.max(...overhead), 1),
    ];
  });
  const table = markdownTable(['concurrency', 'process wall s', 'job wall s', 'server time s (sum)', 'k_effective', 'overhead ms/segment (median)', 'overhead ms (max)'], rows);
  const body = [
    machineDescription(),
    '',
    table,
    '',
    `- audio: ${path.basename(audio)}, segments of ${segmentSec} s, upload ${values.upload}; fake server latency ${latencyMs} ms per request, text memoised after a real pocketsphinx warm-up pass; ${runs} run(s) per level`,
    '- overhead = segment life (first dispatch → result stored) − the server\'s own `openai-processing-ms`: encoding, upload, response parsing, store writes',
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (values.record) recordResults('openai backend concurrency (bench/openai-concurrency.ts)', body);
} finally {
  await server.close();
}
