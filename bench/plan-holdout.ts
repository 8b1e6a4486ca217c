/**
 * Acceptance 4 (issue 6): does the latency model fitted from history predict a recording it has never
 * seen? Builds real history with the embedded pocketsphinx backend (the real CLI, several training
 * files at several segment sizes, in a private data dir), asks `parascribe plan --explain --json` for a
 * HELD-OUT file, transcribes that file with the chosen plan (and with the fixed 360 s, for comparison),
 * and prints predicted vs measured job wall (goal: within 20 %) and time to the first segment result.
 *
 * The pocketsphinx speed is measured by each training run; later training runs (from the end of the
 * list, keeping at least 6) and the fixed-size comparison are dropped when the estimate exceeds
 * --budget-min. A chosen boot wave (several targets) runs as `--segment-sec auto`, which fits the same
 * history and picks the same plan.
 *
 * Usage: node --import tsx bench/plan-holdout.ts [--budget-min 12] [--no-fixed] [--record]
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/registry.js';
import {
  WORK_DIR, assertSucceeded, die, ensureLongAudio, fmt, markdownTable, parseJsonSummary, positiveNumber, probeDurationSec,
  readText, recordResults, requireCli, requireTools, runTimed,
} from './lib.js';

const { values: flags } = parseArgs({
  options: {
    'budget-min': { type: 'string' },
    'no-fixed': { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(readText(fileURLToPath(import.meta.url)).split('*/')[0]);
  process.exit(0);
}
const budgetSec = positiveNumber(flags['budget-min'], '--budget-min', 12) * 60;
const GOAL = 0.2;

const cli = requireCli();
requireTools('pocketsphinx_continuous', 'ffmpeg', 'ffprobe');
const root = path.join(WORK_DIR, 'plan-holdout');
const dataDir = path.join(root, 'data');
rmSync(root, { recursive: true, force: true });
mkdirSync(path.join(root, 'out'), { recursive: true });
mkdirSync(path.join(root, 'config'), { recursive: true });
// A private store and cache; no user config file.
const env = { ...process.env, PARASCRIBE_DATA_DIR: dataDir, XDG_CONFIG_HOME: path.join(root, 'config'), PARASCRIBE_CONFIG: '' };
const log = (line: string) => process.stderr.write(`${line}\n`);

// Training: 1-4 copies of the GPL preamble (207-828 s), two or three sizes each (1 to 5 segments).
// Held out: 5 copies (1035 s), a length the history never saw.
const files = [1, 2, 3, 4, 5].map((copies) => ({ copies, ...ensureLongAudio(`plan-${copies}x.wav`, copies * 206 - 100) }));
const audioOf = (copies: number) => files.find((f) => f.copies === copies)!.audio;
const training: Array<{ copies: number; segmentSec: number }> = [
  { copies: 1, segmentSec: 360 },
  { copies: 2, segmentSec: 240 },
  { copies: 1, segmentSec: 60 },
  { copies: 3, segmentSec: 320 },
  { copies: 2, segmentSec: 100 },
  { copies: 4, segmentSec: 420 },
  { copies: 1, segmentSec: 120 },
  { copies: 3, segmentSec: 180 },
  { copies: 4, segmentSec: 200 },
  { copies: 2, segmentSec: 150 },
];
const holdout = audioOf(5);
const holdoutSec = probeDurationSec(holdout);

interface Transcribed {
  label: string;
  audioSec: number;
  segmentSec: number | 'auto';
  concurrency: number | undefined;
  jobId: string;
  segments: number;
  jobWallSec: number;
  processWallSec: number;
  computeSec: number;
}

async function transcribe(label: string, audio: string, segmentSec: number | 'auto', concurrency?: number): Promise<Transcribed> {
  const args = [cli, 'transcribe', audio, '--segment-sec', String(segmentSec), '--no-cache', '--json', '-q', '-o', path.join(root, 'out', `${label}.txt`)];
  if (concurrency !== undefined) args.push('--concurrency', String(concurrency));
  const run = await runTimed(process.execPath, args, { env });
  assertSucceeded(run, `transcribe ${label}`);
  const summary = parseJsonSummary(run.stdout) ?? die(`no JSON summary from transcribe ${label}`);
  return {
    label,
    audioSec: Number(summary.durationSec),
    segmentSec,
    concurrency,
    jobId: String(summary.jobId),
    segments: Number(summary.segments),
    jobWallSec: Number(summary.wallSec),
    processWallSec: run.wallSec,
    computeSec: Number(summary.computeSec),
  };
}

