/**
 * The seed study's table, reproduced: a 62-minute file (18 × gpl-preamble) transcribed by the real
 * parascribe CLI through its `openai` backend, against a SIMULATED scale-to-zero GPU endpoint (the fake
 * OpenAI server with `serverless`, test/fakes/serverless-sim.ts) fitted to the study (bench/seed-fit.md).
 * Segment sizes 180/300/360/420 s, `--runs` runs each, every run starting from zero containers.
 *
 *   node --import tsx bench/seed-table.ts [--runs 2] [--sizes 180,300,360,420] [--quick] [--record] [--json-out FILE]
 *     [--k 4] [--cold-median 15] [--cold-sigma 0.8] [--rtt 17] [--bandwidth-mbps 40] [--rtf 0.006] [--idle-timeout 60] [--seed 1]
 *   node --import tsx bench/seed-table.ts --fit [--client-sec 3]    # the grid search behind the defaults (no transcription)
 *
 * Text: one period (206.9 s) is transcribed for real with pocketsphinx once (cached in bench/work);
 * each upload is located in it by exact sample match and answered with that real text
 * (test/fakes/periodic-text.ts). `--quick`: the 10-minute long-620.wav, one run, to check the harness.
 *
 * Raw results go to `--json-out` (default bench/work/seed-table-results.json), rewritten after every run
 * (`complete: false` until the last): the sim parameters, and per size and run the wall, segments,
 * client seconds and every request's SimReport. bench/plot.ts draws from it. Shape: `SeedTableJson` below.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { wordErrorRate } from '../src/eval/wer.js';
import { startFakeOpenAIServer } from '../test/fakes/openai-server.js';
import { PeriodicTranscriber } from '../test/fakes/periodic-text.js';
import { periodText, SEED_SIM } from './lib-seed.js';
import type { ServerlessOptions, SimReport } from '../test/fakes/serverless-sim.js';
import { REPO_ROOT, WORK_DIR, assertSucceeded, ensureLongAudio, fmt, machineDescription, markdownTable, median, parseJsonSummary, positiveNumber, probeDurationSec, readText, recordResults, requireCli, runTimed } from './lib.js';
import { fitGrid, modelQuantiles, STUDY, type SeedParams } from './seed-model.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    sizes: { type: 'string', default: '180,300,360,420' },
    quick: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    fit: { type: 'boolean', default: false },
    'client-sec': { type: 'string' },
    k: { type: 'string' },
    'cold-median': { type: 'string' },
    'cold-sigma': { type: 'string' },
    rtt: { type: 'string' },
    'bandwidth-mbps': { type: 'string' },
    rtf: { type: 'string' },
    'idle-timeout': { type: 'string' },
    seed: { type: 'string' },
    'json-out': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, ''));
  process.exit(0);
}

// The fitted parameters (bench/seed-fit.md); each can be overridden for a what-if.
const fitted = SEED_SIM as ServerlessOptions & { coldStart: { kind: 'lognormal'; medianSec: number; sigma: number } };
const sim: ServerlessOptions = {
  maxContainers: positiveNumber(values.k, '--k', fitted.maxContainers),
  coldStart: {
    kind: 'lognormal',
    medianSec: positiveNumber(values['cold-median'], '--cold-median', fitted.coldStart.medianSec),
    sigma: positiveNumber(values['cold-sigma'], '--cold-sigma', fitted.coldStart.sigma),
  },
  rttSec: Number(values.rtt ?? fitted.rttSec),
  uploadBytesPerSec: values['bandwidth-mbps'] === undefined ? fitted.uploadBytesPerSec : (positiveNumber(values['bandwidth-mbps'], '--bandwidth-mbps', 40) * 1e6) / 8,
  rtf: positiveNumber(values.rtf, '--rtf', fitted.rtf),
  idleTimeoutSec: positiveNumber(values['idle-timeout'], '--idle-timeout', fitted.idleTimeoutSec),
  seed: positiveNumber(values.seed, '--seed', fitted.seed ?? 1),
};
const params: SeedParams = { k: sim.maxContainers, coldStart: sim.coldStart, rttSec: sim.rttSec, uploadBytesPerSec: sim.uploadBytesPerSec, rtf: sim.rtf };
const sizes = values.sizes.split(',').map((s) => positiveNumber(s.trim(), '--sizes', 0));
const runs = positiveNumber(values.runs, '--runs', values.quick ? 1 : 2);
const cli = requireCli();
const { audio, reference } = values.quick ? ensureLongAudio('long-620.wav', 620) : ensureLongAudio('long-3600.wav', 3600);
const dataDir = path.join(WORK_DIR, 'data-seed');
const env = { ...process.env, PARASCRIBE_DATA_DIR: dataDir };
const BACKEND = 'serverless-gpu';

/** Segment lengths parascribe plans for this file (`--plan-only`), per size. */
async function plans(): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const size of sizes) {
    const run = await runTimed(process.execPath, [cli, 'transcribe', audio, '--plan-only', '--json', '-q', '--segment-sec', String(size)], { env });
    assertSucceeded(run, `plan ${size}`);
    const plan = parseJsonSummary(run.stdout)!.plan as Array<{ startSec: number; endSec: number }>;
    out.set(size, plan.map((s) => s.endSec - s.startSec));
  }
  return out;
}

