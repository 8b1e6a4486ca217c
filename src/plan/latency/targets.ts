/**
 * Segment lengths from per-segment targets, as the planner (src/plan/planner.ts, `targetsSec`) will
 * cut them before it sees the pauses: segment i aims at targetsSec[i] (the last entry repeats), and a
 * remainder of up to target + minimum joins the last segment. Real cuts then move to a pause within
 * the tolerance (≤ 15 %, ≤ 30 s), which a prediction from these lengths ignores. Plus the blast-radius
 * cap: how long one segment may be, so that one failed segment costs a bounded share of the job.
 */

export interface SegmentCap {
  /** No segment longer than this. */
  maxSegmentSec: number;
  /** No segment longer than this share of the recording … */
  maxSegmentShare: number;
  /** … unless it is at most this long (a failed minute is cheap; a 40 s note needs no split). */
  minCapSec: number;
}

export const DEFAULT_SEGMENT_CAP: SegmentCap = { maxSegmentSec: 1800, maxSegmentShare: 0.5, minCapSec: 60 };

/** The longest segment the cap allows for a recording of this length. */
export function capSec(durationSec: number, cap: SegmentCap): number {
  return Math.min(cap.maxSegmentSec, Math.max(cap.maxSegmentShare * durationSec, cap.minCapSec));
}

/** The planner's default minimum for a target (a quarter of it, at most 30 s), or the configured one. */
const minimumFor = (targetSec: number, minSegmentSec: number | undefined): number => Math.min(minSegmentSec ?? Math.min(30, targetSec / 4), targetSec);

export function lengthsFromTargets(durationSec: number, targetsSec: readonly number[], minSegmentSec?: number): number[] {
  if (!(durationSec > 0)) return [];
  if (targetsSec.length === 0 || targetsSec.some((t) => !(t > 0))) throw new RangeError(`targets must be positive, got [${targetsSec.join(', ')}]`);
  const lengths: number[] = [];
  let cursorSec = 0;
  for (;;) {
    const targetSec = targetsSec[Math.min(lengths.length, targetsSec.length - 1)]!;
    if (!(durationSec - cursorSec > targetSec + minimumFor(targetSec, minSegmentSec))) break;
    lengths.push(targetSec);
    cursorSec += targetSec;
  }
  lengths.push(durationSec - cursorSec);
  return lengths;
}
