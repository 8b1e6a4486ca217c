/**
 * The job store: every state change of a job and its segments goes through here. Backed by Kysely, so
 * the SQLite and PostgreSQL drivers (`registry.ts`) share this code. Times are epoch seconds for every
 * caller; on PostgreSQL they are written as Dates into `timestamptz` columns (`times.ts`).
 */
import { hostname } from 'node:os';
import { sql, type Kysely, type QueryCreator, type RawBuilder, type Selectable, type Updateable } from 'kysely';
import type { StoreDialect } from './migrations.js';
import type { Database, JobStatus, TranscriptionJobsTable, TranscriptionSegmentsTable } from './schema.js';
import { RolloutStore } from './rollout.js';
import { Evaluations } from './evaluations.js';
import { FINISHED_SEGMENT_COLUMNS, SegmentSearch } from './search.js';
import { QuestionStore } from './questions.js';
import { JobStats } from './stats.js';
import { BlobStore } from './blobs.js';
import { ClusterStore } from './cluster.js';
import { encodeTime, encodeTimeColumns, JOB_TIME_COLUMNS, SEGMENT_TIME_COLUMNS, type TimeStorage } from './times.js';
import { nowSec } from '../core/time.js';
import type { PlannedSegment } from '../core/types.js';

export type JobRow = Selectable<TranscriptionJobsTable>;
export type SegmentRow = Selectable<TranscriptionSegmentsTable>;
export type HistorySegmentRow = Pick<SegmentRow, 'job_id' | 'idx' | 'start_sec' | 'end_sec' | 'status' | 'backend' | 'attempts' | 'started_at' | 'completed_at' | 'compute_sec' | 'cold_start'>;

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

  constructor(
    // Private: every query lives in a method here, so both drivers (and their time encodings) stay in one place.
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

  /** Completed segments since `sinceSec` (epoch seconds), newest first: the workers' measured throughput. */
  async listFinishedSegmentsSince(sinceSec: number, limit: number): Promise<Array<{ backend: string; startSec: number; endSec: number; startedAtSec: number; completedAtSec: number }>> {
    const rows = await this.db
      .selectFrom('transcription_segments')
      .select(['backend', 'start_sec', 'end_sec', 'started_at', 'completed_at'])
      .where('status', '=', 'completed')
      .where('completed_at', '>=', this.#time(sinceSec) as number)
      .orderBy('completed_at', 'desc')
      .limit(limit)
      .execute();
    return rows.flatMap((r) =>
      r.backend !== null && r.started_at !== null && r.completed_at !== null
        ? [{ backend: r.backend, startSec: r.start_sec, endSec: r.end_sec, startedAtSec: Number(r.started_at), completedAtSec: Number(r.completed_at) }]
        : [],
    );
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

  /** Jobs created since `sinceSec` (one owner's, or every job's): what the dashboard's jobs per hour need. */
  async listJobsSince(sinceSec: number, owner?: string) {
    let query = this.db.selectFrom('transcription_jobs').select(['id', 'status', 'created_at', 'duration_sec']).where('created_at', '>=', this.#time(sinceSec) as number);
    if (owner !== undefined) query = query.where('owner', '=', owner);
    return query.execute();
  }

  /**
   * Job arrivals since `sinceSec`, oldest first: created_at and the probed length (jobs whose probe
   * failed have none and are left out). The demand forecast's input (src/autoscale/).
   */
  async listArrivalsSince(sinceSec: number, limit: number): Promise<Array<{ atSec: number; audioSec: number; priority: string }>> {
    const rows = await this.db
      .selectFrom('transcription_jobs')
      .select(['created_at', 'duration_sec', 'priority'])
      .where('created_at', '>=', this.#time(sinceSec) as number)
      .where('duration_sec', 'is not', null)
      .orderBy('created_at', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ atSec: Number(r.created_at), audioSec: r.duration_sec ?? 0, priority: r.priority }));
  }

  /**
   * History for the latency model (src/plan/latency/): the newest completed jobs of a primary backend
   * that did real work (no cache hit, not plan-only), each with its segments' timings (no result text).
   */
  async listHistory(backend: string, limit: number): Promise<Array<{ job: JobRow; segments: HistorySegmentRow[] }>> {
    const jobs = await this.db
      .selectFrom('transcription_jobs')
      .selectAll()
      .where('backend', '=', backend)
      .where('status', '=', 'completed')
      .where('cache_hit', '=', 0)
      .where('error', 'is', null)
      .where('started_at', 'is not', null)
      .where('completed_at', 'is not', null)
      .orderBy('completed_at', 'desc')
      .limit(limit)
      .execute();
    if (jobs.length === 0) return [];
    const rows = await this.db
      .selectFrom('transcription_segments')
      .select(['job_id', 'idx', 'start_sec', 'end_sec', 'status', 'backend', 'attempts', 'started_at', 'completed_at', 'compute_sec', 'cold_start'])
      .where('job_id', 'in', jobs.map((j) => j.id))
      .orderBy('job_id')
      .orderBy('idx')
      .execute();
    return jobs.map((job) => ({ job, segments: rows.filter((r) => r.job_id === job.id) }));
  }

  /** Finished (completed or reused) segments of a job: progress without reading their results. */
  async countFinishedSegments(jobId: string): Promise<number> {
    const row = await this.db
      .selectFrom('transcription_segments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', jobId)
      .where('status', 'in', ['completed', 'reused'])
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

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
   * A resumed job keeps its finished segments when the new plan has the same boundaries (the planner is
   * deterministic); otherwise the old rows go and the plan is inserted afresh. The old rows may be a
   * prefix of the plan: a streamed job inserts rows as it plans, so a crash can leave only the first
   * ones; the rest are inserted. Returns finished results by index. Dropped segments leave the search
   * index with them.
   */
  async resumeSegments(jobId: string, plan: readonly PlannedSegment[]): Promise<Map<number, string>> {
    const rows = await this.listSegments(jobId);
    const same = rows.length <= plan.length && rows.every((r, i) => r.idx === i && segmentKey(r.start_sec, r.end_sec) === segmentKey(plan[i]!.startSec, plan[i]!.endSec));
    if (!same) {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('segment_search').where('job_id', '=', jobId).execute();
        await trx.deleteFrom('transcription_segments').where('job_id', '=', jobId).execute();
      });
      await this.insertSegments(jobId, plan);
      return new Map();
    }
    await this.insertSegments(jobId, plan.slice(rows.length));
    await this.db
      .updateTable('transcription_segments')
      .set({ status: 'pending', started_at: null, error_code: null, error: null })
      .where('job_id', '=', jobId)
      .where('status', 'not in', ['completed', 'reused'])
      .execute();
    return new Map(rows.filter((r) => (r.status === 'completed' || r.status === 'reused') && r.result_json).map((r) => [r.idx, r.result_json!]));
  }

  async insertSegments(jobId: string, plan: readonly PlannedSegment[]): Promise<void> {
    if (plan.length === 0) return;
    const queuedAt = this.#time(nowSec());
    await this.db.transaction().execute(async (trx) => {
      // Batches keep each INSERT well under SQLite's bound-parameter limit.
      for (let i = 0; i < plan.length; i += 50) {
        await trx
          .insertInto('transcription_segments')
          .values(
            plan.slice(i, i + 50).map((s) => ({
              job_id: jobId,
              idx: s.index,
              start_sec: s.startSec,
              end_sec: s.endSec,
              status: 'pending' as const,
              backend: null,
              queued_at: queuedAt,
              started_at: null,
              completed_at: null,
              compute_sec: null,
              cold_start: null,
              error_code: null,
              error: null,
              result_json: null,
              warnings_json: null,
              reused_from_job: null,
              attempts_json: null,
              cost_usd: null,
            })),
          )
          .execute();
      }
    });
  }

  async getSegment(jobId: string, idx: number): Promise<SegmentRow | undefined> {
    return this.db.selectFrom('transcription_segments').selectAll().where('job_id', '=', jobId).where('idx', '=', idx).executeTakeFirst();
  }

  /** Just the status (a primary-key lookup that reads no result text): for cheap polling. */
  async getSegmentStatus(jobId: string, idx: number): Promise<string | undefined> {
    const row = await this.db.selectFrom('transcription_segments').select('status').where('job_id', '=', jobId).where('idx', '=', idx).executeTakeFirst();
    return row?.status;
  }

  async listSegments(jobId: string): Promise<SegmentRow[]> {
    return this.db.selectFrom('transcription_segments').selectAll().where('job_id', '=', jobId).orderBy('idx').execute();
  }

  /** A patch that finishes the segment with a result (a reused one) indexes its text for search too. */
  async updateSegment(jobId: string, idx: number, patch: Partial<Omit<SegmentRow, 'job_id' | 'idx'>>): Promise<void> {
    const values = encodeTimeColumns(this.times, patch, SEGMENT_TIME_COLUMNS) as Updateable<TranscriptionSegmentsTable>;
    const update = (db: QueryCreator<Database>) => db.updateTable('transcription_segments').set(values).where('job_id', '=', jobId).where('idx', '=', idx);
    if ((patch.status === 'completed' || patch.status === 'reused') && patch.result_json) {
      await this.search.finishSegment(patch.result_json, (db) => update(db).returning(FINISHED_SEGMENT_COLUMNS));
    } else {
      await update(this.db).execute();
    }
  }

  /**
   * A finished segment stays finished: a stale run (a queue worker presumed dead that comes back, a
   * re-delivered task whose result was already stored) neither reopens it nor marks it failed.
   */
  async markSegmentStarted(jobId: string, idx: number, backend: string): Promise<void> {
    await this.db
      .updateTable('transcription_segments')
      .set((eb) => ({
        status: 'running',
        backend,
        // A segment's life starts at its first dispatch; retries stay inside it.
        started_at: eb.fn.coalesce('started_at', eb.val(this.#time(nowSec()))),
        attempts: eb('attempts', '+', 1),
      }))
      .where('job_id', '=', jobId)
      .where('idx', '=', idx)
      .where('status', 'not in', ['completed', 'reused'])
      .execute();
  }

  /** Records a segment's failure, unless it is finished (see markSegmentStarted). */
  async failSegment(jobId: string, idx: number, errorCode: string, error: string): Promise<void> {
    await this.db
      .updateTable('transcription_segments')
      .set({ status: 'failed', error_code: errorCode, error })
      .where('job_id', '=', jobId)
      .where('idx', '=', idx)
      .where('status', 'not in', ['completed', 'reused'])
      .execute();
  }

  /**
   * Stores a result exactly once: a second completion of the same segment (a duplicate run) is a
   * no-op. Returns whether this call stored it. The text is indexed for search with it (atomically).
   */
  async completeSegment(
    jobId: string,
    idx: number,
    result: { resultJson: string; computeSec: number; coldStart: boolean; warningsJson: string; backend: string; costUsd: number },
  ): Promise<boolean> {
    return this.search.finishSegment(result.resultJson, (db) =>
      db
        .updateTable('transcription_segments')
        .set({
          status: 'completed',
          completed_at: this.#time(nowSec()),
          compute_sec: result.computeSec,
          cold_start: result.coldStart ? 1 : 0,
          result_json: result.resultJson,
          warnings_json: result.warningsJson,
          backend: result.backend,
          cost_usd: result.costUsd,
          error_code: null,
          error: null,
        })
        .where('job_id', '=', jobId)
        .where('idx', '=', idx)
        .where('status', 'not in', ['completed', 'reused'])
        .returning(FINISHED_SEGMENT_COLUMNS),
    );
  }

  /**
   * Completed segment results of earlier jobs with the same cache key and the same boundaries: a re-run
   * of a job that died half-way does only what is missing.
   */
  async findReusableSegments(cacheKey: string, excludeJobId: string): Promise<Map<string, { jobId: string; resultJson: string }>> {
    const rows = await this.db
      .selectFrom('transcription_segments as s')
      .innerJoin('transcription_jobs as j', 'j.id', 's.job_id')
      .select(['s.job_id', 's.start_sec', 's.end_sec', 's.result_json'])
      .where('j.cache_key', '=', cacheKey)
      .where('j.id', '!=', excludeJobId)
      .where('s.status', 'in', ['completed', 'reused'])
      .where('s.result_json', 'is not', null)
      // A fallback's result is not what this cache key promises.
      .whereRef('s.backend', '=', 'j.backend')
      .execute();
    const found = new Map<string, { jobId: string; resultJson: string }>();
    for (const row of rows) found.set(segmentKey(row.start_sec, row.end_sec), { jobId: row.job_id, resultJson: row.result_json! });
    return found;
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

  /** Segments that never finished (pending or running) of a job that ended become 'cancelled'. */
  async cancelOpenSegments(jobId: string): Promise<void> {
    await this.db
      .updateTable('transcription_segments')
      .set({ status: 'cancelled' })
      .where('job_id', '=', jobId)
      .where('status', 'in', ['pending', 'running'])
      .execute();
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

export const segmentKey = (startSec: number, endSec: number): string => `${startSec.toFixed(3)}-${endSec.toFixed(3)}`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