if (values.fit) {
  const clientSec = positiveNumber(values['client-sec'], '--client-sec', 3);
  const candidates = fitGrid(await plans(), clientSec, { ks: [2, 3, 4, 6, 8], rtf: sim.rtf, uploadBytesPerSec: sim.uploadBytesPerSec });
  const rows = candidates.slice(0, 12).map((c) => [c.params.k, fmt(c.params.rttSec, 1), c.params.coldStart.kind === 'lognormal' ? `${c.params.coldStart.medianSec} s, σ ${c.params.coldStart.sigma}` : '', fmt(c.maxLogError * 100, 1), fmt(c.spread300, 1)]);
  process.stdout.write(`${markdownTable(['k', 'rtt s', 'cold start (lognormal median, σ)', 'max |ln ratio| %', '10–90 % range at 300 s'], rows)}\n`);
  process.exit(0);
}


interface RunResult {
  /** 1-based run number (sizes are rotated, so run n of each size happen in the same pass). */
  run: number;
  wallSec: number;
  jobWallSec: number;
  segments: number;
  coldStarts: number;
  computeSec: number;
  k: number;
  wer: number;
  sims: SimReport[];
  clientSec: number;
  maxBusy: number;
  uploadBytes: number;
  failures: number;
  /** Last answer − first request at the endpoint. */
  endpointSec: number;
}

/** What `--json-out` holds (read by bench/plot.ts; keep the two in step). */
export interface SeedTableJson {
  format: 'parascribe-seed-table/1';
  createdAt: string;
  /** false while runs are still going (the file is rewritten after each run). */
  complete: boolean;
  quick: boolean;
  command: string;
  machine: string;
  audio: { file: string; durationSec: number };
  /** The simulated endpoint's options (test/fakes/serverless-sim.ts). */
  sim: ServerlessOptions;
  /** The same as the model's parameters (bench/seed-model.ts). */
  params: SeedParams;
  concurrency: number;
  runsPerSize: number;
  sizes: Array<{
    segmentSec: number;
    study?: { segments: number; wallSec: number };
    /** The model's wall for this size, from run 1's segment lengths and the median client s (absent until a run). */
    model?: { p10: number; median: number; p90: number };
    runs: Array<Omit<RunResult, 'sims'> & { requests: SimReport[] }>;
  }>;
}

const text = await periodText(audio);
process.stderr.write(`period: ${fmt(text.period.length / 16_000, 1)} s, real pocketsphinx text ${text.note}\n`);
const periodic = new PeriodicTranscriber(text.period, text.transcript);
const server = await startFakeOpenAIServer({ seed: sim.seed ?? 1, serverless: sim, transcriber: periodic.transcribe });
const pool = server.serverless!;
const configPath = path.join(WORK_DIR, 'seed-config.json');
const CONCURRENCY = 64; // every segment in flight at once: the endpoint, not the client, decides who waits
writeFileSync(configPath, JSON.stringify({ backends: { [BACKEND]: { type: 'openai', baseURL: server.url, apiKey: 'bench', maxConcurrentRequests: CONCURRENCY, timeoutSec: 1800 } } }));
const referenceText = readText(reference);
const jsonOut = path.resolve(values['json-out'] ?? path.join(WORK_DIR, 'seed-table-results.json'));
const audioDurationSec = probeDurationSec(audio);
const results = new Map<number, RunResult[]>(sizes.map((s) => [s, []]));
const started = performance.now();

