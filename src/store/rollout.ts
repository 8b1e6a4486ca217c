/**
 * The store's side of shadow sampling and canary rollouts (src/rollout/): a row per segment transcribed
 * again off the job's path (`segment_shadows`), and a row per canary rollout with its counts and
 * verdict (`canary_rollouts`). Counts are incremented in the database, so every process that sends
 * segments to a candidate (a server, any number of workers) adds to the same totals, and a verdict is
 * written once: the process whose update moves the status is the one that logs it.
 */
import type { Kysely, Selectable } from 'kysely';
import { nowSec } from '../core/time.js';
import type { CanaryRolloutsTable, Database, SegmentShadowsTable } from './schema.js';
import { encodeTime, type TimeStorage } from './times.js';

export type ShadowRow = Selectable<SegmentShadowsTable>;
export type CanaryRolloutRow = Selectable<CanaryRolloutsTable>;
export type NewShadow = Omit<ShadowRow, 'id' | 'created_at'>;

/** The numeric columns of a rollout as numbers (PostgreSQL may hand some back as strings). */
function numeric(row: CanaryRolloutRow): CanaryRolloutRow {
  return {
    ...row,
    segments: Number(row.segments),
    errors: Number(row.errors),
    compared: Number(row.compared),
    wer_sum: Number(row.wer_sum),
    candidate_sec: Number(row.candidate_sec),
    reference_sec: Number(row.reference_sec),
  };
}

export class RolloutStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly times: TimeStorage,
  ) {}

  #now(): number | Date {
    return encodeTime(this.times, nowSec());
  }

  /** Records a shadow (the first per segment and kind; a later one is dropped). Returns whether it was stored. */
  async insertShadow(shadow: NewShadow): Promise<boolean> {
    const rows = await this.db
      .insertInto('segment_shadows')
      .values({ ...shadow, created_at: this.#now() })
      .onConflict((oc) => oc.columns(['job_id', 'idx', 'kind']).doNothing())
      .returning('id')
      .execute();
    return rows.length > 0;
  }

  async listShadows(jobId: string): Promise<ShadowRow[]> {
    return this.db.selectFrom('segment_shadows').selectAll().where('job_id', '=', jobId).orderBy('idx').orderBy('kind').execute();
  }

  /** Rows after `afterId`, oldest first (the /metrics histogram's feed). */
  async shadowsAfter(afterId: number, limit = 1000): Promise<ShadowRow[]> {
    return this.db.selectFrom('segment_shadows').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
  }

  async lastShadowId(): Promise<number> {
    const row = await this.db.selectFrom('segment_shadows').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** The rollout's row, created (active, no counts) if it is new. */
  async ensureRollout(rollout: string, backend: string, compareWith: string): Promise<CanaryRolloutRow> {
    const now = this.#now();
    await this.db
      .insertInto('canary_rollouts')
      .values({ rollout, backend, compare_with: compareWith, status: 'active', reason: null, segments: 0, errors: 0, compared: 0, wer_sum: 0, candidate_sec: 0, reference_sec: 0, created_at: now, updated_at: now, decided_at: null })
      .onConflict((oc) => oc.column('rollout').doNothing())
      .execute();
    return (await this.getRollout(rollout))!;
  }

  async getRollout(rollout: string): Promise<CanaryRolloutRow | undefined> {
    const row = await this.db.selectFrom('canary_rollouts').selectAll().where('rollout', '=', rollout).executeTakeFirst();
    return row && numeric(row);
  }

  /** Every rollout, newest first; only those of these candidates when given. */
  async listRollouts(backends?: readonly string[]): Promise<CanaryRolloutRow[]> {
    let query = this.db.selectFrom('canary_rollouts').selectAll();
    if (backends) {
      if (backends.length === 0) return [];
      query = query.where('backend', 'in', [...backends]);
    }
    return (await query.orderBy('created_at', 'desc').execute()).map(numeric);
  }

  /** Adds one ended canary attempt; returns the row as it is now. */
  async addCanarySegment(rollout: string, failed: boolean): Promise<CanaryRolloutRow | undefined> {
    const row = await this.db
      .updateTable('canary_rollouts')
      .set((eb) => ({ segments: eb('segments', '+', 1), errors: eb('errors', '+', failed ? 1 : 0), updated_at: this.#now() }))
      .where('rollout', '=', rollout)
      .returningAll()
      .executeTakeFirst();
    return row && numeric(row);
  }

  /** Adds one comparison of a candidate result with compareWith's; returns the row as it is now. */
  async addCanaryComparison(rollout: string, comparison: { wer: number; candidateSec: number; referenceSec: number }): Promise<CanaryRolloutRow | undefined> {
    const row = await this.db
      .updateTable('canary_rollouts')
      .set((eb) => ({
        compared: eb('compared', '+', 1),
        wer_sum: eb('wer_sum', '+', comparison.wer),
        candidate_sec: eb('candidate_sec', '+', comparison.candidateSec),
        reference_sec: eb('reference_sec', '+', comparison.referenceSec),
        updated_at: this.#now(),
      }))
      .where('rollout', '=', rollout)
      .returningAll()
      .executeTakeFirst();
    return row && numeric(row);
  }

  /**
   * Moves the rollout to `status` unless it is already there or rolled back (final). Returns whether
   * this call moved it: of several processes judging at once, one wins and logs the verdict.
   */
  async decide(rollout: string, status: string, reason: string | null): Promise<boolean> {
    const rows = await this.db
      .updateTable('canary_rollouts')
      .set({ status, reason, decided_at: this.#now(), updated_at: this.#now() })
      .where('rollout', '=', rollout)
      .where('status', '!=', status)
      .where('status', '!=', 'rolled-back')
      .returning('rollout')
      .execute();
    return rows.length > 0;
  }

  /** Rollbacks decided since `sinceSec`, by candidate (the rollbacks counter's feed). */
  async countRollbacksSince(sinceSec: number): Promise<Array<{ backend: string; count: number }>> {
    const rows = await this.db
      .selectFrom('canary_rollouts')
      .select(['backend', (eb) => eb.fn.countAll<number>().as('count')])
      .where('status', '=', 'rolled-back')
      .where('decided_at', '>=', encodeTime(this.times, sinceSec) as number)
      .groupBy('backend')
      .execute();
    return rows.map((r) => ({ backend: r.backend, count: Number(r.count) }));
  }
}
