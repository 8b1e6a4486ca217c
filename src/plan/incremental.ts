/**
 * The planner fed as the decode goes (pipelining, issue 6 part 5): pauses arrive as the detector
 * finalises them, and each segment is emitted as soon as its cut can no longer change. Everything it
 * emits, concatenated, equals `planSegments(durationSec, allPauses, options)` exactly, so a job that
 * streams and one that plans the whole file (a resumed job) cut alike and can share finished segments.
 *
 * When is a cut final? `planSegments` reads the duration in two places: the loop goes on only while
 * more than target + min is left (else the remainder becomes one final segment), and the window ends
 * at min(ideal + tolerance, duration - min), a hard cut at min(duration, ideal + overlap / 2). The
 * decoded length is a lower bound on the duration, so once decodedSec > ideal + tolerance + min and
 * decodedSec >= ideal + overlap / 2, all three are settled whatever the final length. The window's
 * candidates are settled once no pause can still arrive at or before its end: the caller promises
 * that every pause not yet added has its midpoint after `confirmedSec`.
 */
import { planWalk, round, segmentPlanOptions, validatePlanOptions, type Midpoint, type PlanOptions, type PlanWalkState } from './planner.js';
import type { Pause, PlannedSegment } from '../core/types.js';

const MARGIN_SEC = 1e-6;

export class IncrementalPlanner {
  readonly #options: PlanOptions;
  // Sorted by midpoint; pauses arrive in time order, so inserting is almost always an append.
  readonly #midpoints: Midpoint[] = [];
  readonly #state: PlanWalkState = { cursorSec: 0, index: 0, first: 0 };
  #confirmedSec = 0;
  #finished = false;

  constructor(options: PlanOptions) {
    validatePlanOptions(options);
    this.#options = options;
  }

  /** Segments emitted so far. */
  get plannedCount(): number {
    return this.#state.index;
  }

  /** Adds finalised pauses. Each must have its midpoint after every `confirmedSec` given so far. */
  addPauses(pauses: Iterable<Pause>): void {
    if (this.#finished) throw new Error('IncrementalPlanner: pauses added after finish()');
    for (const p of pauses) {
      const midSec = (p.startSec + p.endSec) / 2;
      if (!(midSec > 0)) continue; // planSegments ignores these too
      if (midSec <= this.#confirmedSec) {
        // A late pause could have changed a cut already emitted: the streamed plan would then differ
        // from the whole-file plan, and a resumed job would discard this one's finished segments.
        throw new RangeError(`IncrementalPlanner: pause at ${midSec} s arrived after ${this.#confirmedSec} s was confirmed`);
      }
      let at = this.#midpoints.length;
      while (at > 0 && this.#midpoints[at - 1]!.midSec > midSec) at--;
      this.#midpoints.splice(at, 0, { midSec, lengthSec: p.endSec - p.startSec });
    }
  }

  /**
   * `confirmedSec`: no pause still to come has its midpoint at or before it. `decodedSec`: audio known
   * to exist (a lower bound on the duration; at least `confirmedSec`). Returns the segments now final.
   */
  advance(confirmedSec: number, decodedSec: number = confirmedSec): PlannedSegment[] {
    if (this.#finished) return [];
    this.#confirmedSec = Math.max(this.#confirmedSec, confirmedSec);
    const knownSec = Math.max(decodedSec, this.#confirmedSec);
    return planWalk(this.#state, this.#midpoints, Infinity, this.#options, (idealSec, params) => {
      const { toleranceSec, minSegmentSec, overlapSec } = params;
      // The margin keeps float rounding in planSegments' own sums (duration - min, duration - cursor)
      // from ever deciding differently; waiting a microsecond longer costs nothing.
      return (
        knownSec > idealSec + toleranceSec + minSegmentSec + MARGIN_SEC &&
        knownSec >= idealSec + overlapSec / 2 + MARGIN_SEC &&
        this.#confirmedSec >= idealSec + toleranceSec
      );
    });
  }

  /** The recording ended at `durationSec` (every pause added): returns the rest of the plan. */
  finish(durationSec: number): PlannedSegment[] {
    if (this.#finished) return [];
    this.#finished = true;
    if (!(durationSec > 0)) return [];
    const state = this.#state;
    const segments = planWalk(state, this.#midpoints, durationSec, this.#options);
    segments.push({ index: state.index++, startSec: round(state.cursorSec), endSec: round(durationSec), cutAfter: 'end' });
    return segments;
  }
}

/** The final count a plan of `durationSec` is likely to have (no pauses known: every cut hard); for progress only. */
export function estimateSegmentCount(durationSec: number | null, options: PlanOptions): number | null {
  if (durationSec === null || !(durationSec > 0)) return null;
  let cursorSec = 0;
  let count = 1;
  for (let index = 0; ; index++) {
    const { targetSec, minSegmentSec } = segmentPlanOptions(options, index);
    if (!(durationSec - cursorSec > targetSec + minSegmentSec)) return count;
    cursorSec += targetSec;
    count++;
  }
}
