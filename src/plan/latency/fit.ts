/**
 * Fits a backend's latency model (model.ts) to its job history (history.ts).
 *
 * RTF comes straight from the segments (Σ compute / Σ audio). The rest depends on k, the number of
 * segments the backend serves at once, which no single column records. So for each candidate k: replay
 * every job's segments through a FIFO queue in front of min(k, the job's own dispatch concurrency)
 * servers to recover when each segment really started being served; fit the per-request overhead on
 * the warm segments (service − compute = fixed + perAudio × audio) and take each cold segment's excess
 * over that as its cold start; then list-schedule each job's segments with these service times and fit
 * the client time (wall − predicted span = a + b × duration) by least squares. The k with the lowest
 * SSE over the job walls wins; ties go to the smaller k.
 */
import type { History, HistoryJob } from './history.js';
import type { ColdStartModel, LatencyModel } from './model.js';
import { listSchedule, maxOverlap, replayServiceStarts } from './schedule.js';
import { lognormalFit, mean, nonNegativeLine, quantileSorted, rSquared, sum } from './stats.js';

export type InsufficientReason = 'no-history' | 'too-few-jobs' | 'no-segment-count-variety' | 'degenerate-fit';

export interface FitOptions {
  /** Fewer clean jobs than this: no model. */
  minJobs?: number;
}

export interface JobResidual {
  jobId: string;
  segments: number;
  durationSec: number;
  measuredSec: number;
  predictedSec: number;
  residualSec: number;
}

export interface FitQuality {
  jobs: number;
  segments: number;
  /** Jobs in the history left out (reused, retried or fallback segments), with why. */
  skipped: History['skipped'];
  r2: number;
  rmseSec: number;
  residuals: JobResidual[];
  /** Sum of squared wall residuals per candidate k (s²). */
  sseByK: Array<{ k: number; sseSec2: number }>;
  notes: string[];
}

export type FitResult =
  | { ok: true; model: LatencyModel; quality: FitQuality }
  | { ok: false; reason: InsufficientReason; message: string; jobs: number; skipped: History['skipped'] };

export const DEFAULT_MIN_JOBS = 4;

interface PreparedJob {
  job: HistoryJob;
  /** Seconds since the first dispatch, in dispatch order. */
  arrivalsSec: number[];
  completionsSec: number[];
  /** Most segments the client had in flight at once. */
  concurrency: number;
}

interface KFit {
  k: number;
  sseSec2: number;
  predictedSec: number[];
  overhead: LatencyModel['overhead'];
  coldStart: ColdStartModel;
  client: { fixedSec: number; perAudioSec: number };
}

export function fitLatencyModel(history: History, options: FitOptions = {}): FitResult {
  const minJobs = options.minJobs ?? DEFAULT_MIN_JOBS;
  const { jobs, skipped } = history;
  const fail = (reason: InsufficientReason, message: string): FitResult => ({ ok: false, reason, message, jobs: jobs.length, skipped });
  if (jobs.length === 0) return fail('no-history', `no completed jobs of ${history.backend} in the history${skipped.length ? ` (${skipped.length} left out)` : ''}`);
  if (jobs.length < minJobs) return fail('too-few-jobs', `${jobs.length} usable completed job(s) of ${history.backend}, ${minJobs} needed`);
  const counts = new Set(jobs.map((j) => j.segments.length));
  if (counts.size < 2) {
    return fail('no-segment-count-variety', `all ${jobs.length} jobs of ${history.backend} had ${[...counts][0]} segment(s): per-segment and fixed costs cannot be told apart`);
  }

  const prepared = jobs.map(prepare);
  const segments = jobs.flatMap((j) => j.segments);
  const audioSec = sum(segments.map((s) => s.audioSec));
  const rtf = audioSec > 0 ? sum(segments.map((s) => s.computeSec)) / audioSec : Number.NaN;
  const maxConcurrency = Math.max(...prepared.map((p) => p.concurrency));
  const fits: KFit[] = [];
  for (let k = 1; k <= maxConcurrency; k++) fits.push(fitForK(prepared, k, rtf));
  const best = fits.reduce((a, b) => (b.sseSec2 < a.sseSec2 * (1 - 1e-9) - 1e-12 ? b : a));

  const before = nonNegativeLine(
    jobs.map((j) => j.durationSec),
    prepared.map((p) => p.job.segments[0]!.startedAtSec - p.job.startedAtSec),
  );
  const model: LatencyModel = {
    backend: history.backend,
    k: best.k,
    kBound: best.k >= maxConcurrency ? 'at-least' : 'exact',
    rtf,
    overhead: best.overhead,
    coldStart: best.coldStart,
    client: { ...best.client, beforeFixedSec: before.interceptSec, beforePerAudioSec: before.slope },
    wallSigma: residualSigma(jobs.map((j) => j.wallSec), best.predictedSec),
  };
  const numbers = [rtf, model.overhead.fixedSec, model.overhead.perAudioSec, model.client.fixedSec, model.client.perAudioSec, best.sseSec2];
  if (!numbers.every(Number.isFinite)) return fail('degenerate-fit', `the fit for ${history.backend} gave non-finite parameters (no audio in the segments?)`);

  const measured = jobs.map((j) => j.wallSec);
  const residuals = jobs.map((j, i) => ({
    jobId: j.id,
    segments: j.segments.length,
    durationSec: j.durationSec,
    measuredSec: j.wallSec,
    predictedSec: best.predictedSec[i]!,
    residualSec: j.wallSec - best.predictedSec[i]!,
  }));
  const notes: string[] = [];
  if (new Set(jobs.map((j) => j.durationSec)).size < 2) notes.push('one recording length only: client time per audio second cannot be fitted and is taken as 0');
  if (model.kBound === 'at-least') notes.push(`the history never had more than ${maxConcurrency} segment(s) in flight: k may be larger`);
  if (model.coldStart.kind === 'every-request') notes.push('every segment paid a cold start: it is part of the per-request overhead');
  return {
    ok: true,
    model,
    quality: {
      jobs: jobs.length,
      segments: segments.length,
      skipped,
      r2: rSquared(measured, best.predictedSec),
      rmseSec: Math.sqrt(best.sseSec2 / jobs.length),
      residuals,
      sseByK: fits.map((f) => ({ k: f.k, sseSec2: f.sseSec2 })),
      notes,
    },
  };
}