/** Job start → segment 0's stored result: when the first words could be shown. */
async function firstResultSec(jobId: string): Promise<number> {
  const store = await openStore({ dataDir });
  try {
    const job = (await store.getJob(jobId))!;
    const first = await store.getSegment(jobId, 0);
    return first && first.completed_at !== null && job.started_at !== null ? first.completed_at - job.started_at : Number.NaN;
  } finally {
    await store.close();
  }
}

const started = performance.now();
const trained: Transcribed[] = [];
let secPerAudioSec = Number.NaN;
for (const [i, run] of training.entries()) {
  const elapsedSec = (performance.now() - started) / 1000;
  // Estimate: this run's wall ≈ its audio / 2 cores × measured cost, plus the hold-out runs (2 × 1035 s / 2).
  const remainingAudioSec = training.slice(i).reduce((s, r) => s + r.copies * 207, 0) / 2 + (flags['no-fixed'] ? 1 : 2) * holdoutSec / 2;
  if (i > 0 && elapsedSec + remainingAudioSec * secPerAudioSec > budgetSec && trained.length >= 6) {
    log(`budget: dropping the last ${training.length - i} training run(s) (estimate ${fmt(elapsedSec + remainingAudioSec * secPerAudioSec, 0)} s > ${budgetSec} s)`);
    break;
  }
  const label = `train-${run.copies}x-${run.segmentSec}`;
  const result = await transcribe(label, audioOf(run.copies), run.segmentSec);
  trained.push(result);
  // Wall per audio second on each core, as of the latest run: the machine's load changes (shared box).
  secPerAudioSec = result.jobWallSec / (result.audioSec / Math.min(2, result.segments));
  log(`${label}: ${result.segments} segment(s), job wall ${fmt(result.jobWallSec, 1)} s (${fmt(secPerAudioSec, 3)} s per audio s per core)`);
}

const planRun = await runTimed(process.execPath, [cli, 'plan', holdout, '--explain', '--json'], { env });
assertSucceeded(planRun, 'plan --explain --json');
interface PlanCandidate {
  label: string;
  kind: string;
  chosen: boolean;
  withinCap: boolean;
  targetsSec: number[];
  segments: number;
  concurrency: number;
  wallSec: { median: number; p10: number; p90: number };
  firstResultSec: number;
}
const plan = JSON.parse(planRun.stdout) as {
  reason: string;
  model: { k: number; kBound: string; rtf: number; overhead: { fixedSec: number; perAudioSec: number }; coldStart: { kind: string }; client: { fixedSec: number; perAudioSec: number }; wallSigma: number };
  fit: { jobs: number; segments: number; r2: number; rmseSec: number };
  chosen: PlanCandidate;
  candidates: PlanCandidate[];
};
// A boot wave (several targets) runs as `--segment-sec auto`: the job fits the same history and, with the
// same seed, picks the same plan (checked below against the job's own planChoice).
const runnable = plan.chosen;
const fixed360 = plan.candidates.find((c) => c.targetsSec.length === 1 && Math.abs(c.targetsSec[0]! - 360) < 1e-6);

