/**
 * Operational statistics over the job rows (`parascribe stats`, `GET /v1/stats`), per primary backend
 * and in total. Counts and sums are SQL aggregates; the percentiles are computed here from the
 * per-job latencies the database returns, by linear interpolation between closest ranks (what
 * PostgreSQL's `percentile_cont` gives: SQLite has no percentile function). Definitions are in
 * docs/operations.md; in short:
 *
 * - a job counts when it was created in the window (and matches the backend and owner asked for);
 *   plan-only runs (completed with error 'plan only') never count;
 * - per backend means per job's primary backend (`transcription_jobs.backend`): a segment a fallback
 *   served counts toward its job's backend;
 * - turnaround: created → completed, of completed jobs; first words: created → segment 0's result
 *   stored (or the job's completion where segment 0 was not computed by it: cache hits, reuse);
 * - error rate: (failed + interrupted) / (completed + failed + interrupted); cancelled jobs are the
 *   caller's choice and are not errors; queued and running ones have no outcome yet;
 * - retries: segment attempts beyond the first; cost: the segments' cost (failed jobs' too), per
 *   audio minute of completed jobs; cache hit rate: completed jobs answered from the cache.
 */
import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { StoreDialect } from './migrations.js';
import type { Database } from './schema.js';
import { encodeTime, type TimeStorage } from './times.js';

export interface StatsQuery {
  /** Jobs created at or after this time (epoch seconds). */
  sinceSec: number;
  /** Only jobs whose primary backend is this one. */
  backend?: string | undefined;
  /** Only this owner's jobs (an API key's hash); undefined: every job (the CLI, an admin key). */
  owner?: string | undefined;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface BackendStats {
  /** The primary backend, or '*' for the total. */
  backend: string;
  jobs: number;
  completed: number;
  failed: number;
  cancelled: number;
  interrupted: number;
  /** Queued or running. */
  active: number;
  /** Seconds of audio in completed jobs. */
  audioSec: number;
  /** null when no job completed. */
  turnaroundSec: Percentiles | null;
  firstWordsSec: Percentiles | null;
  /** null when no job has an outcome yet. */
  errorRate: number | null;
  segments: number;
  retries: number;
  costUsd: number;
  /** null without completed audio. */
  costPerAudioMinuteUsd: number | null;
  cacheHits: number;
  /** null when no job completed. */
  cacheHitRate: number | null;
}

export interface StatsReport {
  sinceSec: number;
  untilSec: number;
  backend: string | null;
  owner: string | null;
  total: BackendStats;
  backends: BackendStats[];
}

/** Linear interpolation between closest ranks (PostgreSQL's percentile_cont); `sorted` ascending, non-empty. */
export function percentile(sorted: readonly number[], p: number): number {
  const position = p * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (position - lower) * (sorted[upper]! - sorted[lower]!);
}

function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
}

interface Sums {
  jobs: number;
  completed: number;
  failed: number;
  cancelled: number;
  interrupted: number;
  active: number;
  audioSec: number;
  cacheHits: number;
  segments: number;
  retries: number;
  costUsd: number;
}

const ZERO: Sums = { jobs: 0, completed: 0, failed: 0, cancelled: 0, interrupted: 0, active: 0, audioSec: 0, cacheHits: 0, segments: 0, retries: 0, costUsd: 0 };

function finish(backend: string, sums: Sums, turnaround: number[], firstWords: number[]): BackendStats {
  const decided = sums.completed + sums.failed + sums.interrupted;
  return {
    backend,
    ...sums,
    turnaroundSec: percentiles(turnaround),
    firstWordsSec: percentiles(firstWords),
    errorRate: decided > 0 ? (sums.failed + sums.interrupted) / decided : null,
    costPerAudioMinuteUsd: sums.audioSec > 0 ? sums.costUsd / (sums.audioSec / 60) : null,
    cacheHitRate: sums.completed > 0 ? sums.cacheHits / sums.completed : null,
  };
}

const count = (condition: RawBuilder<unknown>) => sql<number>`sum(case when ${condition} then 1 else 0 end)`;

