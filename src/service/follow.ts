/**
 * Follows a job from the store: yields each finished segment once, in order (segment i only after
 * 0..i-1), progress when it changes, then the end. State is re-read from the store on every wake,
 * so a reconnecting reader that says where it stopped (`afterIndex`) gets exactly the rest.
 */
import type { PartialSegment } from '../pipeline/events.js';
import type { JobRow } from '../store/jobs.js';
import type { TranscriptionService } from './service.js';
import { jobProgress, partialFromRow, TERMINAL_STATUSES, type JobProgress } from './views.js';

export type FollowEvent =
  | { type: 'segment'; segment: PartialSegment }
  | { type: 'progress'; status: string; progress: JobProgress }
  | { type: 'end'; job: JobRow };

export interface FollowOptions {
  /** Last segment index the reader already has (-1: none). */
  afterIndex: number;
  signal: AbortSignal;
  /** Longest quiet spell before a `progress` heartbeat (keeps proxies from closing the stream). */
  heartbeatMs?: number;
}

export async function* followJob(service: TranscriptionService, jobId: string, options: FollowOptions): AsyncGenerator<FollowEvent> {
  let next = options.afterIndex + 1;
  let lastProgress = '';
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  while (!options.signal.aborted) {
    const job = await service.store.getJob(jobId);
    if (!job) return;
    const segments = await service.store.listSegments(jobId);
    for (; next < segments.length; next++) {
      const row = segments[next]!;
      if (row.status !== 'completed' && row.status !== 'reused') break;
      const segment = partialFromRow(row);
      if (segment) yield { type: 'segment', segment };
    }
    if (TERMINAL_STATUSES.has(job.status)) {
      // A cache hit has no segment rows: its whole transcript is one segment event.
      if (job.status === 'completed' && segments.length === 0 && next === 0) {
        const document = await service.document(job);
        const t = document.transcript;
        yield { type: 'segment', segment: { index: 0, startSec: 0, endSec: t.durationSec, text: t.text, utterances: t.utterances } };
      }
      yield { type: 'end', job };
      return;
    }
    const progress = jobProgress(job, segments, service.stage(job));
    const key = JSON.stringify([job.status, progress]);
    if (key !== lastProgress) {
      lastProgress = key;
      yield { type: 'progress', status: job.status, progress };
    }
    if ((await service.watch.wait(jobId, heartbeatMs, options.signal)) === 'timeout') lastProgress = '';
  }
}
