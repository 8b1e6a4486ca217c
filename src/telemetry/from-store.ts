/** Builds a job's telemetry from its stored segment rows (the single source of truth). */
import type { JobStore, SegmentRow } from '../store/jobs.js';
import { summarise, type JobTelemetry, type JobTimings, type SegmentTelemetry } from './summary.js';

export function segmentTelemetry(row: SegmentRow): SegmentTelemetry {
  const lifeSec = row.started_at !== null && row.completed_at !== null ? row.completed_at - row.started_at : 0;
  return {
    index: row.idx,
    startSec: row.start_sec,
    endSec: row.end_sec,
    status: row.status,
    attempts: row.attempts,
    backend: row.backend,
    computeSec: row.compute_sec ?? 0,
    lifeSec,
    coldStart: row.cold_start === 1,
    costUsd: row.cost_usd ?? 0,
    error: row.error,
  };
}

/** `timings`: what the job measured in-process (decode, first dispatch), passed through. */
export async function jobTelemetry(store: JobStore, jobId: string, durationSec: number, wallSec: number, cacheHit: boolean, timings?: JobTimings): Promise<JobTelemetry> {
  const rows = await store.listSegments(jobId);
  const job = await store.getJob(jobId);
  return summarise(durationSec, wallSec, rows.map(segmentTelemetry), cacheHit, job?.prepare_compute_sec ?? 0, timings);
}
