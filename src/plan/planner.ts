/**
 * The planner: a pure function from (duration, pauses, target length) to segments.
 * Cuts go in the middle of the pause nearest each target boundary so no word is split; where no
 * pause lies within the tolerance window the cut is hard and the two segments overlap by
 * `overlapSec`, which the stitcher resolves word by word.
 */

export interface Pause {
  startSec: number;
  endSec: number;
}

export type CutKind = 'pause' | 'hard' | 'end';

export interface PlannedSegment {
  index: number;
  startSec: number;
  endSec: number;
  /** How this segment's end was chosen. */
  cutAfter: CutKind;
}

export interface PlanOptions {
  targetSec: number;
  /** How far from the target boundary a pause may be. Default: 15 % of target, at most 30 s. */
  toleranceSec?: number;
  /** No segment but the last is shorter. Default: a quarter of target, at most 30 s. */
  minSegmentSec?: number;
  /** Overlap of two segments at a hard cut. */
  overlapSec?: number;
}

export interface ResolvedPlanOptions {
  targetSec: number;
  toleranceSec: number;
  minSegmentSec: number;
  overlapSec: number;
}

export function resolvePlanOptions(options: PlanOptions): ResolvedPlanOptions {
  const { targetSec } = options;
  if (!(targetSec > 0)) throw new RangeError(`targetSec must be > 0, got ${targetSec}`);
  const toleranceSec = options.toleranceSec ?? Math.min(30, targetSec * 0.15);
  const minSegmentSec = Math.min(options.minSegmentSec ?? Math.min(30, targetSec / 4), targetSec);
  const overlapSec = options.overlapSec ?? 1.5;
  return { targetSec, toleranceSec, minSegmentSec, overlapSec };
}

const round = (sec: number): number => Math.round(sec * 1000) / 1000;

export function planSegments(
  durationSec: number,
  pauses: readonly Pause[],
  options: PlanOptions,
): PlannedSegment[] {
  if (!(durationSec > 0)) return [];
  const { targetSec, toleranceSec, minSegmentSec, overlapSec } = resolvePlanOptions(options);
  const midpoints = pauses
    .map((p) => ({ midSec: (p.startSec + p.endSec) / 2, lengthSec: p.endSec - p.startSec }))
    .filter((p) => p.midSec > 0 && p.midSec < durationSec)
    .sort((a, b) => a.midSec - b.midSec);

  const segments: PlannedSegment[] = [];
  let cursorSec = 0;
  let first = 0; // pauses before this index lie behind the cursor
  // A remainder of up to target + min goes into one final segment rather than a tiny tail.
  while (durationSec - cursorSec > targetSec + minSegmentSec) {
    const idealSec = cursorSec + targetSec;
    const loSec = Math.max(cursorSec + minSegmentSec, idealSec - toleranceSec);
    const hiSec = Math.min(idealSec + toleranceSec, durationSec - minSegmentSec);
    while (first < midpoints.length && midpoints[first]!.midSec < loSec) first++;

    let best: { midSec: number; lengthSec: number } | undefined;
    for (let i = first; i < midpoints.length && midpoints[i]!.midSec <= hiSec; i++) {
      const candidate = midpoints[i]!;
      const distance = Math.abs(candidate.midSec - idealSec);
      const bestDistance = best === undefined ? Infinity : Math.abs(best.midSec - idealSec);
      if (distance < bestDistance || (distance === bestDistance && candidate.lengthSec > best!.lengthSec)) {
        best = candidate;
      }
    }

    const index = segments.length;
    if (best) {
      const cutSec = round(best.midSec);
      segments.push({ index, startSec: round(cursorSec), endSec: cutSec, cutAfter: 'pause' });
      cursorSec = cutSec;
    } else {
      const halfSec = overlapSec / 2;
      segments.push({
        index,
        startSec: round(cursorSec),
        endSec: round(Math.min(durationSec, idealSec + halfSec)),
        cutAfter: 'hard',
      });
      cursorSec = idealSec - halfSec;
    }
  }
  segments.push({ index: segments.length, startSec: round(cursorSec), endSec: round(durationSec), cutAfter: 'end' });
  return segments;
}
