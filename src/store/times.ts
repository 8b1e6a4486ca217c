/**
 * Times cross the store boundary as epoch seconds (numbers), whatever the database keeps. SQLite keeps
 * them as REAL epoch seconds, so nothing changes there. PostgreSQL keeps `timestamptz`, so that the seed
 * study's `EXTRACT(EPOCH FROM (completed_at - started_at))` runs verbatim: JobStore encodes a number as
 * a Date on the way in (pg sends it with an explicit UTC offset), and the PostgreSQL pool's own type parser turns
 * every `timestamptz` back into epoch seconds on the way out (`postgres.ts`), so rows read need no
 * decoding here.
 */

/** How a driver keeps times: 'epoch' = REAL seconds (SQLite), 'timestamptz' (PostgreSQL). */
export type TimeStorage = 'epoch' | 'timestamptz';

export const JOB_TIME_COLUMNS = ['created_at', 'started_at', 'completed_at'] as const;
export const SEGMENT_TIME_COLUMNS = ['queued_at', 'started_at', 'completed_at'] as const;

/** One time value for the database: the number itself, or a Date rounded to the millisecond. */
export function encodeTime(storage: TimeStorage, sec: number): number | Date {
  return storage === 'epoch' ? sec : new Date(Math.round(sec * 1000));
}

/** A copy of a row or patch with its time columns encoded (null and absent columns stay as they are). */
export function encodeTimeColumns<T extends object>(storage: TimeStorage, values: T, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(values as Record<string, unknown>) };
  if (storage === 'epoch') return out;
  for (const column of columns) {
    const value = out[column];
    if (typeof value === 'number') out[column] = encodeTime(storage, value);
  }
  return out;
}
