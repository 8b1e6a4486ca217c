/**
 * The job history the latency model is fitted to: completed jobs of one primary backend, each with
 * its segments in dispatch order. Only clean runs count: a job with a reused, retried or fallback-served
 * segment measured something other than this backend's plain service, so it is left out (with why).
 */
import type { HistorySegmentRow, JobRow, JobStore } from '../../store/jobs.js';

export interface HistorySegment {
  index: number;
  audioSec: number;
  /** First dispatch to the backend (epoch seconds). */
  startedAtSec: number;
  /** Result stored (epoch seconds). */
  completedAtSec: number;
  /** What the backend reported as its compute (remote: the server's own time only). */
  computeSec: number;
  coldStart: boolean;
}

export interface HistoryJob {
  id: string;
  durationSec: number;
  startedAtSec: number;
  completedAtSec: number;
  wallSec: number;
  /** The backend's look at the recording (`prepare_compute_sec`), when the job recorded one. */
  prepareSec?: number;
  /** Ordered by dispatch (started_at, then index). */
  segments: HistorySegment[];
}

export interface History {
  backend: string;
  jobs: HistoryJob[];
  skipped: Array<{ jobId: string; reason: string }>;
}

/** One job row and its segment rows as a clean history entry, or the reason it is not one. */
export function toHistoryJob(job: JobRow, rows: readonly HistorySegmentRow[]): { job: HistoryJob } | { skip: string } {
  if (job.started_at === null || job.completed_at === null) return { skip: 'no start or end time' };
  if (!(job.duration_sec !== null && job.duration_sec > 0)) return { skip: 'no duration' };
  if (rows.length === 0) return { skip: 'no segments' };
  const unfinished = rows.find((r) => r.status !== 'completed');
  if (unfinished) return { skip: `segment ${unfinished.idx} is ${unfinished.status}` };
  const foreign = rows.find((r) => r.backend !== job.backend);
  if (foreign) return { skip: `segment ${foreign.idx} was served by ${foreign.backend ?? 'nobody'} (fallback)` };
  const retried = rows.find((r) => r.attempts > 1);
  if (retried) return { skip: `segment ${retried.idx} took ${retried.attempts} attempts` };
  const untimed = rows.find((r) => r.started_at === null || r.completed_at === null);
  if (untimed) return { skip: `segment ${untimed.idx} has no start or end time` };
  const segments = rows
    .map((r) => ({
      index: r.idx,
      audioSec: Math.max(0, r.end_sec - r.start_sec),
      startedAtSec: r.started_at!,
      completedAtSec: r.completed_at!,
      computeSec: Math.max(0, r.compute_sec ?? 0),
      coldStart: r.cold_start === 1,
    }))
    .sort((a, b) => a.startedAtSec - b.startedAtSec || a.index - b.index);
  return {
    job: {
      id: job.id,
      durationSec: job.duration_sec,
      startedAtSec: job.started_at,
      completedAtSec: job.completed_at,
      wallSec: job.completed_at - job.started_at,
      ...(job.prepare_compute_sec !== null && job.prepare_compute_sec > 0 ? { prepareSec: job.prepare_compute_sec } : {}),
      segments,
    },
  };
}

/** The newest `limit` clean jobs of `backend` (their rows are read once; works on SQLite and PostgreSQL). */
export async function loadHistory(store: JobStore, backend: string, limit = 200): Promise<History> {
  const history: History = { backend, jobs: [], skipped: [] };
  for (const { job, segments } of await store.listHistory(backend, limit)) {
    const entry = toHistoryJob(job, segments);
    if ('job' in entry) history.jobs.push(entry.job);
    else history.skipped.push({ jobId: job.id, reason: entry.skip });
  }
  return history;
}
