/**
 * The job store: every state change of a job and its segments goes through here. Backed by Kysely, so
 * the SQLite and PostgreSQL drivers (`registry.ts`) share this code. Times are epoch seconds for every
 * caller; on PostgreSQL they are written as Dates into `timestamptz` columns (`times.ts`).
 */
import { hostname } from 'node:os';
import { sql, type Kysely, type RawBuilder, type Selectable, type Updateable } from 'kysely';
import type { StoreDialect } from './migrations.js';
import type { Database, JobStatus, TranscriptionJobsTable, TranscriptionSegmentsTable } from './schema.js';
import { RolloutStore } from './rollout.js';
import { Evaluations } from './evaluations.js';
import { SegmentSearch } from './search.js';
import { QuestionStore } from './questions.js';
import { JobStats } from './stats.js';
import { BlobStore } from './blobs.js';
import { ClusterStore } from './cluster.js';
import { JobSegments } from './job-segments.js';
import { JobHistory } from './job-history.js';
import { encodeTime, encodeTimeColumns, JOB_TIME_COLUMNS, type TimeStorage } from './times.js';
import { nowSec } from '../core/time.js';
import type { PlannedSegment } from '../core/types.js';

export type JobRow = Selectable<TranscriptionJobsTable>;
export type SegmentRow = Selectable<TranscriptionSegmentsTable>;
export type HistorySegmentRow = Pick<SegmentRow, 'job_id' | 'idx' | 'start_sec' | 'end_sec' | 'status' | 'backend' | 'attempts' | 'started_at' | 'completed_at' | 'compute_sec' | 'cold_start'>;
export { segmentKey } from './job-segments.js';

