/**
 * `store.stats.report` on both drivers equals a direct SQL computation over the same rows: counts and
 * sums with plain GROUP BYs, percentiles with PostgreSQL's percentile_cont and, on SQLite (which has
 * none), the same interpolation written with window functions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { storeDriverCases } from '../../test/helpers/store-drivers.js';
import { seededRandom } from '../plan/latency/random.js';
import type { JobStatus } from './schema.js';
import type { JobStore } from './jobs.js';
import { openStore } from './registry.js';
import { percentile, type BackendStats, type StatsQuery } from './stats.js';

const NOW = 2_000_000_000;
const HOUR = 3600;

/** ~60 jobs over 3 days, three backends, two owners and the CLI, every status, retries, cache hits, plan-only runs. */
async function seed(store: JobStore): Promise<void> {
  const random = seededRandom(16);
  const statuses: JobStatus[] = ['completed', 'completed', 'completed', 'completed', 'failed', 'cancelled', 'interrupted', 'running', 'queued'];
  for (let i = 0; i < 60; i++) {
    const id = `jstats${String(i).padStart(3, '0')}`;
    const backend = ['pocketsphinx', 'remote', 'whisper'][i % 3]!;
    const owner = [null, 'k_alice', 'k_bob'][Math.floor(i / 3) % 3]!;
    await store.createJob({ id, source: `/a/${id}.wav`, segmentSec: 60, backend, format: 'txt', language: 'en', priority: 'normal', options: {}, owner });
    const status = statuses[Math.floor(random() * statuses.length)]!;
    const createdAt = NOW - random() * 72 * HOUR;
    const duration = 30 + random() * 600;
    const planOnly = i % 17 === 5;
    const cacheHit = status === 'completed' && i % 7 === 0 ? 1 : 0;
    const wall = 2 + random() * 300;
    await store.updateJob(id, {
      status: planOnly ? 'completed' : status,
      created_at: createdAt,
      started_at: status === 'queued' ? null : createdAt + random() * 20,
      completed_at: ['completed', 'failed', 'cancelled', 'interrupted'].includes(status) || planOnly ? createdAt + 20 + wall : null,
      duration_sec: duration,
      cache_hit: cacheHit,
      cost_usd: 123, // never read: the stats sum the segments' cost
      ...(planOnly ? { error: 'plan only' } : status === 'failed' ? { error: 'boom', error_code: 'BACKEND_FAILED' } : {}),
    });
    if (cacheHit || status === 'queued') continue;
    const count = 1 + Math.floor(duration / 120);
    await store.insertSegments(
      id,
      Array.from({ length: count }, (_, index) => ({ index, startSec: index * 120, endSec: Math.min(duration, (index + 1) * 120), cutAfter: 'pause' as const })),
    );
    for (let idx = 0; idx < count; idx++) {
      const done = status === 'completed' || random() < 0.5;
      // Segment 0 is sometimes reused from an earlier job (no completed_at of this job's).
      const reused = status === 'completed' && idx === 0 && i % 5 === 1;
      await store.updateSegment(id, idx, {
        status: reused ? 'reused' : done ? 'completed' : 'failed',
        attempts: 1 + (random() < 0.3 ? Math.floor(random() * 4) : 0),
        backend,
        started_at: createdAt + 5,
        completed_at: done && !reused ? createdAt + 10 + random() * wall : null,
        cost_usd: backend === 'remote' ? 0.006 * ((Math.min(duration, (idx + 1) * 120) - idx * 120) / 60) : 0,
      });
    }
  }
}

type Expected = Omit<BackendStats, 'errorRate' | 'costPerAudioMinuteUsd' | 'cacheHitRate'>;