function prepare(job: HistoryJob): PreparedJob {
  const t0 = job.segments[0]!.startedAtSec;
  return {
    job,
    arrivalsSec: job.segments.map((s) => s.startedAtSec - t0),
    completionsSec: job.segments.map((s) => s.completedAtSec - t0),
    concurrency: Math.max(1, maxOverlap(job.segments.map((s) => ({ startSec: s.startedAtSec, endSec: s.completedAtSec })))),
  };
}

function fitForK(jobs: readonly PreparedJob[], k: number, rtf: number): KFit {
  // Replay: each segment's service time and whether it was in its job's first wave.
  const replayed = jobs.map((p) => {
    const slots = Math.min(k, p.concurrency);
    const starts = replayServiceStarts(p.arrivalsSec, p.completionsSec, slots);
    return p.job.segments.map((s, i) => ({ ...s, serviceSec: Math.max(0, p.completionsSec[i]! - starts[i]!), firstWave: i < slots }));
  });
  const all = replayed.flat();
  const cold = all.filter((s) => s.coldStart);
  const warm = all.filter((s) => !s.coldStart);
  const everyRequest = cold.length > 0 && (warm.length < 2 || cold.length >= 0.9 * all.length);
  // With (almost) no warm segment, the cold start cannot be separated from the overhead: fit it in.
  const basis = cold.length === 0 || everyRequest ? all : warm;
  const line = nonNegativeLine(
    basis.map((s) => s.audioSec),
    basis.map((s) => s.serviceSec - s.computeSec),
  );
  const overhead = { fixedSec: line.interceptSec, perAudioSec: line.slope };
  const warmSec = (audioSec: number, computeSec: number) => overhead.fixedSec + overhead.perAudioSec * audioSec + computeSec;
  const separateCold = cold.length > 0 && !everyRequest;
  const coldStart = coldStartModel(replayed, separateCold, (s) => Math.max(0, s.serviceSec - warmSec(s.audioSec, s.computeSec)), everyRequest ? all.length : 0);

  // Predicted spans: the model's service times, with the cold starts that really happened.
  const spans = replayed.map((segs, j) => {
    const services = segs.map((s) => warmSec(s.audioSec, rtf * s.audioSec) + (separateCold && s.coldStart ? Math.max(0, s.serviceSec - warmSec(s.audioSec, s.computeSec)) : 0));
    return Math.max(...listSchedule(services, Math.min(k, jobs[j]!.concurrency)));
  });
  const durations = jobs.map((p) => p.job.durationSec);
  const client = nonNegativeLine(
    durations,
    jobs.map((p, j) => p.job.wallSec - spans[j]!),
  );
  const predictedSec = spans.map((span, j) => span + client.interceptSec + client.slope * durations[j]!);
  const sseSec2 = sum(jobs.map((p, j) => (p.job.wallSec - predictedSec[j]!) ** 2));
  return { k, sseSec2, predictedSec, overhead, coldStart, client: { fixedSec: client.interceptSec, perAudioSec: client.slope } };
}

type ReplayedSegment = { coldStart: boolean; firstWave: boolean; serviceSec: number; audioSec: number; computeSec: number };

function coldStartModel(replayed: ReadonlyArray<readonly ReplayedSegment[]>, separate: boolean, excessSec: (s: ReplayedSegment) => number, everyRequest: number): ColdStartModel {
  if (everyRequest > 0) return { kind: 'every-request', segments: everyRequest };
  if (!separate) return { kind: 'none' };
  const all = replayed.flat();
  const samplesSec = all.filter((s) => s.coldStart).map(excessSec).sort((a, b) => a - b);
  const fit = lognormalFit(samplesSec) ?? { medianSec: 0, sigma: 0 };
  const share = (segs: ReplayedSegment[]) => (segs.length === 0 ? 0 : segs.filter((s) => s.coldStart).length / segs.length);
  return {
    kind: 'lognormal',
    medianSec: fit.medianSec,
    sigma: fit.sigma,
    samplesSec,
    p90Sec: quantileSorted(samplesSec, 0.9),
    firstWaveProbability: share(all.filter((s) => s.firstWave)),
    laterProbability: share(all.filter((s) => !s.firstWave)),
  };
}

/** σ of ln(measured / predicted) over jobs with both positive (sample deviation); 0 below 3 jobs. */
function residualSigma(measuredSec: readonly number[], predictedSec: readonly number[]): number {
  const logs = measuredSec.flatMap((m, i) => (m > 0 && predictedSec[i]! > 0 ? [Math.log(m / predictedSec[i]!)] : []));
  if (logs.length < 3) return 0;
  const mu = mean(logs);
  return Math.sqrt(sum(logs.map((l) => (l - mu) ** 2)) / (logs.length - 1));
}