try {
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < sizes.length; i++) {
      const size = sizes[(i + run) % sizes.length]!; // rotate, so no size is always first
      pool.scaleToZero();
      pool.resetStats();
      server.resetStats();
      const output = path.join(WORK_DIR, `seed-${size}.txt`);
      const args = [cli, 'transcribe', audio, '--config', configPath, '--backend', BACKEND, '--segment-sec', String(size), '--concurrency', String(CONCURRENCY), '--no-cache', '--json', '-q', '-f', 'txt', '-o', output];
      const timed = await runTimed(process.execPath, args, { env });
      assertSucceeded(timed, `segment ${size} s, run ${run + 1}`);
      const summary = parseJsonSummary(timed.stdout)!;
      const log = server.stats().log;
      const sims = log.flatMap((e) => (e.outcome === 'ok' && e.sim ? [e.sim] : []));
      const endpointSec = Math.max(...sims.map((s) => s.finishedAtSec)) - Math.min(...sims.map((s) => s.arrivedAtSec));
      const result: RunResult = {
        run: run + 1,
        wallSec: timed.wallSec,
        jobWallSec: Number(summary.wallSec),
        segments: Number(summary.segments),
        coldStarts: Number(summary.coldStarts),
        computeSec: Number(summary.computeSec),
        k: Number(summary.parallelism),
        wer: wordErrorRate(referenceText, readText(output), { alignment: false }).wer,
        sims,
        clientSec: timed.wallSec - endpointSec,
        maxBusy: pool.stats().maxBusy,
        uploadBytes: log.reduce((sum, e) => sum + (e.file?.size ?? 0), 0),
        failures: log.filter((e) => e.outcome !== 'ok' && e.outcome !== 'models').length, // models: the backend's probe
        endpointSec,
      };
      results.get(size)!.push(result);
      writeJson(false);
      process.stderr.write(
        `  ${size} s, run ${run + 1}: ${fmt(result.wallSec, 1)} s wall (study ${STUDY.find((s) => s.segmentSec === size)?.wallSec ?? '—'}), ${result.segments} segments, ` +
          `${result.coldStarts} cold starts, max cold ${fmt(Math.max(...sims.map((s) => s.coldStartSec)), 1)} s, client ${fmt(result.clientSec, 1)} s, WER ${fmt(result.wer * 100, 1)} %\n`,
      );
    }
  }
} finally {
  await server.close();
}
const totalMin = (performance.now() - started) / 60_000;
writeJson(true);
process.stderr.write(`raw results: ${path.relative(process.cwd(), jsonOut)} (plot: node --import tsx bench/plot.ts --in ${path.relative(process.cwd(), jsonOut)})\n`);

