/** The API's JSON shapes as the UI reads them (docs/api.md, src/server/openapi.ts). */

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface Telemetry {
  wall_sec: number;
  compute_sec: number;
  parallelism: number;
  segments: number;
  segments_reused: number;
  overhead_per_segment_sec: number;
  real_time_factor: number;
  cold_starts: number;
  cost_usd: number;
  cost_per_audio_minute_usd: number;
  cache_hit: boolean;
}

export interface Job {
  id: string;
  status: JobStatus;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  source_name: string | null;
  backend: string;
  language: string | null;
  priority: string;
  segment_sec: number;
  duration_sec: number | null;
  progress: { stage: string | null; segments_done: number; segments_total: number | null };
  telemetry: Telemetry | null;
  error: { code: string; message: string } | null;
}

export interface JobList {
  data: Job[];
  has_more: boolean;
  next_before: string | null;
}

export interface ApiWord {
  word: string;
  start_sec: number;
  end_sec: number;
}

export interface ApiUtterance {
  start_sec: number;
  end_sec: number;
  text: string;
  words?: ApiWord[];
}

/** An SSE `segment` event. */
export interface SegmentEvent {
  index: number;
  start_sec: number;
  end_sec: number;
  text: string;
  utterances: ApiUtterance[];
}

export interface Attempt {
  attempt: number;
  backend: string;
  hedge: boolean;
  outcome: string;
  started_at: string | null;
  ended_at: string | null;
  error_code: string | null;
  error: string | null;
  backoff_ms: number;
  breaker_wait_ms: number;
}

export interface SegmentTiming {
  index: number;
  start_sec: number;
  end_sec: number;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'reused' | 'cancelled';
  backend: string | null;
  attempts: number;
  reused: boolean;
  cold_start: boolean;
  hedged: boolean;
  queued_at: string | null;
  dispatched_at: string | null;
  completed_at: string | null;
  compute_sec: number | null;
  cost_usd: number | null;
  error: { code: string; message: string } | null;
  attempt_log: Attempt[];
}

export interface SegmentList {
  job_id: string;
  started_at: string | null;
  data: SegmentTiming[];
}

export interface Peaks {
  complete: boolean;
  duration_sec: number | null;
  decoded_sec: number;
  sec_per_point: number;
  data: number[];
}

export interface SearchHit {
  job_id: string;
  source: string | null;
  segment_index: number;
  start_sec: number;
  end_sec: number;
  snippet: string;
  score: number;
}

export interface SearchPage {
  query: string;
  data: SearchHit[];
  has_more: boolean;
  next_offset: number | null;
}

export interface Citation {
  marker: string;
  sec: number;
}

export interface AskAnswer {
  id: string;
  status: string;
  question: string;
  answer: string;
  citations: Citation[];
  coverage?: { complete: boolean; note?: string | null };
  cost_usd?: number;
  error?: { code: string; message: string } | null;
}

/** GET /v1/stats (the numbers of `parascribe stats`), its total. */
export interface BackendStats {
  backend: string;
  jobs: number;
  completed: number;
  failed: number;
  cancelled: number;
  interrupted: number;
  active: number;
  audio_hours: number;
  turnaround_sec: { p50: number; p95: number; p99: number } | null;
  first_words_sec: { p50: number; p95: number; p99: number } | null;
  error_rate: number | null;
  cost_usd: number;
  cost_per_audio_minute_usd: number | null;
  cache_hit_rate: number | null;
}

export interface Stats {
  since: string;
  scope: 'key' | 'all';
  total: BackendStats;
  backends: BackendStats[];
}

/** GET /v1/stats/hourly. */
export interface HourlyStats {
  since: string;
  hours: Array<{ hour: string; jobs: number; completed: number; failed: number; audio_sec: number }>;
  server: {
    queued_jobs: number;
    running_jobs: number;
    distributed: null | { queues: Array<{ backend: string; waiting: number; active: number; oldest_wait_sec: number }>; workers: number | null; worker_slots: number | null; desired_workers: number | null };
  };
}

export interface TranscriptJson {
  durationSec: number;
  utterances: Array<{ startSec: number; endSec: number; text: string; words: Array<{ word: string; startSec: number; endSec: number }> }>;
}