export function newJobId(): string {
  // Time-ordered and short enough to type: base36 milliseconds + 4 random chars.
  return `j${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export interface NewJob {
  id: string;
  source: string;
  segmentSec: number;
  backend: string;
  format: string;
  language: string | null;
  priority: string;
  options: Record<string, unknown>;
  owner?: string | null;
  sourceName?: string | null;
}

export interface JobStoreOptions {
  /** How the database keeps times: REAL epoch seconds (SQLite, the default) or `timestamptz` (PostgreSQL). */
  times?: TimeStorage;
  /** Which database this is (default SQLite): transcript search differs by dialect. */
  dialect?: StoreDialect;
}

export class JobStore {
  readonly times: TimeStorage;
  /** Search across transcripts; segments are indexed as completeSegment/updateSegment store their results. */
  readonly search: SegmentSearch;
  /** Questions asked of a job's transcript and their answers (`ask`). */
  readonly questions: QuestionStore;
  /** Shadow results and canary rollouts (src/rollout/). */
  readonly rollout: RolloutStore;
  /** Operational statistics over the job rows (`parascribe stats`, `GET /v1/stats`). */
  readonly stats: JobStats;
  /** Stored `parascribe eval` results. */
  readonly evaluations: Evaluations;
  /**
   * Job leases and live API servers (service/cluster/): only on a store several machines reach
   * (PostgreSQL); undefined on the embedded SQLite store.
   */
  readonly cluster: ClusterStore | undefined;
  /** Uploads, transcripts and segment audio every server can read (service/cluster/). */
  readonly blobs: BlobStore;
  readonly #segments: JobSegments;
  readonly #history: JobHistory;

  constructor(
    // Private: every query lives in a method here or in its parts (job-segments.ts, job-history.ts, the
    // sub-stores above), so both drivers (and their time encodings) stay in one place.
    private readonly db: Kysely<Database>,
    options: JobStoreOptions = {},
  ) {
    this.times = options.times ?? 'epoch';
    this.search = new SegmentSearch(db, options.dialect ?? 'sqlite');
    this.questions = new QuestionStore(db, this.times);
    this.rollout = new RolloutStore(db, this.times);
    this.stats = new JobStats(db, options.dialect ?? 'sqlite', this.times);
    this.evaluations = new Evaluations(db, this.times);
    this.cluster = options.dialect === 'postgres' ? new ClusterStore(db) : undefined;
    this.blobs = new BlobStore(db, this.times);
    this.#segments = new JobSegments(db, this.times, this.search);
    this.#history = new JobHistory(db, this.times);
  }

  /** A time (epoch seconds) as this database takes it. */
  #time(sec: number): number | Date {
    return encodeTime(this.times, sec);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Rejects when the database cannot answer (readiness checks). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** A raw SQL statement on this store's connection (tests and diagnostics, e.g. a server's version). */
  async query<Row>(statement: RawBuilder<Row>): Promise<Row[]> {
    return (await statement.execute(this.db)).rows;
  }

  /**
   * Inserts the job row. `also` runs in the same transaction (a shared store: the upload's blob is
   * completed and the first lease taken with the row, or none of them is).
   */
  async createJob(job: NewJob, also?: (trx: Kysely<Database>) => Promise<void>): Promise<void> {
    if (!also) return this.#insertJob(this.db, job);
    await this.db.transaction().execute(async (trx) => {
      await this.#insertJob(trx, job);
      await also(trx);
    });
  }

  async #insertJob(db: Kysely<Database>, job: NewJob): Promise<void> {
    await db
      .insertInto('transcription_jobs')
      .values({
        id: job.id,
        status: 'queued',
        source: job.source,
        duration_sec: null,
        gpu_elapsed_sec: null,
        prepare_compute_sec: null,
        created_at: this.#time(nowSec()),
        started_at: null,
        completed_at: null,
        chunk_count: null,
        segment_sec: job.segmentSec,
        backend: job.backend,
        model: null,
        language: job.language,
        cache_key: null,
        cache_hit: 0,
        options_json: JSON.stringify(job.options),
        output_path: null,
        format: job.format,
        telemetry_json: null,
        error_code: null,
        error: null,
        pid: process.pid,
        host: hostname(),
        priority: job.priority,
        cost_usd: null,
        breaker_events_json: null,
        owner: job.owner ?? null,
        source_name: job.sourceName ?? null,
      })
      .execute();
  }

  async updateJob(id: string, patch: Partial<Omit<JobRow, 'id'>>): Promise<void> {
    const values = encodeTimeColumns(this.times, patch, JOB_TIME_COLUMNS) as Updateable<TranscriptionJobsTable>;
    await this.db.updateTable('transcription_jobs').set(values).where('id', '=', id).execute();
  }

  async getJob(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('transcription_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Exact id, or a unique prefix of one. */
  async findJob(idOrPrefix: string): Promise<JobRow | 'ambiguous' | undefined> {
    const exact = await this.getJob(idOrPrefix);
    if (exact) return exact;
    const rows = await this.db
      .selectFrom('transcription_jobs')
      .selectAll()
      .where('id', 'like', `${idOrPrefix.replace(/[%_]/g, '')}%`)
      .limit(2)
      .execute();
    if (rows.length > 1) return 'ambiguous';
    return rows[0];
  }

  async listJobs(limit = 50): Promise<JobRow[]> {
    return this.db.selectFrom('transcription_jobs').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
  }

  /**
   * One owner's jobs, newest first; `before` is the last id of the previous page (ids are time-ordered);
   * `statuses`: only jobs in one of them.
   */
  async listOwnerJobs(owner: string, limit: number, before?: string, statuses?: readonly JobStatus[]): Promise<JobRow[]> {
    let query = this.db.selectFrom('transcription_jobs').selectAll().where('owner', '=', owner);
    if (before) query = query.where('id', '<', before);
    if (statuses && statuses.length > 0) query = query.where('status', 'in', statuses);
    return query.orderBy('id', 'desc').limit(limit).execute();
  }

  /** Deletes a job and, by cascade, its segments, search rows and questions. */
  async deleteJob(id: string): Promise<void> {
    await this.db.deleteFrom('transcription_jobs').where('id', '=', id).execute();
  }

  // Segment rows (job-segments.ts) and the history queries (job-history.ts) live beside this file; they
  // stay methods of the store so that callers keep one handle and the drivers' time encoding one owner.
  // Their documentation is at their implementations.
  countFinishedSegments(jobId: string): Promise<number> { return this.#segments.countFinishedSegments(jobId); }
  resumeSegments(jobId: string, plan: readonly PlannedSegment[]): Promise<Map<number, string>> { return this.#segments.resumeSegments(jobId, plan); }
  insertSegments(jobId: string, plan: readonly PlannedSegment[]): Promise<void> { return this.#segments.insertSegments(jobId, plan); }
  getSegment(jobId: string, idx: number): Promise<SegmentRow | undefined> { return this.#segments.getSegment(jobId, idx); }
  getSegmentStatus(jobId: string, idx: number): Promise<string | undefined> { return this.#segments.getSegmentStatus(jobId, idx); }
  listSegments(jobId: string): Promise<SegmentRow[]> { return this.#segments.listSegments(jobId); }
  updateSegment(jobId: string, idx: number, patch: Partial<Omit<SegmentRow, 'job_id' | 'idx'>>): Promise<void> { return this.#segments.updateSegment(jobId, idx, patch); }
  markSegmentStarted(jobId: string, idx: number, backend: string): Promise<void> { return this.#segments.markSegmentStarted(jobId, idx, backend); }
  failSegment(jobId: string, idx: number, errorCode: string, error: string): Promise<void> { return this.#segments.failSegment(jobId, idx, errorCode, error); }
  completeSegment(jobId: string, idx: number, result: Parameters<JobSegments['completeSegment']>[2]): Promise<boolean> { return this.#segments.completeSegment(jobId, idx, result); }
  findReusableSegments(cacheKey: string, excludeJobId: string): Promise<Map<string, { jobId: string; resultJson: string }>> { return this.#segments.findReusableSegments(cacheKey, excludeJobId); }
  cancelOpenSegments(jobId: string): Promise<void> { return this.#segments.cancelOpenSegments(jobId); }
  listFinishedSegmentsSince(sinceSec: number, limit: number): ReturnType<JobHistory['listFinishedSegmentsSince']> { return this.#history.listFinishedSegmentsSince(sinceSec, limit); }
  listJobsSince(sinceSec: number, owner?: string): ReturnType<JobHistory['listJobsSince']> { return this.#history.listJobsSince(sinceSec, owner); }
  listArrivalsSince(sinceSec: number, limit: number): ReturnType<JobHistory['listArrivalsSince']> { return this.#history.listArrivalsSince(sinceSec, limit); }
  listHistory(backend: string, limit: number): Promise<Array<{ job: JobRow; segments: HistorySegmentRow[] }>> { return this.#history.listHistory(backend, limit); }

  async countJobsByStatus(): Promise<Array<{ status: string; count: number }>> {
    const rows = await this.db.selectFrom('transcription_jobs').select(['status', (eb) => eb.fn.countAll<number>().as('count')]).groupBy('status').execute();
    return rows.map((r) => ({ status: r.status, count: Number(r.count) }));
  }

  /** Service jobs that a service process must (re)start: queued, or running when it died. */
  async listUnfinishedServiceJobs(): Promise<JobRow[]> {
    return this.db
      .selectFrom('transcription_jobs')
      .selectAll()
      .where('owner', 'is not', null)
      .where('status', 'in', ['queued', 'running'] satisfies JobStatus[])
      .orderBy('id')
      .execute();
  }

  /**
   * Jobs left 'running'/'queued' by a process on this host that no longer exists become 'interrupted'.
   * Service jobs (with an owner) are left alone: the service resumes them when it starts.
   */
  async markInterruptedJobs(isAlive: (pid: number) => boolean = pidAlive): Promise<string[]> {
    const rows = await this.db
      .selectFrom('transcription_jobs')
      .select(['id', 'pid'])
      .where('status', 'in', ['running', 'queued'] satisfies JobStatus[])
      .where('host', '=', hostname())
      .where('owner', 'is', null)
      .execute();
    const dead = rows.filter((r) => r.pid !== process.pid && !isAlive(r.pid)).map((r) => r.id);
    for (const id of dead) {
      await this.updateJob(id, { status: 'interrupted', error_code: 'INTERRUPTED', error: 'the process running this job exited before it finished' });
      await this.cancelOpenSegments(id);
    }
    return dead;
  }

  async getFileHash(path: string, sizeBytes: number, mtimeMs: number): Promise<string | undefined> {
    const row = await this.db.selectFrom('file_hashes').select('sha256').where('path', '=', path).where('size_bytes', '=', sizeBytes).where('mtime_ms', '=', mtimeMs).executeTakeFirst();
    return row?.sha256;
  }

  async putFileHash(path: string, sizeBytes: number, mtimeMs: number, sha256: string): Promise<void> {
    await this.db
      .insertInto('file_hashes')
      .values({ path, size_bytes: sizeBytes, mtime_ms: mtimeMs, sha256 })
      .onConflict((oc) => oc.column('path').doUpdateSet({ size_bytes: sizeBytes, mtime_ms: mtimeMs, sha256 }))
      .execute();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
