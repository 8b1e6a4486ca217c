/**
 * What only the PostgreSQL driver has to prove: the seed study's SQL runs verbatim, the column types
 * it needs, time zones do not shift times, concurrent first opens do not race, an unreachable server is
 * one clear line without the password, the pool's type parsers stay the pool's, and a brief outage
 * once open delays queries instead of failing them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase, postgresSkipReason, queryDatabase, type TestDatabase } from '../../test/helpers/postgres.js';
import { startTcpProxy } from '../../test/helpers/tcp-proxy.js';
import type { JobStore } from './jobs.js';
import { migrationProvider } from './migrations.js';
import { describePostgresTarget } from './postgres.js';
import { openStore } from './registry.js';

/** The seed study's query, copied exactly (it must run unchanged). */
const SEED_SQL =
  "SELECT id, duration_sec / 60.0 AS audio_minutes, gpu_elapsed_sec, EXTRACT(EPOCH FROM (completed_at - started_at)) AS wall_seconds, gpu_elapsed_sec / EXTRACT(EPOCH FROM (completed_at - started_at)) AS parallelism_factor, chunk_count FROM transcription_jobs WHERE status = 'completed' AND duration_sec > 3000 ORDER BY completed_at DESC;";

const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-pg-'));
const pgSkip = await postgresSkipReason();

const newJob = (id: string) => ({ id, source: `/audio/${id}.mp3`, segmentSec: 360, backend: 'pocketsphinx', format: 'txt', language: 'en', priority: 'normal', options: {} });

