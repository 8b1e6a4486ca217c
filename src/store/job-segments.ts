/**
 * The segment rows of jobs (JobStore delegates here): planning them, their life from pending to
 * finished, a resumed job's kept results and finished results reusable by a re-run. Every finish
 * that stores a result goes through SegmentSearch, which indexes its text in the same statement.
 */
import type { Kysely, QueryCreator, Updateable } from 'kysely';
import type { Database, TranscriptionSegmentsTable } from './schema.js';
import { FINISHED_SEGMENT_COLUMNS, type SegmentSearch } from './search.js';
import { encodeTime, encodeTimeColumns, SEGMENT_TIME_COLUMNS, type TimeStorage } from './times.js';
import { nowSec } from '../core/time.js';
import type { PlannedSegment } from '../core/types.js';
import type { SegmentRow } from './jobs.js';

export const segmentKey = (startSec: number, endSec: number): string => `${startSec.toFixed(3)}-${endSec.toFixed(3)}`;

export class JobSegments {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly times: TimeStorage,
    private readonly search: SegmentSearch,
  ) {}

  /** A time (epoch seconds) as this database takes it. */
  #time(sec: number): number | Date {
    return encodeTime(this.times, sec);
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

  /** Segments that never finished (pending or running) of a job that ended become 'cancelled'. */
  async cancelOpenSegments(jobId: string): Promise<void> {
    await this.db
      .updateTable('transcription_segments')
      .set({ status: 'cancelled' })
      .where('job_id', '=', jobId)
      .where('status', 'in', ['pending', 'running'])
      .execute();
  }
}
