/**
 * A job's segments as `GET /v1/jobs/:id/segments` shows them: what the UI's timeline draws (each
 * segment from dispatch to result, its state, the attempts behind it) and the attempt log. Times are
 * ISO 8601; errors are worded for the client (no server paths); another job's id (a reused result's
 * source) is never shown, only that the result was reused.
 */
import type { AttemptRecord } from '../pipeline/serve-segment.js';
import type { JobRow, SegmentRow } from '../store/jobs.js';
import { clientMessage, uploadLabel } from './client-message.js';

const iso = (sec: number | null | undefined): string | null => (sec === null || sec === undefined ? null : new Date(sec * 1000).toISOString());
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function attempts(row: SegmentRow): AttemptRecord[] {
  try {
    return row.attempts_json ? (JSON.parse(row.attempts_json) as AttemptRecord[]) : [];
  } catch {
    return [];
  }
}

export function segmentTimingView(row: SegmentRow, job: Pick<JobRow, 'source' | 'source_name'>, dataDir: string) {
  const clean = (message: string | null | undefined) =>
    message ? clientMessage(message, [{ path: job.source, as: uploadLabel(job.source_name) }, { path: dataDir, as: '[server path]' }]) : null;
  const log = attempts(row);
  return {
    index: row.idx,
    start_sec: round(row.start_sec),
    end_sec: round(row.end_sec),
    status: row.status,
    backend: row.backend,
    attempts: row.attempts,
    /** The result came from an earlier job with the same audio and options (no compute). */
    reused: row.status === 'reused',
    cold_start: row.cold_start === 1,
    /** A hedged duplicate was sent for it (pipeline/hedge.ts). */
    hedged: log.some((a) => a.hedge === true),
    queued_at: iso(row.queued_at),
    /** First dispatch to a backend or queue; retries stay inside it. */
    dispatched_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    compute_sec: row.compute_sec === null ? null : round(row.compute_sec),
    cost_usd: row.cost_usd === null ? null : round(row.cost_usd, 6),
    error: row.error_code ? { code: row.error_code, message: clean(row.error) ?? '' } : null,
    attempt_log: log.map((a) => ({
      attempt: a.attempt,
      backend: a.backend,
      hedge: a.hedge === true,
      outcome: a.outcome,
      started_at: iso(a.startedAtSec),
      ended_at: iso(a.endedAtSec),
      error_code: a.errorCode ?? null,
      error: clean(a.error),
      backoff_ms: a.delayBeforeMs ?? 0,
      breaker_wait_ms: a.breakerWaitMs ?? 0,
    })),
  };
}
