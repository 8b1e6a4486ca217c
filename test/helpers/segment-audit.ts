/**
 * Evidence for distributed-mode failure tests, read beside parascribe rather than through it:
 * - a write log on a test database (a trigger that records every write of a segment's result), so a
 *   result stored twice shows up even when the second write put the same text back;
 * - the segment rows' consistency, checked with SQL on the database directly;
 * - which segment task a `parascribe worker` process holds right now, from the file the worker
 *   downloads the segment's audio into (`parascribe-worker-<pid>-<task id>.wav` in the temp dir,
 *   removed when the task ends; a SIGKILLed worker leaves it behind).
 */
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryDatabase } from './postgres.js';

/** Installs the write log; run it after the first parascribe process has migrated the database. */
export async function installSegmentWriteLog(url: string): Promise<void> {
  await queryDatabase(url, 'CREATE TABLE test_segment_writes (job_id text NOT NULL, idx integer NOT NULL, status text, at timestamptz NOT NULL DEFAULT clock_timestamp())');
  await queryDatabase(
    url,
    `CREATE FUNCTION test_log_segment_write() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN INSERT INTO test_segment_writes (job_id, idx, status) VALUES (NEW.job_id, NEW.idx, NEW.status); RETURN NULL; END $$`,
  );
  // UPDATE OF fires whenever result_json is in the SET list, even when the value written is the same.
  await queryDatabase(
    url,
    'CREATE TRIGGER test_segment_writes AFTER UPDATE OF result_json ON transcription_segments FOR EACH ROW WHEN (NEW.result_json IS NOT NULL) EXECUTE PROCEDURE test_log_segment_write()',
  );
}

export interface SegmentAudit {
  segments: number;
  /** One line per inconsistency; empty when every row is completed and its result was written once. */
  problems: string[];
}

/** Every segment of these jobs: rows 0..n-1, completed with a result, the result written exactly once. */
export async function auditSegments(url: string, jobIds: readonly string[]): Promise<SegmentAudit> {
  const rows = await queryDatabase<{ job_id: string; idx: number; status: string; has_result: boolean; completed: boolean; chunks: number; writes: number }>(
    url,
    `SELECT s.job_id, s.idx, s.status, s.result_json IS NOT NULL AS has_result, s.completed_at IS NOT NULL AS completed, j.chunk_count AS chunks,
            (SELECT count(*)::int FROM test_segment_writes w WHERE w.job_id = s.job_id AND w.idx = s.idx) AS writes
       FROM transcription_segments s JOIN transcription_jobs j ON j.id = s.job_id
      WHERE s.job_id = ANY($1) ORDER BY s.job_id, s.idx`,
    [jobIds],
  );
  const problems: string[] = [];
  for (const id of jobIds) {
    const own = rows.filter((r) => r.job_id === id);
    const chunks = own[0]?.chunks ?? 0;
    if (own.length === 0 || own.length !== chunks) problems.push(`${id}: ${own.length} segment rows for ${chunks} chunks`);
    own.forEach((r, i) => {
      if (r.idx !== i) problems.push(`${id}#${r.idx}: row out of sequence (expected idx ${i})`);
      if (r.status !== 'completed' || !r.has_result || !r.completed) problems.push(`${id}#${r.idx}: status ${r.status}, result ${r.has_result}, completed_at ${r.completed}`);
      if (r.writes !== 1) problems.push(`${id}#${r.idx}: result written ${r.writes} times`);
    });
  }
  return { segments: rows.length, problems };
}

/** The task a worker process holds now, and since when (its audio file's age), or undefined. */
export function heldTask(pid: number): { taskId: string; ageMs: number; file: string } | undefined {
  const prefix = `parascribe-worker-${pid}-`;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix) || !name.endsWith('.wav')) continue;
    const file = join(tmpdir(), name);
    try {
      return { taskId: name.slice(prefix.length, -'.wav'.length), ageMs: Date.now() - statSync(file).mtimeMs, file };
    } catch {
      // gone between the listing and the stat: the task just ended
    }
  }
  return undefined;
}
