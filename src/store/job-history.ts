/**
 * Read-only queries over past work by time (JobStore delegates here): the workers' measured throughput,
 * the dashboard's jobs per hour, arrivals for the demand forecast, segment timings for the latency model.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { encodeTime, type TimeStorage } from './times.js';
import type { HistorySegmentRow, JobRow } from './jobs.js';

export class JobHistory {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly times: TimeStorage,
  ) {}

  /** A time (epoch seconds) as this database takes it. */
  #time(sec: number): number | Date {
    return encodeTime(this.times, sec);
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
}
