/**
 * What part of a recording an answer is about. A finished job: all of it. A running one: the
 * contiguous prefix of finished segments (segment i counts only once 0..i-1 are done), so the answer
 * never rests on a transcript with holes, and it says so first: "covers 0:00–23:10 of 60:00".
 */

export interface Coverage {
  /** Seconds of the recording the transcript covers, from its start. */
  toSec: number;
  /** The recording's length, when known (probed). */
  totalSec: number | null;
  /** The job has completed: the whole transcript. */
  complete: boolean;
  jobStatus: string;
  segmentsDone: number;
  segmentsTotal: number | null;
}

/** m:ss counted in whole minutes (60:00 for an hour), as one reads a player's position. */
export function formatClock(sec: number): string {
  const whole = Math.max(0, Math.round(sec));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** "covers 0:00–23:10 of 60:00 (still transcribing)"; null when the transcript is complete. */
export function coverageNote(coverage: Coverage): string | null {
  if (coverage.complete) return null;
  const of = coverage.totalSec !== null ? ` of ${formatClock(coverage.totalSec)}` : '';
  const why = coverage.jobStatus === 'running' || coverage.jobStatus === 'queued' ? 'still transcribing' : `the job is ${coverage.jobStatus}`;
  return `covers 0:00–${formatClock(coverage.toSec)}${of} (${why})`;
}