const med = (xs: number[]) => median(xs);
const rows = sizes.map((size) => {
  const rs = results.get(size)!;
  const study = STUDY.find((s) => s.segmentSec === size);
  const wall = med(rs.map((r) => r.wallSec));
  const model = modelQuantiles([...rs[0]!.sims].sort((a, b) => a.arrivedAtSec - b.arrivedAtSec).map((s) => s.audioSec), params, med(rs.map((r) => r.clientSec)));
  return [
    size,
    study?.segments ?? '—',
    med(rs.map((r) => r.segments)),
    study?.wallSec ?? '—',
    fmt(wall, 1),
    values.quick || !study ? '—' : fmt(wall / study.wallSec, 2),
    rs.map((r) => fmt(r.wallSec, 0)).join(', '),
    `${fmt(model.median, 0)} (${fmt(model.p10, 0)}–${fmt(model.p90, 0)})`,
  ];
});
const detail = sizes.map((size) => {
  const rs = results.get(size)!;
  const sims = rs.flatMap((r) => r.sims);
  return [
    size,
    fmt(med(rs.map((r) => r.coldStarts)), 0),
    fmt(med(rs.map((r) => r.maxBusy)), 0),
    rs.map((r) => fmt(Math.max(...r.sims.map((s) => s.coldStartSec)), 1)).join(', '),
    fmt(med(rs.map((r) => Math.max(...r.sims.map((s) => s.queueWaitSec)))), 1),
    fmt(med(sims.map((s) => s.overheadSec)), 2),
    fmt(med(sims.map((s) => s.computeSec)), 2),
    fmt(Math.max(...sims.map((s) => s.lateSec)), 2),
    fmt(med(rs.map((r) => r.clientSec)), 1),
    fmt(med(rs.map((r) => r.k)), 2),
    fmt(med(rs.map((r) => r.wer * 100)), 1),
  ];
});
const all = [...results.values()].flat();
const audioSec = med(all.map((r) => r.sims.reduce((s, x) => s + x.audioSec, 0)));
const cold = sim.coldStart.kind === 'lognormal' ? `lognormal, median ${sim.coldStart.medianSec} s, σ ${sim.coldStart.sigma}` : JSON.stringify(sim.coldStart);
const body = [
  markdownTable(['segment s', 'study n', 'n', 'study wall s', 'wall s (median)', 'ratio', 'every run', 'model s: median (p10–p90)'], rows),
  '',
  markdownTable(['segment s', 'cold starts', 'containers busy (max)', 'longest cold start s, per run', 'queue wait s (max, median)', 'overhead s/request', 'compute s/request', 'late s (max)', 'client s', 'k_eff (parascribe)', 'WER %'], detail),
  '',
  `- ${values.quick ? 'QUICK (harness check, not comparable to the study): ' : ''}audio ${path.basename(audio)} (${fmt(audioSec / 60, 1)} min, ${path.basename(audio).startsWith('long-3600') ? '18' : '3'} × gpl-preamble); study: a 60-minute file on serverless GPU workers; ${runs} run(s) per size, sizes rotated, every run from zero containers (scaleToZero before each job); total ${fmt(totalMin, 1)} min`,
  `- real: the parascribe CLI end to end (\`transcribe --backend ${BACKEND} --segment-sec S --concurrency ${CONCURRENCY} --no-cache\`: probe, decode, pauses, plan, FLAC encode, HTTP upload to 127.0.0.1, stitch, write); wall = spawn to exit. Machine: a shared 2-core VM (other sessions' tests running), so the client part is noisy`,
  `- SIMULATED: the GPU endpoint (test/fakes/serverless-sim.ts): k = ${sim.maxContainers} containers at most, cold start ${cold}, per request ${fmt(sim.rttSec, 1)} s fixed + upload bytes / ${fmt((sim.uploadBytesPerSec * 8) / 1e6, 0)} Mbit/s, both holding the container, compute = RTF ${sim.rtf} × audio s, idle timeout ${sim.idleTimeoutSec} s, seed ${sim.seed}; parameters fitted in bench/seed-fit.md`,
  `- text: REAL but not re-transcribed: the ${fmt(text.period.length / 16_000, 1)} s period was transcribed once with pocketsphinx (${text.note}); each upload is located in it by exact sample match and answered with the words of its span (test/fakes/periodic-text.ts): ${periodic.counts.aligned} uploads aligned, ${periodic.counts.fallback} fell back to pocketsphinx. WER is against the reference transcript of the whole file`,
  `- model: the same rules in virtual time (bench/seed-model.ts), with the measured client s, 2000 draws; client s = process wall − (last answer − first request) at the endpoint; FLAC upload ${fmt(med(all.map((r) => r.uploadBytes / r.sims.reduce((s, x) => s + x.audioSec, 0))) / 1000, 1)} kB per audio s; requests not answered 200: ${all.reduce((s, r) => s + r.failures, 0)}`,
  `- command: \`${`node --import tsx bench/seed-table.ts ${process.argv.slice(2).join(' ')}`.trim()}\``,
].join('\n');
process.stdout.write(`${machineDescription()}\n\n${body}\n`);
if (values.record) recordResults(`seed study's table on a simulated serverless GPU endpoint (bench/seed-table.ts)${values.quick ? ', quick' : ''}`, body);

/** A SimReport with its fields in a fixed, readable order (the sim builds them in varying orders). */
function simRecord(r: SimReport): SimReport {
  const { container, cold, coldStartSec, queueWaitSec, overheadSec, computeSec, audioSec, lateSec, arrivedAtSec, finishedAtSec, ...rest } = r;
  return { container, cold, coldStartSec, queueWaitSec, overheadSec, computeSec, audioSec, lateSec, arrivedAtSec, finishedAtSec, ...rest };
}

/** Writes every run so far to `jsonOut` (atomically: a temp file, then rename). */
function writeJson(complete: boolean): void {
  const doc: SeedTableJson = {
    format: 'parascribe-seed-table/1',
    createdAt: new Date().toISOString(),
    complete,
    quick: values.quick,
    command: `node --import tsx bench/seed-table.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineDescription(),
    audio: { file: path.relative(REPO_ROOT, audio), durationSec: audioDurationSec },
    sim,
    params,
    concurrency: CONCURRENCY,
    runsPerSize: runs,
    sizes: sizes.map((size) => {
      const rs = results.get(size)!;
      const study = STUDY.find((s) => s.segmentSec === size);
      const model = rs.length > 0 ? modelQuantiles([...rs[0]!.sims].sort((a, b) => a.arrivedAtSec - b.arrivedAtSec).map((s) => s.audioSec), params, median(rs.map((r) => r.clientSec))) : undefined;
      return {
        segmentSec: size,
        ...(study ? { study: { segments: study.segments, wallSec: study.wallSec } } : {}),
        ...(model ? { model } : {}),
        runs: rs.map(({ sims, ...rest }) => ({ ...rest, requests: [...sims].sort((a, b) => a.arrivedAtSec - b.arrivedAtSec).map(simRecord) })),
      };
    }),
  };
  mkdirSync(path.dirname(jsonOut), { recursive: true });
  const temp = `${jsonOut}.tmp-${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(doc, null, 1)}\n`);
  renameSync(temp, jsonOut);
}
