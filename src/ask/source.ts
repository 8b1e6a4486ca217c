/**
 * The transcript a question is asked of, read from the store: a completed job's whole transcript; a
 * running job's contiguous prefix of finished segments (what src/service/follow.ts streams), stitched
 * like the final transcript will be. Stitching the rows rather than reading an output file works the
 * same for CLI and service jobs, finished or not, on either store driver.
 */
import type { TranscriptCache } from '../cache/index.js';
import { ParascribeError } from '../errors.js';
import { stitch } from '../stitch/stitcher.js';
import type { JobRow, JobStore, SegmentRow } from '../store/jobs.js';
import type { SegmentTranscript, Transcript } from '../transcript.js';
import type { Coverage } from './coverage.js';

export interface SourceDeps {
  store: JobStore;
  cache: TranscriptCache;
  /** A cache hit has no segment rows; if the cache no longer has its transcript, the caller's own copy (the service's transcript file). */
  fallbackTranscript?: (job: JobRow) => Promise<Transcript | undefined>;
}

export interface FinishedTranscript {
  transcript: Transcript;
  coverage: Coverage;
}

const finished = (row: SegmentRow): boolean => (row.status === 'completed' || row.status === 'reused') && row.result_json !== null;

/** What is finished of the job's transcript; null while nothing is. */
export async function finishedTranscript(deps: SourceDeps, job: JobRow): Promise<FinishedTranscript | null> {
  const rows = await deps.store.listSegments(job.id);
  const prefix: SegmentRow[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.idx !== i || !finished(row)) break;
    prefix.push(row);
  }
  const base = { jobStatus: job.status, totalSec: job.duration_sec, segmentsTotal: job.chunk_count ?? (rows.length || null) };
  if (job.status === 'completed' && rows.length === 0) {
    // A cache hit: the transcript never had segments of this job.
    const transcript = (job.cache_key ? await deps.cache.get(job.cache_key) : undefined) ?? (await deps.fallbackTranscript?.(job));
    if (!transcript) throw new ParascribeError('NOT_READY', `job ${job.id} was answered from the cache, which no longer holds its transcript: transcribe the file again`, { isRetryable: false });
    return { transcript, coverage: { ...base, toSec: transcript.durationSec, totalSec: job.duration_sec ?? transcript.durationSec, complete: true, segmentsDone: 0 } };
  }
  if (prefix.length === 0) return null;
  const parts = prefix.map((row) => ({ startSec: row.start_sec, endSec: row.end_sec, transcript: JSON.parse(row.result_json!) as SegmentTranscript }));
  const complete = job.status === 'completed' && prefix.length === rows.length;
  const toSec = complete ? (job.duration_sec ?? prefix.at(-1)!.end_sec) : prefix.at(-1)!.end_sec;
  const language = job.language ?? parts.find((p) => p.transcript.language)?.transcript.language ?? 'und';
  return {
    transcript: stitch(parts, { durationSec: toSec, language }),
    coverage: { ...base, toSec, complete, segmentsDone: prefix.length },
  };
}
