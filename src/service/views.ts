/** The API's JSON shapes of a job, of a partial (segment) result and of a search hit: snake_case, units in the names. */
import type { PartialSegment } from '../pipeline/events.js';
import type { JobRow, SegmentRow } from '../store/jobs.js';
import type { SearchHit } from '../store/search.js';
import type { JobTelemetry } from '../telemetry/summary.js';
import { mapUtteranceTimes, type SegmentTranscript } from '../transcript.js';
import { clientMessage, uploadLabel } from './client-message.js';
import type { JobOptions } from './job-options.js';

export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

const iso = (sec: number | null): string | null => (sec === null ? null : new Date(sec * 1000).toISOString());
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

export function jobRequestOptions(row: JobRow): JobOptions {
  try {
    return ((JSON.parse(row.options_json) as { request?: JobOptions }).request ?? {}) as JobOptions;
  } catch {
    return {};
  }
}

export interface JobProgress {
  stage: string | null;
  segments_done: number;
  segments_total: number | null;
}

/** `finished`: the segment rows, or just how many are completed or reused. */
export function jobProgress(row: JobRow, finished: readonly Pick<SegmentRow, 'status'>[] | number, stage: string | null): JobProgress {
  const done = typeof finished === 'number' ? finished : finished.filter((s) => s.status === 'completed' || s.status === 'reused').length;
  return { stage: TERMINAL_STATUSES.has(row.status) ? null : stage, segments_done: done, segments_total: row.chunk_count };
}

/** Where a view is shown from: the base of its links, and the data dir no client may see. */
export interface ViewContext {
  baseUrl: string;
  dataDir: string;
}

/**
 * A failed or cancelled job's error as its client sees it: the stored message names the server's
 * copy of the upload (and maybe other server paths); the client reads its own filename instead.
 */
export function jobErrorView(row: Pick<JobRow, 'error_code' | 'error' | 'source' | 'source_name' | 'status'>, dataDir: string): { code: string; message: string } | null {
  if (!row.error_code) return null;
  const message = clientMessage(row.error ?? `the job ended ${row.status}`, [
    { path: row.source, as: uploadLabel(row.source_name) },
    { path: dataDir, as: '[server path]' },
  ]);
  return { code: row.error_code, message };
}

export function jobView(row: JobRow, progress: JobProgress, context: ViewContext) {
  const options = jobRequestOptions(row);
  let telemetry: JobTelemetry | null = null;
  try {
    telemetry = row.telemetry_json ? (JSON.parse(row.telemetry_json) as JobTelemetry) : null;
  } catch {
    telemetry = null;
  }
  const self = `${context.baseUrl}/v1/jobs/${row.id}`;
  return {
    id: row.id,
    object: 'transcription.job',
    status: row.status,
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    source_name: row.source_name,
    backend: row.backend,
    language: row.language,
    priority: row.priority,
    segment_sec: row.segment_sec,
    webhook_url: options.webhook_url ?? null,
    duration_sec: row.duration_sec,
    progress,
    telemetry: telemetry && {
      wall_sec: round(telemetry.wallSec),
      compute_sec: round(telemetry.computeSec),
      parallelism: round(telemetry.parallelism),
      segments: telemetry.segments,
      segments_reused: telemetry.segmentsReused,
      overhead_per_segment_sec: round(telemetry.overheadPerSegmentSec),
      real_time_factor: round(telemetry.realTimeFactor, 4),
      cold_starts: telemetry.coldStarts,
      cost_usd: round(telemetry.costUsd, 6),
      cost_per_audio_minute_usd: round(telemetry.costPerAudioMinuteUsd, 6),
      cache_hit: telemetry.cacheHit,
    },
    error: jobErrorView(row, context.dataDir),
    links: { self, events: `${self}/events`, transcript: `${self}/transcript` },
  };
}

/** A finished segment as an SSE `segment` event: absolute times, text as the backend gave it. */
export function partialFromRow(row: SegmentRow): PartialSegment | null {
  if (!row.result_json) return null;
  const result = JSON.parse(row.result_json) as SegmentTranscript;
  return {
    index: row.idx,
    startSec: row.start_sec,
    endSec: row.end_sec,
    text: result.text,
    utterances: mapUtteranceTimes(result.utterances, (t) => t + row.start_sec),
  };
}

export function segmentEventData(partial: PartialSegment) {
  return {
    index: partial.index,
    start_sec: round(partial.startSec),
    end_sec: round(partial.endSec),
    text: partial.text,
    utterances: partial.utterances.map((u) => ({
      start_sec: round(u.startSec),
      end_sec: round(u.endSec),
      text: u.text,
      words: u.words.map((w) => ({ word: w.word, start_sec: round(w.startSec), end_sec: round(w.endSec) })),
    })),
  };
}

/** A search hit as `GET /v1/search` and `parascribe search --json` show it. */
export function searchHitView(hit: SearchHit) {
  return {
    job_id: hit.jobId,
    source: hit.source,
    segment_index: hit.segmentIndex,
    start_sec: round(hit.startSec),
    end_sec: round(hit.endSec),
    snippet: hit.snippet,
    score: hit.score,
  };
}
