/**
 * Where a segment is served: the queue-driver interface. The job's pool (run-segments.ts) decides
 * which segments run and in what order; a dispatcher serves one segment and stores its result once.
 * Two drivers: `localDispatcher` (this process's backends, the embedded default) and the BullMQ
 * driver (queue/bullmq/: a task on Redis, served by `parascribe worker` processes). Callers ask a
 * driver what it can do (the fields below), never which driver it is.
 */
import type { SegmentAudio } from '../audio/segment-audio.js';
import type { SegmentTask } from '../core/types.js';
import type { SegmentTranscript } from '../transcript.js';

/** Per-job observers a driver may feed while it serves (the local driver does; a remote one cannot). */
export interface DispatchScope {
  /** Told of each retry (the progress bar's "retrying" note). */
  onRetry?(index: number, attempt: number, reason: string, delayMs: number): void;
}

export interface SegmentDispatcher {
  /**
   * This process's own backends serve the segments: the job checks them before it starts, warms
   * them, and hints them about upcoming segments (prefetch). False: other processes do all that.
   */
  readonly servesLocally: boolean;
  /** Hedged duplicates are possible (they need this process's view of in-flight attempts). */
  readonly canHedge: boolean;
  /**
   * Segments of one job in flight at once that the driver wants, whatever the job's own plan says
   * (a queue takes as many as allowed; its workers set the pace). Absent: the job's plan decides.
   */
  readonly maxInFlight?: number;
  /**
   * Serves the segment and stores its result in the job store (idempotently: a second result for a
   * finished segment is dropped). Resolves with the transcript; rejects when it cannot be served,
   * or with ABORTED when the signal ends it (a job cancelled: the driver withdraws the segment).
   */
  dispatch(task: SegmentTask, audio: SegmentAudio, signal: AbortSignal, scope?: DispatchScope): Promise<SegmentTranscript>;
  close?(): Promise<void>;
}

/**
 * An abort reason that hands a running job to a later run instead of ending it: a service shutting
 * down, or a server that lost the job's lease to another (service/cluster/). Nothing records the job
 * as cancelled, and a queue driver leaves its segments on the queue for whichever run comes next.
 */
export class JobHandoff extends Error {}

export function isHandoff(reason: unknown): reason is JobHandoff {
  return reason instanceof JobHandoff;
}
