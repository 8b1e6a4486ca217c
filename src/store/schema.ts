/**
 * Table types for Kysely. Times read are always epoch seconds (numbers). SQLite stores them as REAL, so
 * `completed_at - started_at` is seconds there; PostgreSQL stores `timestamptz`, so the seed study's
 * `EXTRACT(EPOCH FROM (completed_at - started_at))` runs there, and JobStore writes them as Dates
 * (`times.ts`). Hence a time column reads as a number and accepts a number or a Date.
 */
import type { ColumnType, Generated } from 'kysely';

type Time = ColumnType<number, number | Date, number | Date>;
type NullableTime = ColumnType<number | null, number | Date | null, number | Date | null>;

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';
export type SegmentStatus = 'pending' | 'running' | 'completed' | 'failed' | 'reused' | 'cancelled';

export interface TranscriptionJobsTable {
  id: string;
  status: JobStatus;
  source: string;
  duration_sec: number | null;
  /** Sum of backend compute seconds spent in this job (the seed study's name). */
  gpu_elapsed_sec: number | null;
  /** Backend compute spent preparing for the recording (included in gpu_elapsed_sec). */
  prepare_compute_sec: number | null;
  created_at: Time;
  started_at: NullableTime;
  completed_at: NullableTime;
  chunk_count: number | null;
  segment_sec: number;
  backend: string;
  model: string | null;
  language: string | null;
  cache_key: string | null;
  cache_hit: number;
  options_json: string;
  output_path: string | null;
  format: string;
  telemetry_json: string | null;
  error_code: string | null;
  error: string | null;
  pid: number;
  host: string;
  priority: string;
  cost_usd: number | null;
  /** Breaker state changes seen while the job ran (JSON array). */
  breaker_events_json: string | null;
  /** Service jobs: hash of the API key that submitted the job; null for CLI jobs. */
  owner: string | null;
  /** Service jobs: the uploaded file's original name or the URL (display only). */
  source_name: string | null;
  /** Service jobs on a shared store: the API server running the job (its instance id), or the last one. */
  lease_holder: string | null;
  /** Until when `lease_holder` holds the job (renewed by its heartbeat); absent or past: no live owner. */
  lease_until: NullableTime;
  /** Claims of the job so far (1 for its first server; each takeover adds one). */
  lease_epoch: Generated<number>;
}

export interface TranscriptionSegmentsTable {
  job_id: string;
  idx: number;
  start_sec: number;
  end_sec: number;
  status: SegmentStatus;
  attempts: Generated<number>;
  backend: string | null;
  queued_at: NullableTime;
  started_at: NullableTime;
  completed_at: NullableTime;
  compute_sec: number | null;
  cold_start: number | null;
  error_code: string | null;
  error: string | null;
  result_json: string | null;
  warnings_json: string | null;
  reused_from_job: string | null;
  /** Every attempt: backend, times, outcome, error, backoff waited (JSON array). */
  attempts_json: string | null;
  cost_usd: number | null;
}

export interface FileHashesTable {
  path: string;
  size_bytes: number;
  mtime_ms: number;
  sha256: string;
}

/**
 * One finished segment's text as search indexes it (search.ts): a row per completed or reused segment
 * with text. SQLite adds an `id` (the FTS5 table's rowid) and the FTS5 table `segment_search_fts`;
 * PostgreSQL adds `tsv` (a tsvector, GIN-indexed). Neither extra column is read through these types.
 */
export interface SegmentSearchTable {
  job_id: string;
  idx: number;
  /** Absolute times in the recording, as the segment's. */
  start_sec: number;
  end_sec: number;
  /** The segment's text as the backend gave it (snippets are cut from it). */
  text: string;
  /** The indexed terms, space-separated (search-text.ts). */
  terms: string;
}

