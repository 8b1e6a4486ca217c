/**
 * The bottom floor: the few shapes that cross layers (planner → pipeline → queue → worker), so that
 * imports point down to here instead of sideways between pipeline/, queue/ and plan/. Imports nothing.
 */

export const PRIORITIES = ['critical', 'normal', 'batch'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** A stretch of silence found by the pause detector. */
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

/** What a backend learnt from a sample of the recording (e.g. its language), passed with later segments. */
export type RecordingContext = Record<string, string | number | boolean>;

/** Everything a worker anywhere needs to serve one segment (JSON-serialisable). */
export interface SegmentTask {
  jobId: string;
  index: number;
  startSec: number;
  endSec: number;
  /** Seconds of speech in it (from the pause detector), for the result-quality check. */
  speechSec: number;
  /** Backend ids in fallback order. */
  chain: string[];
  language?: string;
  priority: Priority;
  recording?: RecordingContext;
  /** A hedged duplicate of a segment already in flight (pipeline/hedge.ts): same result, recorded as such. */
  hedge?: boolean;
  /** The W3C trace context (traceparent, tracestate) of the span that dispatched it (telemetry/tracing/queue.ts). */
  trace?: Record<string, string>;
}