export class JobStats {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
    private readonly times: TimeStorage,
  ) {}

  /** Seconds from `from` to `to` (two time columns) as a double on either database. */
  #seconds(from: Expression<unknown>, to: Expression<unknown>): RawBuilder<number> {
    return this.dialect === 'postgres' ? sql<number>`cast(extract(epoch from (${to} - ${from})) as double precision)` : sql<number>`(${to} - ${from})`;
  }

  /** The jobs a query covers (alias j). */
  #jobs(query: StatsQuery) {
    let jobs = this.db
      .selectFrom('transcription_jobs as j')
      .where('j.created_at', '>=', encodeTime(this.times, query.sinceSec) as number)
      .where(sql<SqlBool>`coalesce(j.error, '') <> 'plan only'`);
    if (query.backend !== undefined) jobs = jobs.where('j.backend', '=', query.backend);
    if (query.owner !== undefined) jobs = jobs.where('j.owner', '=', query.owner);
    return jobs;
  }

  async report(query: StatsQuery, untilSec: number): Promise<StatsReport> {
    const jobRows = await this.#jobs(query)
      .select([
        'j.backend',
        sql<number>`count(*)`.as('jobs'),
        count(sql`j.status = 'completed'`).as('completed'),
        count(sql`j.status = 'failed'`).as('failed'),
        count(sql`j.status = 'cancelled'`).as('cancelled'),
        count(sql`j.status = 'interrupted'`).as('interrupted'),
        count(sql`j.status in ('queued', 'running')`).as('active'),
        sql<number>`sum(case when j.status = 'completed' then coalesce(j.duration_sec, 0) else 0 end)`.as('audio_sec'),
        count(sql`j.status = 'completed' and j.cache_hit = 1`).as('cache_hits'),
      ])
      .groupBy('j.backend')
      .execute();
    const segmentRows = await this.#jobs(query)
      .innerJoin('transcription_segments as s', 's.job_id', 'j.id')
      .select([
        'j.backend',
        sql<number>`count(*)`.as('segments'),
        sql<number>`sum(case when s.attempts > 1 then s.attempts - 1 else 0 end)`.as('retries'),
        sql<number>`sum(coalesce(s.cost_usd, 0))`.as('cost_usd'),
      ])
      .groupBy('j.backend')
      .execute();
    const latencyRows = await this.#jobs(query)
      .leftJoin('transcription_segments as first', (join) => join.onRef('first.job_id', '=', 'j.id').on('first.idx', '=', 0).on('first.status', '=', 'completed'))
      .select([
        'j.backend',
        this.#seconds(sql.ref('j.created_at'), sql.ref('j.completed_at')).as('turnaround'),
        this.#seconds(sql.ref('j.created_at'), sql`coalesce(${sql.ref('first.completed_at')}, ${sql.ref('j.completed_at')})`).as('first_words'),
      ])
      .where('j.status', '=', 'completed')
      .where('j.completed_at', 'is not', null)
      .execute();

    const sums = new Map<string, Sums>();
    const sumsOf = (backend: string): Sums => {
      let entry = sums.get(backend);
      if (!entry) sums.set(backend, (entry = { ...ZERO }));
      return entry;
    };
    for (const r of jobRows) {
      Object.assign(sumsOf(r.backend), {
        jobs: Number(r.jobs),
        completed: Number(r.completed),
        failed: Number(r.failed),
        cancelled: Number(r.cancelled),
        interrupted: Number(r.interrupted),
        active: Number(r.active),
        audioSec: Number(r.audio_sec ?? 0),
        cacheHits: Number(r.cache_hits),
      });
    }
    for (const r of segmentRows) Object.assign(sumsOf(r.backend), { segments: Number(r.segments), retries: Number(r.retries ?? 0), costUsd: Number(r.cost_usd ?? 0) });
    const latencies = new Map<string, { turnaround: number[]; firstWords: number[] }>();
    for (const r of latencyRows) {
      let entry = latencies.get(r.backend);
      if (!entry) latencies.set(r.backend, (entry = { turnaround: [], firstWords: [] }));
      entry.turnaround.push(Number(r.turnaround));
      entry.firstWords.push(Number(r.first_words));
    }

    const backends = [...sums.keys()].sort().map((b) => finish(b, sums.get(b)!, latencies.get(b)?.turnaround ?? [], latencies.get(b)?.firstWords ?? []));
    const total = { ...ZERO };
    for (const s of sums.values()) for (const key of Object.keys(ZERO) as Array<keyof Sums>) total[key] += s[key];
    const all = [...latencies.values()];
    return {
      sinceSec: query.sinceSec,
      untilSec,
      backend: query.backend ?? null,
      owner: query.owner ?? null,
      total: finish('*', total, all.flatMap((l) => l.turnaround), all.flatMap((l) => l.firstWords)),
      backends,
    };
  }
}