/** A question asked of a job's transcript and its answer (src/store/questions.ts). */
export interface TranscriptQuestionsTable {
  id: string;
  job_id: string;
  created_at: Time;
  /** 'answered', or 'failed' (error_code / error say why; the answer holds what streamed before). */
  status: string;
  question: string;
  answer: string;
  /** full | retrieve | map-reduce: what the model was given. */
  strategy: string;
  model: string | null;
  /** What the answer was about: the covered prefix, the passages given (JSON). */
  coverage_json: string;
  /** Citations kept and dropped (JSON). */
  citations_json: string;
  input_tokens: number;
  output_tokens: number;
  /** 1 when the server reported no usage and the tokens are estimates. */
  tokens_estimated: number;
  llm_calls: number;
  cost_usd: number;
  first_token_sec: number | null;
  wall_sec: number | null;
  error_code: string | null;
  error: string | null;
}

/** One live (or lately live) API server sharing the store (src/service/cluster/). */
export interface ServiceInstancesTable {
  id: string;
  host: string;
  pid: number;
  url: string | null;
  started_at: Time;
  heartbeat_at: Time;
  lease_until: Time;
}

/** A secret every server of a shared store uses alike (store/cluster.ts: `sharedSecret`). */
export interface ClusterSecretsTable {
  name: string;
  value: string;
}

/** Bytes every server can read (src/store/blobs.ts): an upload, a transcript, a segment's audio. */
export interface BlobsTable {
  id: string;
  /** 'upload' | 'transcript' | 'segment'. */
  kind: string;
  job_id: string | null;
  /** 'writing' until every chunk is in, then 'complete'. */
  state: string;
  size_bytes: number;
  chunk_bytes: number;
  /** The instance writing it (an unfinished blob whose writer is gone is an orphan). */
  writer: string | null;
  created_at: Time;
  completed_at: NullableTime;
}

export interface BlobChunksTable {
  blob_id: string;
  seq: number;
  data: Buffer;
}

/** A segment transcribed again off the job's path (rollout.ts): a shadow, or a canary's comparison. */
export interface SegmentShadowsTable {
  /** Ascending: /metrics reads the rows added since its last scrape. */
  id: Generated<number>;
  job_id: string;
  idx: number;
  /** 'shadow' (the configured reference) or 'canary' (a candidate's result against compareWith). */
  kind: string;
  /** The backend whose result was stored for the segment. */
  backend: string;
  /** The backend that transcribed it again. */
  reference: string;
  /** WER of the stored result against the reference's; null when the reference call failed. */
  wer: number | null;
  reference_words: number | null;
  /** Call seconds of the stored result's attempt and of the reference's call. */
  backend_sec: number | null;
  reference_sec: number | null;
  error_code: string | null;
  error: string | null;
  created_at: Time;
}

/** One canary rollout (routing.canary): its counts over every process, and its verdict. */
export interface CanaryRolloutsTable {
  rollout: string;
  backend: string;
  compare_with: string;
  status: string;
  reason: string | null;
  segments: number;
  errors: number;
  compared: number;
  wer_sum: number;
  candidate_sec: number;
  reference_sec: number;
  created_at: Time;
  updated_at: Time;
  decided_at: NullableTime;
}

/** One file and backend of a `parascribe eval` run (evaluations.ts); WER/CER null when it failed. */
export interface EvaluationsTable {
  id: string;
  run_id: string;
  created_at: Time;
  /** The audio file's absolute path: what runs are compared by, with the backend. */
  file: string;
  backend: string;
  status: 'ok' | 'failed';
  job_id: string | null;
  duration_sec: number | null;
  wall_sec: number | null;
  compute_sec: number | null;
  cost_usd: number | null;
  segments: number | null;
  ref_words: number | null;
  word_errors: number | null;
  ref_chars: number | null;
  char_errors: number | null;
  wer: number | null;
  cer: number | null;
  /** The seams check (src/ops/eval/seams.ts) as JSON; null where it did not run. */
  seams_json: string | null;
  error: string | null;
}

export interface Database {
  transcription_jobs: TranscriptionJobsTable;
  transcription_segments: TranscriptionSegmentsTable;
  file_hashes: FileHashesTable;
  segment_search: SegmentSearchTable;
  transcript_questions: TranscriptQuestionsTable;
  segment_shadows: SegmentShadowsTable;
  canary_rollouts: CanaryRolloutsTable;
  evaluations: EvaluationsTable;
  service_instances: ServiceInstancesTable;
  cluster_secrets: ClusterSecretsTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
}
