/**
 * Where a segment is served: the queue-driver interface. The job's pool (run-segments.ts) decides
 * which segments run and in what order; a dispatcher serves one segment and stores its result once.
 * Two drivers: `localDispatcher` (this process's backends, the embedded default) and the BullMQ
 * driver (queue/bullmq/: a task on Redis, served by `parascribe worker` processes).
 */
import type { SegmentAudio } from '../audio/segment-audio.js';
import type { RecordingContext } from '../backends/spec.js';
import type { Priority } from '../pipeline/route.js';
import type { SegmentTranscript } from '../transcript.js';

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
}

export interface SegmentDispatcher {
  /** The driver's name; 'local' means this process's own backends serve the segment. */
  readonly kind: string;
  /**
   * Serves the segment and stores its result in the job store (idempotently: a second result for a
   * finished segment is dropped). Resolves with the transcript; rejects when it cannot be served,
   * or with ABORTED when the signal ends it (a job cancelled: the driver withdraws the segment).
   */
  dispatch(task: SegmentTask, audio: SegmentAudio, signal: AbortSignal): Promise<SegmentTranscript>;
  close?(): Promise<void>;
}