describe('PostgreSQL store', { skip: pgSkip }, () => {
  let database: TestDatabase;
  let store: JobStore;

  before(async () => {
    database = await createTestDatabase();
    store = await openStore({ dataDir, databaseUrl: database.url });
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  test('column types: timestamptz times, double precision seconds and cost, integers and bigint sizes', async () => {
    const rows = await queryDatabase<{ table_name: string; column_name: string; data_type: string }>(
      database.url,
      "select table_name, column_name, data_type from information_schema.columns where table_schema = 'public' and table_name not like 'kysely%'",
    );
    const typeOf = (table: string, column: string) => rows.find((r) => r.table_name === table && r.column_name === column)?.data_type;
    for (const column of ['created_at', 'started_at', 'completed_at']) assert.equal(typeOf('transcription_jobs', column), 'timestamp with time zone', column);
    for (const column of ['queued_at', 'started_at', 'completed_at']) assert.equal(typeOf('transcription_segments', column), 'timestamp with time zone', column);
    for (const column of ['duration_sec', 'gpu_elapsed_sec', 'prepare_compute_sec', 'segment_sec', 'cost_usd']) assert.equal(typeOf('transcription_jobs', column), 'double precision', column);
    for (const column of ['start_sec', 'end_sec', 'compute_sec', 'cost_usd']) assert.equal(typeOf('transcription_segments', column), 'double precision', column);
    for (const column of ['chunk_count', 'cache_hit', 'pid']) assert.equal(typeOf('transcription_jobs', column), 'integer', column);
    assert.equal(typeOf('file_hashes', 'size_bytes'), 'bigint');
    assert.equal(typeOf('file_hashes', 'mtime_ms'), 'double precision');
  });

  test("the seed study's SQL, verbatim: parallelism_factor > 1 for a long completed job whose compute exceeds its wall", async () => {
    const startedAt = 1_763_700_000.25;
    const jobs = [
      // 60 min of audio, 20 min wall, 80 min of compute: k = 4.
      { id: 'jseedlong', status: 'completed' as const, duration_sec: 3600, gpu_elapsed_sec: 4800, started_at: startedAt, completed_at: startedAt + 1200, chunk_count: 10 },
      // Excluded: too short, and not completed.
      { id: 'jseedshort', status: 'completed' as const, duration_sec: 600, gpu_elapsed_sec: 900, started_at: startedAt, completed_at: startedAt + 300, chunk_count: 2 },
      { id: 'jseedfailed', status: 'failed' as const, duration_sec: 7200, gpu_elapsed_sec: 10, started_at: startedAt, completed_at: startedAt + 5, chunk_count: 20 },
    ];
    for (const { id, ...patch } of jobs) {
      await store.createJob(newJob(id));
      await store.updateJob(id, patch);
    }
    const check = (rows: Array<Record<string, unknown>>) => {
      assert.deepEqual(rows.map((r) => r.id), ['jseedlong']);
      const row = rows[0]!;
      assert.equal(Number(row.audio_minutes), 60);
      assert.equal(Number(row.gpu_elapsed_sec), 4800);
      assert.equal(Number(row.wall_seconds), 1200);
      assert.ok(Number(row.parallelism_factor) > 1, `parallelism_factor ${String(row.parallelism_factor)}`);
      assert.equal(Number(row.parallelism_factor), 4);
      assert.equal(Number(row.chunk_count), 10);
    };
    // As any PostgreSQL client runs it (psql, a BI tool): pg with its default type parsers …
    check(await queryDatabase(database.url, SEED_SQL));
    // … and through the store's own connection, where numeric and int8 already come back as numbers.
    const rows = await store.query(sql.raw<Record<string, unknown>>(SEED_SQL));
    check(rows);
    assert.equal(typeof rows[0]!.wall_seconds, 'number');
  });

  test('times do not move with the session time zone (stored as instants, read back as epoch seconds)', async () => {
    const at = 1_763_736_781.987;
    await store.createJob(newJob('jzone'));
    await store.updateJob('jzone', { started_at: at, completed_at: at + 0.5 });
    const stored = await queryDatabase<{ started: string }>(database.url, "select extract(epoch from started_at)::text as started from transcription_jobs where id = 'jzone'");
    assert.equal(Number(stored[0]!.started), at, 'the instant written is the instant meant');
    // A server or database in a zone with a half-hour offset must not shift anything.
    await queryDatabase(database.url, `alter database ${database.name} set timezone = 'America/St_Johns'`);
    const other = await openStore({ dataDir, databaseUrl: database.url });
    try {
      const rows = await other.query(sql<{ tz: string }>`select current_setting('TimeZone') as tz`);
      assert.equal(rows[0]!.tz, 'America/St_Johns');
      const job = (await other.getJob('jzone'))!;
      assert.deepEqual([job.started_at, job.completed_at], [at, at + 0.5]);
      await other.updateJob('jzone', { completed_at: at + 2 });
      assert.equal((await store.getJob('jzone'))!.completed_at, at + 2);
    } finally {
      await other.close();
    }
  });

  test("the pool's type parsers are its own: pg's process-wide parsers are untouched", async () => {
    assert.equal(pg.types.getTypeParser(20, 'text')('42'), '42', 'int8 stays a string for other pg users');
    assert.ok(pg.types.getTypeParser(1184, 'text')('2026-01-01 00:00:00+00') instanceof Date);
    const rows = await store.query(sql<{ n: unknown; x: unknown; t: unknown }>`select count(*) as n, 1.5::numeric as x, to_timestamp(10.5) as t`);
    assert.deepEqual(rows[0], { n: 1, x: 1.5, t: 10.5 });
  });
});

describe('PostgreSQL first open', { skip: pgSkip }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  test('three concurrent opens of a fresh database all succeed and migrate once', async () => {
    const settled = await Promise.allSettled([1, 2, 3].map(() => openStore({ dataDir, databaseUrl: database.url })));
    const stores = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      assert.deepEqual(
        settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason)),
        [],
      );
      const migrations = await queryDatabase<{ name: string }>(database.url, 'select name from kysely_migration order by name');
      assert.deepEqual(
        migrations.map((m) => m.name),
        Object.keys(await migrationProvider('postgres').getMigrations()).sort(),
      );
      // Every one of them works, on the same tables.
      for (const [i, s] of stores.entries()) await s.createJob(newJob(`jconcurrent${i}`));
      assert.equal((await stores[0]!.listJobs(10)).length, 3);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('PostgreSQL briefly unreachable once open (through a TCP proxy that is cut)', { skip: pgSkip }, () => {
  test('queries wait for it, one in flight at the cut is sent again, and the outage is two log lines', async () => {
    const database = await createTestDatabase();
    const direct = new URL(database.url);
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(database.url);
    Object.assign(viaProxy, { hostname: '127.0.0.1', port: String(proxy.port) });
    const lines: string[] = [];
    const store = await openStore({ dataDir, databaseUrl: viaProxy.toString(), log: (line) => lines.push(line) });
    try {
      await store.createJob(newJob('joutage'));
      // Refused connections: the read waits until the proxy is back.
      await proxy.cut();
      setTimeout(() => void proxy.restore(), 1_000);
      const started = performance.now();
      assert.equal((await store.getJob('joutage'))?.id, 'joutage');
      assert.ok(performance.now() - started >= 900, 'it waited for the outage');
      // The connection dies with the statement sent and unanswered: it goes again on a fresh one.
      const cut = proxy.cut({ midRequest: true });
      const write = store.updateJob('joutage', { status: 'running' });
      await cut;
      setTimeout(() => void proxy.restore(), 500);
      await write;
      assert.equal((await store.getJob('joutage'))?.status, 'running');
      assert.equal(lines.length, 4, lines.join('\n'));
      assert.match(lines[0]!, /^PostgreSQL at postgres@127\.0\.0\.1:\d+\/parascribe_test_\w+ unreachable \(.*ECONNREFUSED.*\); queries wait up to 30 s for it$/);
      assert.match(lines[1]!, /^PostgreSQL at \S+ reachable again after \d+\.\d s$/);
    } finally {
      await store.close();
      await proxy.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL unreachable', () => {
  test('one clear INVALID_CONFIG line naming the host, never the password', async () => {
    const started = performance.now();
    await assert.rejects(
      openStore({ dataDir, databaseUrl: 'postgres://parascribe:hunter2-secret@127.0.0.1:1/parascribe' }),
      (error: { code?: string; message: string }) => {
        assert.equal(error.code, 'INVALID_CONFIG');
        assert.match(error.message, /^cannot connect to PostgreSQL at parascribe@127\.0\.0\.1:1\/parascribe: .*ECONNREFUSED/);
        assert.ok(!error.message.includes('hunter2'), error.message);
        assert.ok(!error.message.includes('\n'), 'one line');
        return true;
      },
    );
    assert.ok(performance.now() - started < 6_000, 'fails within the connect timeout');
  });

  test('the target description never includes the password', () => {
    assert.equal(describePostgresTarget('postgres://u:p%40ss@db.example:6543/jobs'), 'u@db.example:6543/jobs');
    assert.equal(describePostgresTarget('postgresql://db.example/jobs?sslmode=require'), 'db.example:5432/jobs');
    assert.equal(describePostgresTarget('postgres:///jobs?host=/var/run/postgresql'), '/var/run/postgresql:5432/jobs');
    assert.equal(describePostgresTarget('not a url'), '(unparsable PARASCRIBE_DATABASE_URL)');
  });
});