/** Independent SQL for the same numbers, written out per dialect. */
async function direct(store: JobStore, dialect: 'sqlite' | 'postgres', query: StatsQuery): Promise<Map<string, Expected>> {
  const time = (sec: number) => (dialect === 'sqlite' ? String(sec) : `to_timestamp(${sec})`);
  const secs = (from: string, to: string) => (dialect === 'sqlite' ? `(${to} - ${from})` : `extract(epoch from (${to} - ${from}))::float8`);
  const filter = [
    `created_at >= ${time(query.sinceSec)}`,
    `(error is null or error <> 'plan only')`,
    ...(query.backend ? [`backend = '${query.backend}'`] : []),
    ...(query.owner ? [`owner = '${query.owner}'`] : []),
  ].join(' and ');
  const jobs = `(select * from transcription_jobs where ${filter})`;
  const rows = await store.query<Record<string, unknown>>(
    sql.raw(`select backend, status, count(*) as n, sum(duration_sec) as audio, sum(cache_hit) as hits from ${jobs} as jj group by backend, status`),
  );
  const segs = await store.query<Record<string, unknown>>(
    sql.raw(`select j.backend, count(*) as n, sum(s.attempts - 1) as retries, sum(s.cost_usd) as cost
      from transcription_segments s join ${jobs} j on j.id = s.job_id where s.attempts >= 1 group by j.backend`),
  );
  const unattempted = await store.query<Record<string, unknown>>(
    sql.raw(`select j.backend, count(*) as n from transcription_segments s join ${jobs} j on j.id = s.job_id where s.attempts < 1 group by j.backend`),
  );
  const first = `coalesce((select s.completed_at from transcription_segments s where s.job_id = j.id and s.idx = 0 and s.status = 'completed'), j.completed_at)`;
  const lat = `(select j.backend, ${secs('j.created_at', 'j.completed_at')} as turnaround, ${secs('j.created_at', first)} as first_words from ${jobs} j where j.status = 'completed')`;
  const pct = async (column: string, p: number, byBackend: boolean): Promise<Map<string, number>> => {
    const key = byBackend ? 'backend' : `'*'`;
    const text =
      dialect === 'postgres'
        ? `select ${key} as backend, percentile_cont(${p}) within group (order by ${column}) as v from ${lat} l group by 1`
        : `with r as (select ${key} as backend, ${column} as v, row_number() over (partition by ${key} order by ${column}) - 1 as i, count(*) over (partition by ${key}) as n from ${lat} l),
             q as (select backend, v, i, (n - 1) * ${p} as pos, cast((n - 1) * ${p} as integer) as lo from r)
           select backend, sum(case when i = lo then v * (1 - (pos - lo)) when i = lo + 1 then v * (pos - lo) else 0 end) as v from q group by backend`;
    return new Map((await store.query<{ backend: string; v: number }>(sql.raw(text))).map((r) => [r.backend, Number(r.v)]));
  };
  const expected = new Map<string, Expected>();
  const entry = (backend: string): Expected => {
    let e = expected.get(backend);
    if (!e) {
      e = { backend, jobs: 0, completed: 0, failed: 0, cancelled: 0, interrupted: 0, active: 0, audioSec: 0, turnaroundSec: null, firstWordsSec: null, segments: 0, retries: 0, costUsd: 0, cacheHits: 0 };
      expected.set(backend, e);
    }
    return e;
  };
  for (const r of rows) {
    for (const e of [entry(String(r.backend)), entry('*')]) {
      const n = Number(r.n);
      e.jobs += n;
      if (r.status === 'queued' || r.status === 'running') e.active += n;
      else e[r.status as 'completed' | 'failed' | 'cancelled' | 'interrupted'] += n;
      if (r.status === 'completed') {
        e.audioSec += Number(r.audio);
        e.cacheHits += Number(r.hits);
      }
    }
  }
  for (const r of segs) {
    for (const e of [entry(String(r.backend)), entry('*')]) {
      e.segments += Number(r.n);
      e.retries += Number(r.retries);
      e.costUsd += Number(r.cost);
    }
  }
  for (const r of unattempted) for (const e of [entry(String(r.backend)), entry('*')]) e.segments += Number(r.n);
  for (const [field, column] of [['turnaroundSec', 'turnaround'], ['firstWordsSec', 'first_words']] as const) {
    for (const byBackend of [true, false]) {
      const [p50, p95, p99] = [await pct(column, 0.5, byBackend), await pct(column, 0.95, byBackend), await pct(column, 0.99, byBackend)];
      for (const [backend, v] of p50) entry(backend)[field] = { p50: v, p95: p95.get(backend)!, p99: p99.get(backend)! };
    }
  }
  return expected;
}

function assertClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${path}: ${actual} ≠ ${expected}`);
  } else if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${path}: ${String(actual)} is not an object`);
    for (const key of Object.keys(expected)) assertClose((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

test('percentile: linear interpolation between closest ranks (percentile_cont)', () => {
  assert.equal(percentile([5], 0.99), 5);
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs(percentile([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95) - 95) < 1e-9);
});

for (const driver of await storeDriverCases('stats')) {
  describe(`stats on ${driver.name}`, { skip: driver.skip }, () => {
    let store: JobStore;
    before(async () => {
      store = await openStore(await driver.settings());
      await seed(store);
    });
    after(async () => {
      await store?.close();
      await driver.cleanup();
    });

    const queries: Array<[string, StatsQuery]> = [
      ['every job of the last 24 h', { sinceSec: NOW - 24 * HOUR }],
      ['every job of 3 days', { sinceSec: NOW - 80 * HOUR }],
      ["one backend of one owner's", { sinceSec: NOW - 80 * HOUR, backend: 'remote', owner: 'k_alice' }],
      ['one owner', { sinceSec: NOW - 48 * HOUR, owner: 'k_bob' }],
    ];
    for (const [name, query] of queries) {
      test(`report equals direct SQL: ${name}`, async () => {
        const report = await store.stats.report(query, NOW);
        const expected = await direct(store, driver.name, query);
        assert.ok(report.total.jobs > 0, "the window holds jobs");
        assert.deepEqual(report.backends.map((b) => b.backend), [...expected.keys()].filter((k) => k !== '*').sort());
        for (const stats of [report.total, ...report.backends]) {
          const want = expected.get(stats.backend)!;
          assertClose(stats, want, stats.backend);
          const decided = want.completed + want.failed + want.interrupted;
          assertClose(stats.errorRate, decided ? (want.failed + want.interrupted) / decided : null, `${stats.backend}.errorRate`);
          assertClose(stats.cacheHitRate, want.completed ? want.cacheHits / want.completed : null, `${stats.backend}.cacheHitRate`);
          assertClose(stats.costPerAudioMinuteUsd, want.audioSec ? want.costUsd / (want.audioSec / 60) : null, `${stats.backend}.costPerAudioMinuteUsd`);
        }
        // The per-backend counts add up to the total; plan-only runs are nowhere.
        assert.equal(report.backends.reduce((n, b) => n + b.jobs, 0), report.total.jobs);
      });
    }

    test('an empty window: zeros and nulls, no backends', async () => {
      const report = await store.stats.report({ sinceSec: NOW + HOUR }, NOW);
      assert.deepEqual(report.backends, []);
      assert.equal(report.total.jobs, 0);
      assert.equal(report.total.turnaroundSec, null);
      assert.equal(report.total.errorRate, null);
    });
  });
}