const rows: Array<Array<string | number>> = [];
const checks: boolean[] = [];
const holdoutEstimateSec = (holdoutSec / 2) * secPerAudioSec;
const overBudget = (performance.now() - started) / 1000 + 2 * holdoutEstimateSec > budgetSec;
if (overBudget && !flags['no-fixed']) log(`budget: skipping the fixed 360 s comparison run (estimate ${fmt(holdoutEstimateSec, 0)} s each)`);
for (const candidate of [runnable, ...(flags['no-fixed'] || overBudget || !fixed360 || fixed360 === runnable ? [] : [fixed360])]) {
  const size = candidate.targetsSec.length === 1 ? candidate.targetsSec[0]! : 'auto';
  const result = await transcribe(`holdout-${candidate.label.replace(/[^a-z0-9]+/gi, '-')}`, holdout, size, candidate.concurrency);
  const firstSec = await firstResultSec(result.jobId);
  const ratio = result.jobWallSec / candidate.wallSec.median;
  if (candidate === runnable) checks.push(Math.abs(ratio - 1) <= GOAL);
  const note = candidate === plan.chosen ? 'chosen' : candidate === runnable ? `ran instead of the chosen ${plan.chosen.label}` : 'fixed default, for comparison';
  rows.push([
    candidate.label, note, `${candidate.segments} / ${result.segments}`, candidate.concurrency,
    `${fmt(candidate.wallSec.median, 1)} (${fmt(candidate.wallSec.p10, 1)}–${fmt(candidate.wallSec.p90, 1)})`,
    fmt(result.jobWallSec, 1), fmt(result.processWallSec, 1), `${ratio >= 1 ? '+' : ''}${fmt((ratio - 1) * 100, 1)} %`,
    fmt(candidate.firstResultSec, 1), fmt(firstSec, 1),
  ]);
  log(`holdout ${candidate.label}: predicted ${fmt(candidate.wallSec.median, 1)} s, measured ${fmt(result.jobWallSec, 1)} s`);
}
const totalMin = (performance.now() - started) / 60_000;

const trainingTable = markdownTable(
  ['training run', 'audio s', '--segment-sec', 'segments', 'job wall s', 'compute s'],
  trained.map((t) => [t.label, fmt(t.audioSec, 1), t.segmentSec, t.segments, fmt(t.jobWallSec, 1), fmt(t.computeSec, 1)]),
);
const m = plan.model;
const holdoutTable = markdownTable(
  ['plan (hold-out)', 'why', 'segments predicted / real', 'concurrency', 'predicted wall s, median (p10–p90)', 'measured job wall s', 'process wall s', 'measured vs predicted', 'predicted first result s', 'measured first result s'],
  rows,
);
const body = [
  `### Hold-out: ${path.basename(holdout)} (${fmt(holdoutSec, 1)} s), never in the training set`,
  '',
  holdoutTable,
  '',
  `### Training history (${trained.length} jobs)`,
  '',
  trainingTable,
  '',
  `- model (${plan.fit.jobs} jobs, ${plan.fit.segments} segments, R² ${fmt(plan.fit.r2, 3)}, rms ${fmt(plan.fit.rmseSec, 2)} s): k ${m.k} (${m.kBound}), RTF ${fmt(m.rtf, 4)}, ` +
    `overhead ${fmt(m.overhead.fixedSec, 2)} s + ${fmt(m.overhead.perAudioSec, 4)} s/audio s, cold start ${m.coldStart.kind}, client ${fmt(m.client.fixedSec, 2)} s + ${fmt(m.client.perAudioSec, 4)} s/audio s, unexplained spread σ ${fmt(m.wallSigma, 3)}`,
  `- plan's choice: ${plan.reason}`,
  `- goal: the plan that ran lands within ${GOAL * 100} % of its predicted median: ${checks.every(Boolean) ? 'MET' : 'NOT met'}`,
  `- real: the parascribe CLI end to end with the embedded pocketsphinx backend (default concurrency = cores), --no-cache, private data dir bench/work/plan-holdout/data; job wall = the job row's started → completed (what the model predicts); process wall = spawn to exit; first result = job start → segment 0 stored`,
  `- training files: 1-4 × gpl-preamble (207-828 s) at the sizes above; hold-out: 5 ×; total ${fmt(totalMin, 1)} min`,
  `- command: \`node --import tsx bench/plan-holdout.ts${flags.record ? ' --record' : ''}\``,
].join('\n');
console.log(body);
if (flags.record) recordResults('latency model hold-out: predicted vs measured wall (bench/plan-holdout.ts)', body);
process.exit(checks.every(Boolean) ? 0 : 1);
