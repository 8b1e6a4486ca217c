/**
 * The pictures of issue 6 from ONE run of bench/seed-latency.ts (its --json-out, default
 * bench/work/seed-latency-results.json), drawn by bench/plot.ts:
 *
 * - `wall-vs-segment.svg`: the study's points, the reproduction (the table runs and the alternating
 *   fixed-360 s runs of that same run), the model's curve, and parascribe's own choice (and the warm pool)
 *   as horizontal lines at their median wall (they pick their own segment sizes);
 * - `timeline-choice.svg` and `timeline-fixed-360.svg`: the requests per container of the median
 *   run of each, with hedges and cancelled requests marked (matched to segments by their audio length).
 *
 *   node --import tsx bench/plot-latency.ts [--in bench/work/seed-latency-results.json] [--out bench/plots]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SimReport } from '../test/fakes/serverless-sim.js';
import type { LatencyRun } from './lib-seed.js';
import { REPO_ROOT, WORK_DIR, median, probeDurationSec } from './lib.js';
import { timelineSvg, wallVsSegmentSvg, type ExtraSeries, type TimelineRequest } from './plot.js';
import type { SeedParams } from './seed-model.js';
import type { SeedTableJson } from './seed-table.js';


const { values } = parseArgs({
  options: {
    in: { type: 'string', default: path.join(WORK_DIR, 'seed-latency-results.json') },
    out: { type: 'string', default: path.join(REPO_ROOT, 'bench', 'plots') },
  },
});
const doc = JSON.parse(readFileSync(values.in, 'utf8')) as { sim: SeedTableJson['sim']; runs: LatencyRun[]; audio?: { file: string; durationSec: number } };
// Older result files lack `audio`: the benchmark's file is the 62-minute one.
const durationSec = doc.audio?.durationSec ?? probeDurationSec(path.join(WORK_DIR, 'long-3600.wav'));
const sim = doc.sim;
const params: SeedParams = { k: sim.maxContainers, coldStart: sim.coldStart, rttSec: sim.rttSec, uploadBytesPerSec: sim.uploadBytesPerSec, rtf: sim.rtf };
const requestsOf = (run: LatencyRun): SimReport[] => [...run.endpoint.answered, ...run.endpoint.cancelled];

// The reproduction: the fixed-size runs of this one benchmark run, per size.
const fixedRuns = doc.runs.filter((r) => r.mode === 'table' || r.mode === 'fixed');
const sizes = [...new Set(fixedRuns.map((r) => Number(r.segmentSec)))].sort((a, b) => a - b);
const table: SeedTableJson = {
  format: 'parascribe-seed-table/1',
  createdAt: new Date().toISOString(),
  complete: true,
  quick: durationSec < 3000,
  command: 'bench/seed-latency.ts (table and fixed runs)',
  machine: '',
  audio: { file: doc.audio?.file ?? 'long-3600.wav', durationSec },
  sim,
  params,
  concurrency: 64,
  runsPerSize: Math.max(...sizes.map((s) => fixedRuns.filter((r) => Number(r.segmentSec) === s).length)),
  sizes: sizes.map((segmentSec) => ({
    segmentSec,
    runs: fixedRuns
      .filter((r) => Number(r.segmentSec) === segmentSec)
      .map((r, i) => ({
        run: i + 1,
        wallSec: r.wallSec,
        jobWallSec: r.wallSec,
        segments: r.segments,
        coldStarts: r.endpoint.coldStarts,
        computeSec: r.endpoint.computeSec,
        k: 0,
        wer: 0,
        clientSec: r.wallSec - r.endpoint.spanSec,
        maxBusy: 0,
        uploadBytes: 0,
        failures: 0,
        endpointSec: r.endpoint.spanSec,
        requests: requestsOf(r),
      })),
  })),
};
const extras: ExtraSeries[] = [];
for (const [mode, label] of [['choice', 'parascribe choice (auto + streaming + hedging + first words)'], ['warm', 'choice + warm pool']] as const) {
  const walls = doc.runs.filter((r) => r.mode === mode).map((r) => r.wallSec);
  if (walls.length) extras.push({ label, points: [{ label, wallSec: walls }] });
}

/** Requests matched to segments by audio length; a second request for a segment is its hedge. */
function timelineRequests(run: LatencyRun): TimelineRequest[] {
  const seen = new Map<number, number>();
  return requestsOf(run)
    .sort((a, b) => a.arrivedAtSec - b.arrivedAtSec)
    .map((r) => {
      const index = run.lengthsSec.findIndex((l, i) => run.backends[i] !== 'pocketsphinx' && Math.abs(l - r.audioSec) < 0.05);
      const copies = seen.get(index) ?? 0;
      seen.set(index, copies + 1);
      return { ...r, ...(index >= 0 ? { segmentIndex: index } : {}), ...(copies > 0 ? { hedge: true } : {}), ...(r.cancelled ? { cancelled: true } : {}) };
    });
}

function medianRun(mode: string): LatencyRun | undefined {
  const runs = doc.runs.filter((r) => r.mode === mode).sort((a, b) => a.wallSec - b.wallSec);
  return runs[Math.floor((runs.length - 1) / 2)];
}

mkdirSync(values.out, { recursive: true });
const write = (name: string, svg: string) => {
  writeFileSync(path.join(values.out, name), svg);
  console.log(`wrote ${path.join(values.out, name)}`);
};
write('wall-vs-segment.svg', wallVsSegmentSvg(table, extras, { minSec: 120, maxSec: 1800, stepSec: 5, split: 'planner', draws: 2000 }));
for (const [mode, name, what] of [['choice', 'timeline-choice.svg', "parascribe's choice"], ['fixed', 'timeline-fixed-360.svg', 'the fixed 360 s reproduction']] as const) {
  const run = medianRun(mode);
  if (!run) continue;
  const local = run.backends[0] === 'pocketsphinx' ? `; segment 0 (${run.lengthsSec[0]!.toFixed(0)} s) on the local pocketsphinx, first words at ${run.firstWordsSec.toFixed(1)} s` : '';
  write(
    name,
    timelineSvg({
      title: `One job's requests per container: ${what} (the median of its runs)`,
      subtitle: `${run.segments} segments [${run.lengthsSec.map((l) => l.toFixed(0)).join(' ')}] s, ${run.hedges} hedge(s)${local}; simulated endpoint k = ${sim.maxContainers}, cold start lognormal, ${sim.rttSec} s per request; wall ${run.wallSec.toFixed(1)} s (median ${median(doc.runs.filter((r) => r.mode === mode).map((r) => r.wallSec)).toFixed(1)} s)`,
      requests: timelineRequests(run),
      processWallSec: run.wallSec,
    }),
  );
}
