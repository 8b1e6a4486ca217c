/**
 * The job row's one writer during a run: every status change of the job (running, completed,
 * planned, failed, cancelled) and the breaker events go through here, and so do the job-level
 * events the caller sees (created, stage). The stages of job.ts ask it; they never write the row.
 */
import { nowSec } from '../core/time.js';
import type { Config } from '../config/schema.js';
import { fixedSegmentSec } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import type { BreakerBoard } from '../queue/breaker.js';
import { newJobId, type JobRow, type JobStore } from '../store/jobs.js';
import type { JobTelemetry } from '../telemetry/summary.js';
import type { JobEvents, JobStage } from './events.js';

export interface JobRecordInput {
  store: JobStore;
  breakers: BreakerBoard;
  events: JobEvents | undefined;
  /** An existing row to run (a service job, or one resumed after a crash); absent: a new row. */
  jobId: string | undefined;
  input: string;
  format: string;
  config: Config;
  chain: string[];
  /** The primary backend's id and model. */
  backend: { id: string; model: string | undefined };
  /** What goes into the row's options (and the cache key): the options that change the transcript. */
  options: Record<string, unknown>;
}

/** Columns a stage reports as it learns them. */
export type JobProgressFields = Partial<Pick<JobRow, 'cache_key' | 'duration_sec' | 'chunk_count' | 'prepare_compute_sec'>>;

export interface JobCompletion {
  durationSec: number;
  segments: number;
  cacheHit: boolean;
  outputPath: string | null;
  telemetry: JobTelemetry;
  completedAtSec: number;
}

export class JobRecord {
  private constructor(
    readonly jobId: string,
    /** A resumed job keeps its first start: its wall clock includes the outage, as its user saw it. */
    readonly startedAtSec: number,
    /** The row existed before this run (its finished segments are kept). */
    readonly resumed: boolean,
    private readonly store: JobStore,
    private readonly breakers: BreakerBoard,
    private readonly events: JobEvents | undefined,
  ) {}

  /** Creates the row (or finds the given one) and marks it running. */
  static async open(input: JobRecordInput): Promise<JobRecord> {
    const { store, config } = input;
    const existing = input.jobId ? await store.getJob(input.jobId) : undefined;
    if (input.jobId && !existing) throw new ParascribeError('JOB_NOT_FOUND', `no job ${input.jobId}`);
    const jobId = input.jobId ?? newJobId();
    if (!existing) {
      await store.createJob({
        id: jobId,
        source: input.input,
        segmentSec: fixedSegmentSec(config),
        backend: input.backend.id,
        format: input.format,
        language: config.language ?? null,
        priority: config.priority,
        options: { ...input.options, chain: input.chain },
      });
    }
    input.events?.onJobCreated?.(jobId);
    const record = new JobRecord(jobId, existing?.started_at ?? nowSec(), existing !== undefined, store, input.breakers, input.events);
    await store.updateJob(jobId, { status: 'running', started_at: record.startedAtSec, model: input.backend.model, pid: process.pid, error_code: null, error: null });
    return record;
  }

  stage(stage: JobStage): void {
    this.events?.onStage?.(stage);
  }

  async progress(fields: JobProgressFields): Promise<void> {
    await this.store.updateJob(this.jobId, fields);
  }

  async completed(done: JobCompletion): Promise<void> {
    await this.store.updateJob(this.jobId, {
      status: 'completed',
      completed_at: done.completedAtSec,
      duration_sec: done.durationSec,
      // All backend compute of the job: its segments plus the per-recording preparation.
      gpu_elapsed_sec: done.telemetry.computeSec,
      chunk_count: done.segments,
      cache_hit: done.cacheHit ? 1 : 0,
      cost_usd: done.telemetry.costUsd,
      output_path: done.outputPath,
      telemetry_json: JSON.stringify(done.telemetry),
    });
    await this.#breakerEvents();
  }

  /** A plan-only run ends here: completed, with no transcript. */
  async planned(): Promise<void> {
    await this.store.updateJob(this.jobId, { status: 'completed', completed_at: nowSec(), error: 'plan only' });
  }

  /** Records the failure (or cancellation); bookkeeping errors never hide the original. */
  async failed(error: ParascribeError): Promise<void> {
    await this.store
      .updateJob(this.jobId, {
        status: error.code === 'ABORTED' ? 'cancelled' : 'failed',
        completed_at: nowSec(),
        error_code: error.code,
        error: error.message,
      })
      .catch(() => {});
    await this.store.cancelOpenSegments(this.jobId).catch(() => {});
    await this.#breakerEvents().catch(() => {});
  }

  /** Breaker state changes during the job, for `jobs show`. */
  async #breakerEvents(): Promise<void> {
    const events = this.breakers.transitions.filter((t) => t.atSec >= this.startedAtSec);
    if (events.length > 0) await this.store.updateJob(this.jobId, { breaker_events_json: JSON.stringify(events) });
  }
}
