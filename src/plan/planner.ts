/**
 * The planner: a pure function from (duration, pauses, target lengths) to segments.
 * Cuts go in the middle of the pause nearest each target boundary so no word is split; where no
 * pause lies within the tolerance window the cut is hard and the two segments overlap by
 * `overlapSec`, which the stitcher resolves word by word. The walk itself (`planWalk`) is shared
 * with the incremental planner (incremental.ts), so both cut exactly alike.
 */

import type { Pause, PlannedSegment } from '../core/types.js';

export interface PlanOptions {
  targetSec: number;
  /**
   * Per-segment targets: segment i aims at `targetsSec[i]`; past the end of the list its last entry
   * repeats (an empty list means `targetSec`). E.g. `[20, 900]`: a short first segment, so the first
   * words come back fast, then long ones. Tolerance and minimum defaults follow each segment's own target.
   */
  targetsSec?: readonly number[];
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

/** Segment `index`'s own target, tolerance and minimum (see `targetsSec`). */
export function segmentPlanOptions(options: PlanOptions, index: number): ResolvedPlanOptions {
  const targets = options.targetsSec;
  if (!targets || targets.length === 0) return resolvePlanOptions(options);
  return resolvePlanOptions({ ...options, targetSec: targets[Math.min(index, targets.length - 1)]! });
}

/** Checks every target up front, so a bad entry fails before any work rather than at segment i. */
export function validatePlanOptions(options: PlanOptions): void {
  resolvePlanOptions(options);
  for (const targetSec of options.targetsSec ?? []) resolvePlanOptions({ ...options, targetSec });
}

export interface Midpoint {
  midSec: number;
  lengthSec: number;
}

/** Where a walk stands: the next segment's start and index, and how many midpoints lie behind it. */
export interface PlanWalkState {
  cursorSec: number;
  index: number;
  /** Midpoints before this index lie behind every window so far (they are never candidates again). */
  first: number;
}

export const round = (sec: number): number => Math.round(sec * 1000) / 1000;

/**
 * Cuts segments from `state` on over the sorted `midpoints`, while more than target + min is left
 * before `durationSec` (Infinity: unknown yet) and `mayCut(idealSec, segment options)` agrees.
 * Mutates `state`; returns the new segments (never the final remainder).
 */
export function planWalk(
  state: PlanWalkState,
  midpoints: readonly Midpoint[],
  durationSec: number,
  options: PlanOptions,
  mayCut: (idealSec: number, params: ResolvedPlanOptions) => boolean = () => true,
): PlannedSegment[] {
  const segments: PlannedSegment[] = [];
  for (;;) {
    const params = segmentPlanOptions(options, state.index);
    const { targetSec, toleranceSec, minSegmentSec, overlapSec } = params;
    // A remainder of up to target + min goes into one final segment rather than a tiny tail.
    if (!(durationSec - state.cursorSec > targetSec + minSegmentSec)) break;
    const idealSec = state.cursorSec + targetSec;
    if (!mayCut(idealSec, params)) break;
    const loSec = Math.max(state.cursorSec + minSegmentSec, idealSec - toleranceSec);
    const hiSec = Math.min(idealSec + toleranceSec, durationSec - minSegmentSec);
    while (state.first < midpoints.length && midpoints[state.first]!.midSec < loSec) state.first++;

    let best: Midpoint | undefined;
    for (let i = state.first; i < midpoints.length && midpoints[i]!.midSec <= hiSec; i++) {
      const candidate = midpoints[i]!;
      // Only reachable with minSegmentSec 0: a pause centred on the very end is no cut.
      if (candidate.midSec >= durationSec) break;
      const distance = Math.abs(candidate.midSec - idealSec);
      const bestDistance = best === undefined ? Infinity : Math.abs(best.midSec - idealSec);
      if (distance < bestDistance || (distance === bestDistance && candidate.lengthSec > best!.lengthSec)) {
        best = candidate;
      }
    }

    const index = state.index++;
    if (best) {
      const cutSec = round(best.midSec);
      segments.push({ index, startSec: round(state.cursorSec), endSec: cutSec, cutAfter: 'pause' });
      state.cursorSec = cutSec;
    } else {
      const halfSec = overlapSec / 2;
      segments.push({
        index,
        startSec: round(state.cursorSec),
        endSec: round(Math.min(durationSec, idealSec + halfSec)),
        cutAfter: 'hard',
      });
      state.cursorSec = idealSec - halfSec;
    }
  }
  return segments;
}

/** Pause midpoints, sorted (ties keep their input order); those at or before 0 are no cut. */
export function toMidpoints(pauses: readonly Pause[]): Midpoint[] {
  return pauses
    .map((p) => ({ midSec: (p.startSec + p.endSec) / 2, lengthSec: p.endSec - p.startSec }))
    .filter((p) => p.midSec > 0)
    .sort((a, b) => a.midSec - b.midSec);
}

export function planSegments(
  durationSec: number,
  pauses: readonly Pause[],
  options: PlanOptions,
): PlannedSegment[] {
  if (!(durationSec > 0)) return [];
  validatePlanOptions(options);
  const midpoints = toMidpoints(pauses).filter((p) => p.midSec < durationSec);
  const state: PlanWalkState = { cursorSec: 0, index: 0, first: 0 };
  const segments = planWalk(state, midpoints, durationSec, options);
  segments.push({ index: segments.length, startSec: round(state.cursorSec), endSec: round(durationSec), cutAfter: 'end' });
  return segments;
}
