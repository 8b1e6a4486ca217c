/**
 * Synthetic history from a known truth, in virtual time: what the fit must recover (fit.test.ts) and
 * what docs/planning.md describes. The client dispatches segments in order, at most `concurrency` in
 * flight; the backend is the scale-to-zero endpoint of test/fakes/serverless-sim.ts: an idle server
 * is reused, else below k a new one starts (a cold start), else the request waits FIFO.
 */
import type { JobStore } from '../../store/jobs.js';
import type { HistoryJob } from './history.js';
import { lognormalDraw, type Random } from './random.js';

export interface Truth {
  k: number;
  rtf: number;
  fixedSec: number;
  perAudioSec: number;
  /** A cold start per new server; `everyRequest`: every request starts a server (a process per segment). */
  coldStart: { medianSec: number; sigma: number; everyRequest?: boolean };
  /** Client time before the first dispatch and after the last result: fixed + per audio second. */
  beforeSec: { fixedSec: number; perAudioSec: number };
  afterSec: { fixedSec: number; perAudioSec: number };
}

/** pocketsphinx on this 2-core machine: a process (and a model load) per segment, no per-request cost. */
export const CPU_TRUTH: Truth = {
  k: 2,
  rtf: 0.19,
  fixedSec: 0.05,
  perAudioSec: 0,
  coldStart: { medianSec: 0.4, sigma: 0.1, everyRequest: true },
  beforeSec: { fixedSec: 0.8, perAudioSec: 0.002 },
  afterSec: { fixedSec: 0.3, perAudioSec: 0 },
};

export function simulateHistoryJob(truth: Truth, id: string, segmentsSec: readonly number[], concurrency: number, random: Random): HistoryJob {
  const durationSec = segmentsSec.reduce((s, d) => s + d, 0);
  const t0 = truth.beforeSec.fixedSec + truth.beforeSec.perAudioSec * durationSec;
  const clientFreeSec: number[] = [];
  const serverFreeSec: number[] = [];
  const segments = segmentsSec.map((audioSec, index) => {
    // The client's pool: the first `concurrency` go at once, the others when a result comes back.
    const arrivalSec = clientFreeSec.length < concurrency ? 0 : takeMin(clientFreeSec);
    const idle = serverFreeSec.findIndex((free) => free <= arrivalSec);
    let slot: number;
    let cold = true;
    if (idle >= 0 && !truth.coldStart.everyRequest) {
      slot = idle;
      cold = false;
    } else if (serverFreeSec.length < truth.k) {
      slot = serverFreeSec.push(arrivalSec) - 1;
    } else {
      // All k busy: wait for the first one back (a process per request starts afresh even then).
      slot = indexOfMin(serverFreeSec);
      cold = truth.coldStart.everyRequest === true;
    }
    const startSec = Math.max(arrivalSec, serverFreeSec[slot]!);
    const computeSec = truth.rtf * audioSec;
    const coldSec = cold ? lognormalDraw(truth.coldStart.medianSec, truth.coldStart.sigma, random) : 0;
    const completedSec = startSec + coldSec + truth.fixedSec + truth.perAudioSec * audioSec + computeSec;
    serverFreeSec[slot] = completedSec;
    clientFreeSec.push(completedSec);
    return { index, audioSec, startedAtSec: t0 + arrivalSec, completedAtSec: t0 + completedSec, computeSec, coldStart: cold };
  });
  const lastSec = Math.max(...segments.map((s) => s.completedAtSec));
  const wallSec = lastSec + truth.afterSec.fixedSec + truth.afterSec.perAudioSec * durationSec;
  return { id, durationSec, startedAtSec: 0, completedAtSec: wallSec, wallSec, segments };
}

/** Removes the smallest value and returns it. */
function takeMin(values: number[]): number {
  return values.splice(indexOfMin(values), 1)[0]!;
}

function indexOfMin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[best]!) best = i;
  return best;
}

/** Even-ish segment lengths for a recording: `n` pieces of duration / n. */
export const evenSegments = (durationSec: number, n: number): number[] => Array.from({ length: n }, () => durationSec / n);

/**
 * Writes a synthetic job into a store as the pipeline would have (job row, segment rows with their
 * times), starting at `atSec`, so that loadHistory reads it back: for tests of the store path and the CLI.
 */
export async function recordSimulatedJob(store: JobStore, backend: string, job: HistoryJob, atSec: number): Promise<void> {
  await store.createJob({ id: job.id, source: `/audio/${job.id}.wav`, segmentSec: job.segments[0]?.audioSec ?? 1, backend, format: 'txt', language: 'en', priority: 'normal', options: {} });
  let cursorSec = 0;
  const ordered = [...job.segments].sort((a, b) => a.index - b.index);
  await store.insertSegments(
    job.id,
    ordered.map((s) => {
      const startSec = cursorSec;
      cursorSec += s.audioSec;
      return { index: s.index, startSec, endSec: cursorSec, cutAfter: 'pause' as const };
    }),
  );
  for (const s of ordered) {
    await store.markSegmentStarted(job.id, s.index, backend);
    await store.completeSegment(job.id, s.index, { resultJson: '{}', computeSec: s.computeSec, coldStart: s.coldStart, warningsJson: '[]', backend, costUsd: 0 });
    await store.updateSegment(job.id, s.index, { started_at: atSec + s.startedAtSec - job.startedAtSec, completed_at: atSec + s.completedAtSec - job.startedAtSec });
  }
  await store.updateJob(job.id, { status: 'completed', started_at: atSec, completed_at: atSec + job.wallSec, duration_sec: job.durationSec, chunk_count: job.segments.length });
}
