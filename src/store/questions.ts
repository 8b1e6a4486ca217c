/**
 * Questions asked of a job's transcript, and their answers: one row each, kept with the job (deleted
 * with it). Reached as `JobStore.questions`, on the store's own connection; times cross this boundary
 * as epoch seconds, like every JobStore time.
 */
import type { Kysely, Selectable } from 'kysely';
import { nowSec } from '../core/time.js';
import type { Database, TranscriptQuestionsTable } from './schema.js';
import { encodeTime, type TimeStorage } from './times.js';

export type QuestionRow = Selectable<TranscriptQuestionsTable>;
export type NewQuestion = Omit<QuestionRow, 'id' | 'created_at'> & { id?: string; createdAtSec?: number };

export function newQuestionId(): string {
  // Time-ordered like job ids, so a job's questions list in the order they were asked.
  return `q${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export class QuestionStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly times: TimeStorage,
  ) {}

  async insert(question: NewQuestion): Promise<QuestionRow> {
    const { id, createdAtSec, ...rest } = question;
    const row = { ...rest, id: id ?? newQuestionId(), created_at: createdAtSec ?? nowSec() };
    await this.db
      .insertInto('transcript_questions')
      .values({ ...row, created_at: encodeTime(this.times, row.created_at) })
      .execute();
    return row;
  }

  /** A job's questions, oldest first. */
  async list(jobId: string, limit = 1000): Promise<QuestionRow[]> {
    return this.db.selectFrom('transcript_questions').selectAll().where('job_id', '=', jobId).orderBy('created_at').orderBy('id').limit(limit).execute();
  }

  async count(jobId: string): Promise<number> {
    const row = await this.db
      .selectFrom('transcript_questions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
