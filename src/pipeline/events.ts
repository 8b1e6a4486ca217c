/** What a running job reports as it goes: the CLI draws a progress bar from it, the API will stream it. */
import type { Utterance } from '../transcript.js';
import type { PlannedSegment } from '../core/types.js';

export type JobStage = 'probing' | 'hashing' | 'decoding' | 'planning' | 'transcribing' | 'stitching' | 'writing';

export interface PartialSegment {
  index: number;
  startSec: number;
  endSec: number;
  /** Absolute times; overlaps with the next segment are not yet resolved. */
  utterances: Utterance[];
  text: string;
}

export interface JobEvents {
  onJobCreated?(jobId: string): void;
  onStage?(stage: JobStage): void;
  onDecodeProgress?(decodedSec: number, totalSec: number | null): void;
  /** The decode has ended: the whole recording is on disk (`decodeSec`: from its start). */
  onDecoded?(durationSec: number, decodeSec: number): void;
  /**
   * One segment's cut is final, in plan order. A fresh job plans while it decodes, so this comes
   * early (and transcription may already run); `onPlan` follows once the whole plan is known.
   */
  onSegmentPlanned?(segment: PlannedSegment, reused: boolean): void;
  /** The whole plan, once; with streaming some segments may already be done by then. */
  onPlan?(plan: readonly PlannedSegment[], reused: number): void;
  /** `total`: the best-known count; before `onPlan` (streaming) it is an estimate from the probed duration. */
  onSegmentDone?(index: number, done: number, total: number): void;
  onRetry?(index: number, attempt: number, message: string, delayMs: number): void;
  /** In order: segment i is reported only after 0..i-1. */
  onPartial?(segment: PartialSegment): void;
}
