/**
 * Issue 6, acceptance 1–3 in ONE run on the SIMULATED scale-to-zero GPU endpoint fitted to the seed
 * study (bench/seed-fit.md; parameters fixed in lib-seed.ts before anything here was measured):
 *
 *  1. history: the seed table's sizes (180/300/360/420 s, `--table-runs` each, concurrency 64, every run
 *     from zero containers): the reproduction, and the job history parascribe's model is fitted on;
 *  2. `parascribe plan --explain` on the same file: the fitted model and the plan it picks;
 *  3. `--runs` alternating pairs: the reproduction's fixed 360 s vs parascribe's own choice
 *     (`--segment-sec auto`, streaming dispatch, hedged requests, fast first words on the local
 *     pocketsphinx; no warm pool), each from zero containers: wall (spawn to exit), time to the first
 *     partial transcript, hedges and the extra compute the endpoint spent on them;
 *  4. `--warm-runs` runs of the choice with the warm pool, for its cost and what it saves.
 *
 *   node --import tsx bench/seed-latency.ts [--runs 10] [--table-runs 1] [--warm-runs 3] [--quick] [--record] [--json-out F]
 *
 * The text is real pocketsphinx output placed by sample alignment (test/fakes/periodic-text.ts), as in
 * seed-table.ts. `--quick`: the 10-minute file, 2 pairs, to check the harness.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/registry.js';
import { startFakeOpenAIServer } from '../test/fakes/openai-server.js';
import { PeriodicTranscriber } from '../test/fakes/periodic-text.js';
import { WORK_DIR, assertSucceeded, ensureLongAudio, fmt, machineDescription, markdownTable, median, parseJsonSummary, positiveNumber, probeDurationSec, recordResults, requireCli, runTimed } from './lib.js';
import { endpointView, periodText, SEED_SIM, type LatencyRun } from './lib-seed.js';
import { STUDY } from './seed-model.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    'table-runs': { type: 'string' },
    'warm-runs': { type: 'string' },
    quick: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    'json-out': { type: 'string' },
  },
});
const quick = values.quick;
const runs = positiveNumber(values.runs, '--runs', quick ? 2 : 10);
const tableRuns = positiveNumber(values['table-runs'], '--table-runs', 1);
const warmRuns = Number(values['warm-runs'] ?? (quick ? 1 : 3));
const cli = requireCli();
const { audio } = quick ? ensureLongAudio('long-620.wav', 620) : ensureLongAudio('long-3600.wav', 3600);
const dataDir = path.join(WORK_DIR, quick ? 'data-latency-quick' : 'data-latency');
const env = { ...process.env, PARASCRIBE_DATA_DIR: dataDir };
const BACKEND = 'serverless-gpu';
const CONCURRENCY = 64;

const text = await periodText(audio);
const periodic = new PeriodicTranscriber(text.period, text.transcript);
const server = await startFakeOpenAIServer({ seed: 1, serverless: SEED_SIM, transcriber: periodic.transcribe });
const pool = server.serverless!;
const backends = { [BACKEND]: { type: 'openai', baseURL: server.url, apiKey: 'bench', maxConcurrentRequests: CONCURRENCY, timeoutSec: 1800 } };
const configFor = (name: string, extra: Record<string, unknown>) => {
  const file = path.join(WORK_DIR, `latency-${name}.json`);
  writeFileSync(file, JSON.stringify({ backends, ...extra }));
  return file;
};
const choiceSettings = { hedging: { enabled: true }, firstWords: { enabled: true, backend: 'pocketsphinx' } };
const configs = {
  fixed: configFor('fixed', {}),
  choice: configFor('choice', choiceSettings),
  warm: configFor('warm', { ...choiceSettings, warmPool: { enabled: true } }),
};

type Run = LatencyRun;

const store = await openStore({ dataDir });
async function transcribe(mode: string, config: string, segmentSec: string, extraArgs: string[] = []): Promise<Run> {
  pool.scaleToZero();
  pool.resetStats();
  server.resetStats();
  const args = [cli, 'transcribe', audio, '--config', config, '--backend', BACKEND, '--segment-sec', segmentSec, '--no-cache', '--json', '-q', '-f', 'txt', '-o', path.join(WORK_DIR, `latency-${mode}.txt`), ...extraArgs];
  const timed = await runTimed(process.execPath, args, { env });
  assertSucceeded(timed, `${mode} (${segmentSec})`);
  const summary = parseJsonSummary(timed.stdout)!;
  const rows = await store.listSegments(String(summary.jobId));
  const job = (await store.getJob(String(summary.jobId)))!;
  const startupSec = timed.wallSec - Number(summary.wallSec); // process start and exit, outside the job's own clock
  const first = rows.find((r) => r.idx === 0)!;
  const endpoint = endpointView(server.stats().log);
  const remoteAudioSec = rows.filter((r) => r.backend === BACKEND).reduce((sum, r) => sum + (r.end_sec - r.start_sec), 0);
  const attempts = rows.flatMap((r) => JSON.parse(r.attempts_json ?? '[]') as Array<{ hedge?: boolean; outcome: string }>);
  const hedgeAttempts = attempts.filter((a) => a.hedge);
  const warmupComputeSec = endpoint.warmups.reduce((sum, w) => sum + w.computeSec, 0);
  return {
    mode,
    segmentSec,
    wallSec: timed.wallSec,
    firstWordsSec: startupSec + (first.completed_at! - job.started_at!),
    segments: rows.length,
    lengthsSec: rows.map((r) => r.end_sec - r.start_sec),
    backends: rows.map((r) => r.backend ?? '?'),
    hedges: hedgeAttempts.length,
    hedgesWon: hedgeAttempts.filter((a) => a.outcome === 'ok').length,
    endpoint,
    extraComputeShare: remoteAudioSec > 0 ? (endpoint.computeSec - warmupComputeSec) / (SEED_SIM.rtf * remoteAudioSec) - 1 : 0,
  };
}

const log = (run: Run) =>
  process.stderr.write(
    `  ${run.mode.padEnd(7)} ${run.segmentSec.padStart(4)}: ${fmt(run.wallSec, 1)} s wall, first words ${fmt(run.firstWordsSec, 1)} s, ${run.segments} segments ` +
      `[${run.lengthsSec.map((l) => fmt(l, 0)).join(' ')}], cold starts ${run.endpoint.coldStarts}, hedges ${run.hedges} (won ${run.hedgesWon}), extra compute ${fmt(run.extraComputeShare * 100, 1)} %\n`,
  );
const all: Run[] = [];
const started = performance.now();
let explain = '';
try {
  // 1. History and the reproduction of the table.
  const sizes = STUDY.map((s) => s.segmentSec);
  for (let r = 0; r < tableRuns; r++) {
    for (let i = 0; i < sizes.length; i++) {
      const size = sizes[(i + r) % sizes.length]!;
      const run = await transcribe('table', configs.fixed, String(size), ['--concurrency', String(CONCURRENCY)]);
      all.push(run);
      log(run);
    }
  }
  // 2. What the model makes of that history.
  const planned = await runTimed(process.execPath, [cli, 'plan', audio, '--config', configs.choice, '--backend', BACKEND, '--explain'], { env });
  explain = planned.stdout.trim() || planned.stderr.trim();
  process.stderr.write(`${explain}\n`);
  // 3. Alternating pairs, the order flipped every other pair.
  for (let r = 0; r < runs; r++) {
    const pair = [
      () => transcribe('fixed', configs.fixed, '360', ['--concurrency', String(CONCURRENCY)]),
      () => transcribe('choice', configs.choice, 'auto'),
    ];
    for (const step of r % 2 === 0 ? pair : pair.reverse()) {
      const run = await step();
      all.push(run);
      log(run);
    }
  }
  // 4. The warm pool.
  for (let r = 0; r < warmRuns; r++) {
    const run = await transcribe('warm', configs.warm, 'auto');
    all.push(run);
    log(run);
  }
} finally {
  await server.close();
  await store.close();
}

const minutes = (performance.now() - started) / 60_000;
const of = (mode: string, size?: string) => all.filter((r) => r.mode === mode && (size === undefined || r.segmentSec === size));
const range = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
const summaryRow = (label: string, rs: Run[]) => {
  const walls = rs.map((r) => r.wallSec);
  return [
    label,
    rs.length,
    fmt(median(walls), 1),
    `${fmt(Math.min(...walls), 1)}–${fmt(Math.max(...walls), 1)}`,
    fmt(range(walls), 1),
    fmt(median(rs.map((r) => r.firstWordsSec)), 1),
    fmt(median(rs.map((r) => r.segments)), 0),
    fmt(median(rs.map((r) => r.endpoint.coldStarts)), 0),
    rs.reduce((s, r) => s + r.hedges, 0),
    fmt(Math.max(...rs.map((r) => r.extraComputeShare)) * 100, 1),
  ];
};
const fixed = of('fixed');
const choice = of('choice');
const warm = of('warm');
const tableRows = STUDY.map((s) => {
  const rs = [...of('table', String(s.segmentSec)), ...(s.segmentSec === 360 ? fixed : [])];
  const wall = median(rs.map((r) => r.wallSec));
  return [s.segmentSec, s.segments, median(rs.map((r) => r.segments)), s.wallSec, fmt(wall, 1), quick ? '—' : fmt(wall / s.wallSec, 2), rs.length];
});
const ratio = median(choice.map((r) => r.wallSec)) / median(fixed.map((r) => r.wallSec));
const spreadRatio = range(choice.map((r) => r.wallSec)) / range(fixed.map((r) => r.wallSec));
const warmSavedSec = median(choice.map((r) => r.wallSec)) - (warm.length ? median(warm.map((r) => r.wallSec)) : Number.NaN);
const warmExtraSec = warm.length ? median(warm.map((r) => r.endpoint.warmups.length * SEED_SIM.rttSec + r.endpoint.warmups.reduce((s, w) => s + w.computeSec + w.coldStartSec, 0))) : Number.NaN;
const body = [
  markdownTable(['segment s', 'study n', 'n', 'study wall s', 'wall s (median)', 'ratio', 'runs'], tableRows),
  '',
  markdownTable(['mode', 'runs', 'wall s (median)', 'best–worst s', 'spread s', 'first words s (median)', 'segments', 'cold starts', 'hedges', 'extra compute % (max)'], [
    summaryRow('fixed 360 s (reproduction)', fixed),
    summaryRow('parascribe choice', choice),
    ...(warm.length ? [summaryRow('choice + warm pool', warm)] : []),
  ]),
  '',
  `- choice / reproduction: median wall ×${fmt(ratio, 2)} (${fmt((1 - ratio) * 100, 0)} % lower; goal ≥ 20 %), best-to-worst spread ×${fmt(spreadRatio, 2)} (goal ≤ 0.5); first words ${fmt(median(choice.map((r) => r.firstWordsSec)), 1)} s vs ${fmt(median(fixed.map((r) => r.firstWordsSec)), 1)} s (goal ≤ 15 s)`,
  `- choice plans (segment lengths s, backend of segment 0): ${[...new Set(choice.map((r) => `[${r.lengthsSec.map((l) => fmt(l, 0)).join(' ')}] ${r.backends[0]}`))].join('; ')}`,
  ...(warm.length ? [`- warm pool: ${fmt(warmSavedSec, 1)} s saved on the median wall, for ${warm[0]!.endpoint.warmups.length} warm-up requests costing about ${fmt(warmExtraSec, 0)} s of container time per job (cold start + per-request time + compute)`] : []),
  `- audio ${path.basename(audio)}; every run from zero containers; table sizes ${tableRuns} run(s) each (history for the model), then ${runs} alternating pairs, then ${warmRuns} warm-pool run(s); total ${fmt(minutes, 1)} min`,
  `- SIMULATED endpoint, fixed by the table fit before this was measured (bench/seed-fit.md): k = ${SEED_SIM.maxContainers}, cold start lognormal median 15 s σ 0.8, ${SEED_SIM.rttSec} s per request + 40 Mbit/s upload on the container, RTF ${SEED_SIM.rtf}, idle timeout ${SEED_SIM.idleTimeoutSec} s; cancelled requests free their container (a cancelled boot completes first) and report the compute they spent`,
  `- real: the parascribe CLI end to end; text: real pocketsphinx words placed by sample alignment (${periodic.counts.aligned} aligned, ${periodic.counts.fallback} fell back), first-words segment transcribed by the real local pocketsphinx`,
  `- first words = spawn → segment 0 stored (process start included); extra compute = endpoint compute beyond one copy of each segment it served (cancelled losers included, warm-ups excluded)`,
  '',
  '```',
  explain.split('\n').slice(0, 40).join('\n'),
  '```',
].join('\n');
process.stdout.write(`${machineDescription()}\n\n${body}\n`);
writeFileSync(values['json-out'] ?? path.join(WORK_DIR, 'seed-latency-results.json'), JSON.stringify({ sim: SEED_SIM, audio: { file: path.relative(WORK_DIR, audio), durationSec: probeDurationSec(audio) }, runs: all }, null, 1));
if (values.record) recordResults(`issue 6: parascribe's own choice vs the 360 s reproduction on the simulated endpoint (bench/seed-latency.ts)${quick ? ', quick' : ''}`, body);
