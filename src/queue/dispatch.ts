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
}

export interface SegmentDispatcher {
  /** Human-readable driver name, for logs and `jobs show`. */
  readonly kind: string;
  /**
   * Serves the segment and stores its result in the job store (idempotently: a second result for a
   * finished segment is dropped). Resolves with the transcript; rejects with a ParascribeError.
   */
  dispatch(task: SegmentTask, audio: SegmentAudio, signal: AbortSignal): Promise<SegmentTranscript>;
  /** Jobs' segments no longer wanted (job cancelled): drop queued ones, abort running ones. */
  cancelJob?(jobId: string): Promise<void>;
  close?(): Promise<void>;
}
