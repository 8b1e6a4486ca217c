/**
 * Stored `parascribe eval` results (table `evaluations`, one row per file and backend of a run), so
 * that a later run can show its change against the last one (`eval --compare`). Exposed as
 * `JobStore.evaluations`; times cross this boundary as epoch seconds like everywhere in the store.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, EvaluationsTable } from './schema.js';
import { encodeTime, type TimeStorage } from './times.js';

export type EvaluationRow = Selectable<EvaluationsTable>;
export type NewEvaluation = Omit<Insertable<EvaluationsTable>, 'id' | 'run_id' | 'created_at'>;

export function newRunId(): string {
  return `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export class Evaluations {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly times: TimeStorage,
  ) {}

  /** Stores one run's rows, all with the run's id and time. */
  async insertRun(runId: string, createdAtSec: number, rows: readonly NewEvaluation[]): Promise<void> {
    if (rows.length === 0) return;
    const createdAt = encodeTime(this.times, createdAtSec);
    const values = rows.map((row, i) => ({ ...row, id: `${runId}-${String(i).padStart(5, '0')}`, run_id: runId, created_at: createdAt }));
    await this.db.transaction().execute(async (trx) => {
      // Batches keep each INSERT well under SQLite's bound-parameter limit.
      for (let i = 0; i < values.length; i += 50) await trx.insertInto('evaluations').values(values.slice(i, i + 50)).execute();
    });
  }

  async listRun(runId: string): Promise<EvaluationRow[]> {
    return this.db.selectFrom('evaluations').selectAll().where('run_id', '=', runId).orderBy('id').execute();
  }

  /** The newest runs, newest first: their ids and times. */
  async latestRuns(limit: number): Promise<Array<{ runId: string; createdAtSec: number }>> {
    const rows = await this.db
      .selectFrom('evaluations')
      .select(['run_id', (eb) => eb.fn.max('created_at').as('created_at')])
      .groupBy('run_id')
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ runId: r.run_id, createdAtSec: Number(r.created_at) }));
  }

  /**
   * For each (file, backend) of a run: the newest successful row of the same file and backend from an
   * earlier run (what `--compare` shows the change against). Keyed by `compareKey`.
   */
  async previousOf(runId: string, createdAtSec: number, pairs: ReadonlyArray<{ file: string; backend: string }>): Promise<Map<string, EvaluationRow>> {
    const found = new Map<string, EvaluationRow>();
    if (pairs.length === 0) return found;
    const files = [...new Set(pairs.map((p) => p.file))];
    const backends = [...new Set(pairs.map((p) => p.backend))];
    const rows = await this.db
      .selectFrom('evaluations')
      .selectAll()
      .where('run_id', '!=', runId)
      .where('created_at', '<', encodeTime(this.times, createdAtSec) as number)
      .where('status', '=', 'ok')
      .where('file', 'in', files)
      .where('backend', 'in', backends)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    for (const row of rows) {
      const key = compareKey(row);
      if (!found.has(key)) found.set(key, row);
    }
    return found;
  }
}

export const compareKey = (row: { file: string; backend: string }): string => `${row.backend}\u0000${row.file}`;
