/**
 * JobStore against every store driver (SQLite file, PostgreSQL database): the same calls must give the
 * same rows, times as epoch seconds and counts as numbers on both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../test/helpers/postgres.js';
import { jobTelemetry, segmentTelemetry } from '../telemetry/from-store.js';
import { JobStore, segmentKey, type NewJob } from './jobs.js';
import { openStore, storeDriverFor, type StoreSettings } from './registry.js';
import type { PlannedSegment } from '../core/types.js';
import { nowSec } from '../core/time.js';

interface DriverCase {
  name: 'sqlite' | 'postgres';
  skip: string | false;
  settings(): Promise<StoreSettings>;
  cleanup(): Promise<void>;
}

const pgSkip = await postgresSkipReason();

function sqliteCase(): DriverCase {
  let dir: string | undefined;
  return {
    name: 'sqlite',
    skip: false,
    async settings() {
      dir = mkdtempSync(join(tmpdir(), 'parascribe-store-'));
      return { dataDir: dir };
    },
    async cleanup() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresCase(): DriverCase {
  let database: TestDatabase | undefined;
  return {
    name: 'postgres',
    skip: pgSkip,
    async settings() {
      database = await createTestDatabase();
      return { dataDir: mkdtempSync(join(tmpdir(), 'parascribe-store-pg-')), databaseUrl: database.url };
    },
    async cleanup() {
      await database?.drop();
    },
  };
}

const plan = (count: number, segmentSec = 60): PlannedSegment[] =>
  Array.from({ length: count }, (_, index) => ({ index, startSec: index * segmentSec, endSec: (index + 1) * segmentSec, cutAfter: index === count - 1 ? 'end' : 'pause' }));

const newJob = (id: string, extra: Partial<NewJob> = {}): NewJob => ({
  id,
  source: `/audio/${id}.mp3`,
  segmentSec: 60,
  backend: 'pocketsphinx',
  format: 'txt',
  language: 'en',
  priority: 'normal',
  options: { chain: ['pocketsphinx'] },
  ...extra,
});

const result = (text: string) => ({ resultJson: JSON.stringify({ text }), computeSec: 12.5, coldStart: true, warningsJson: '[]', backend: 'pocketsphinx', costUsd: 0.25 });

for (const driver of [sqliteCase(), postgresCase()]) {
  describe(`store on ${driver.name}`, { skip: driver.skip }, () => {
    let settings: StoreSettings;
    let store: JobStore;

    before(async () => {
      settings = await driver.settings();
      assert.equal(storeDriverFor(settings).name, driver.name);
      store = await openStore(settings);
    });
    after(async () => {
      await store?.close();
      await driver.cleanup();
    });

    test('the driver the settings select, and its files', () => {
      assert.equal(store.times, driver.name === 'sqlite' ? 'epoch' : 'timestamptz');
      // SQLite lives in the data dir as before; PostgreSQL leaves the data dir without a database file.
      assert.equal(existsSync(join(settings.dataDir, 'parascribe.sqlite')), driver.name === 'sqlite');
    });

    test('createJob and getJob: times are epoch seconds, integers are numbers, defaults as created', async () => {
      const before = nowSec();
      await store.createJob(newJob('jcreate', { owner: 'owner-a', sourceName: 'talk.mp3' }));
      const job = (await store.getJob('jcreate'))!;
      assert.equal(typeof job.created_at, 'number');
      assert.ok(job.created_at >= before - 0.002 && job.created_at <= nowSec() + 0.002, `created_at ${job.created_at} is now`);
      assert.deepEqual(
        [job.status, job.started_at, job.completed_at, job.cache_hit, job.pid, job.segment_sec, job.priority, job.owner, job.source_name, job.chunk_count],
        ['queued', null, null, 0, process.pid, 60, 'normal', 'owner-a', 'talk.mp3', null],
      );
      assert.deepEqual(JSON.parse(job.options_json), { chain: ['pocketsphinx'] });
      assert.equal(await store.getJob('nope'), undefined);
    });

    test('updateJob: times and numbers round-trip exactly (to the millisecond), null clears', async () => {
      await store.createJob(newJob('jupdate'));
      const startedAt = 1_763_736_781.123;
      const completedAt = startedAt + 754.456;
      await store.updateJob('jupdate', {
        status: 'completed',
        started_at: startedAt,
        completed_at: completedAt,
        duration_sec: 3_612.345678,
        gpu_elapsed_sec: 1_500.25,
        prepare_compute_sec: 0.125,
        chunk_count: 11,
        cache_hit: 1,
        cost_usd: 0.0123456789,
      });
      let job = (await store.getJob('jupdate'))!;
      assert.deepEqual(
        [job.started_at, job.completed_at, job.duration_sec, job.gpu_elapsed_sec, job.prepare_compute_sec, job.chunk_count, job.cache_hit, job.cost_usd],
        [startedAt, completedAt, 3_612.345678, 1_500.25, 0.125, 11, 1, 0.0123456789],
      );
      assert.ok(Math.abs(job.completed_at! - job.started_at! - 754.456) < 1e-6);
      await store.updateJob('jupdate', { status: 'queued', completed_at: null });
      job = (await store.getJob('jupdate'))!;
      assert.deepEqual([job.status, job.started_at, job.completed_at], ['queued', startedAt, null]);
    });

    test('findJob, listJobs (newest first), listOwnerJobs (pages by id), listUnfinishedServiceJobs, countJobsByStatus', async () => {
      for (const [i, id] of ['jlist0001', 'jlist0002', 'jlist0003'].entries()) {
        await store.createJob(newJob(id, { owner: i < 2 ? 'owner-list' : null }));
        await store.updateJob(id, { created_at: 2_000_000_000 + i });
      }
      const idOf = (found: Awaited<ReturnType<JobStore['findJob']>>) => (typeof found === 'object' ? found.id : found);
      assert.equal(idOf(await store.findJob('jlist0002')), 'jlist0002');
      assert.equal(await store.findJob('jlist'), 'ambiguous');
      assert.equal(idOf(await store.findJob('jupd')), 'jupdate');
      assert.equal(await store.findJob('jzzz'), undefined);
      assert.deepEqual((await store.listJobs(3)).map((j) => j.id), ['jlist0003', 'jlist0002', 'jlist0001']);
      const page1 = await store.listOwnerJobs('owner-list', 1);
      assert.deepEqual(page1.map((j) => j.id), ['jlist0002']);
      assert.deepEqual((await store.listOwnerJobs('owner-list', 5, page1[0]!.id)).map((j) => j.id), ['jlist0001']);
      const unfinished = (await store.listUnfinishedServiceJobs()).map((j) => j.id);
      assert.ok(unfinished.includes('jlist0001') && unfinished.includes('jlist0002') && !unfinished.includes('jlist0003'));
      const counts = await store.countJobsByStatus();
      const queued = counts.find((c) => c.status === 'queued');
      assert.equal(typeof queued?.count, 'number');
      assert.ok(queued!.count >= 4);
    });

    test('segments: batched insert, first dispatch kept across retries, a result stored exactly once, telemetry', async () => {
      await store.createJob(newJob('jseg'));
      await store.insertSegments('jseg', plan(120));
      let rows = await store.listSegments('jseg');
      assert.equal(rows.length, 120);
      assert.deepEqual(rows.slice(0, 3).map((r) => [r.idx, r.start_sec, r.end_sec, r.status, r.attempts]), [
        [0, 0, 60, 'pending', 0],
        [1, 60, 120, 'pending', 0],
        [2, 120, 180, 'pending', 0],
      ]);
      assert.equal(typeof rows[0]!.queued_at, 'number');
      assert.equal(await store.countFinishedSegments('jseg'), 0);

      await store.markSegmentStarted('jseg', 0, 'pocketsphinx');
      const firstStart = (await store.listSegments('jseg'))[0]!.started_at!;
      assert.equal(typeof firstStart, 'number');
      await new Promise((resolve) => setTimeout(resolve, 15));
      await store.markSegmentStarted('jseg', 0, 'pocketsphinx');
      let row = (await store.listSegments('jseg'))[0]!;
      assert.deepEqual([row.status, row.attempts, row.started_at], ['running', 2, firstStart]);

      assert.equal(await store.completeSegment('jseg', 0, result('hello')), true);
      assert.equal(await store.completeSegment('jseg', 0, result('duplicate')), false, 'second completion is a no-op');
      row = (await store.listSegments('jseg'))[0]!;
      assert.deepEqual([row.status, JSON.parse(row.result_json!).text, row.compute_sec, row.cold_start, row.cost_usd], ['completed', 'hello', 12.5, 1, 0.25]);
      assert.ok(row.completed_at! >= row.started_at!);
      assert.equal(await store.countFinishedSegments('jseg'), 1);
      // A stale run of a finished segment (a worker presumed dead comes back) neither reopens nor fails it.
      await store.markSegmentStarted('jseg', 0, 'openai');
      await store.failSegment('jseg', 0, 'INTERNAL', 'stale');
      assert.deepEqual(await store.getSegment('jseg', 0), row);
      await store.createJob(newJob('jfail'));
      await store.insertSegments('jfail', plan(1));
      await store.failSegment('jfail', 0, 'BACKEND_FAILED', 'no backend');
      const failed = (await store.getSegment('jfail', 0))!;
      assert.deepEqual([failed.status, failed.error_code, failed.error], ['failed', 'BACKEND_FAILED', 'no backend']);
      // Single-segment reads (the distributed dispatcher's polling): the same row, and the status alone.
      assert.deepEqual(await store.getSegment('jseg', 0), row);
      assert.equal(await store.getSegmentStatus('jseg', 0), 'completed');
      assert.equal(await store.getSegmentStatus('jseg', 1), 'pending');
      assert.equal(await store.getSegment('jseg', 999), undefined);
      assert.equal(await store.getSegmentStatus('nosuchjob', 0), undefined);

      // updateSegment takes times too (the pipeline writes attempt outcomes through it).
      await store.updateSegment('jseg', 1, { status: 'failed', started_at: 100.5, completed_at: 130.75, error_code: 'BACKEND_FAILED', error: 'boom' });
      rows = await store.listSegments('jseg');
      const telemetry = segmentTelemetry(rows[1]!);
      assert.deepEqual([telemetry.status, telemetry.lifeSec, telemetry.error], ['failed', 30.25, 'boom']);
      assert.equal(segmentTelemetry(rows[0]!).coldStart, true);

      await store.updateJob('jseg', { prepare_compute_sec: 1.5 });
      const summary = await jobTelemetry(store, 'jseg', 7200, 100, false);
      assert.deepEqual([summary.segments, summary.computeSec, summary.prepareComputeSec, summary.parallelism], [120, 14, 1.5, 0.14]);

      await store.cancelOpenSegments('jseg');
      rows = await store.listSegments('jseg');
      assert.deepEqual([rows[0]!.status, rows[1]!.status, rows[2]!.status], ['completed', 'failed', 'cancelled']);
    });

    test('resumeSegments keeps finished results when the plan is the same, starts afresh when it is not', async () => {
      await store.createJob(newJob('jresume'));
      await store.insertSegments('jresume', plan(3));
      await store.markSegmentStarted('jresume', 1, 'pocketsphinx');
      await store.completeSegment('jresume', 1, result('kept'));
      await store.markSegmentStarted('jresume', 2, 'pocketsphinx');
      const kept = await store.resumeSegments('jresume', plan(3));
      assert.deepEqual([...kept.keys()], [1]);
      assert.equal(JSON.parse(kept.get(1)!).text, 'kept');
      const rows = await store.listSegments('jresume');
      assert.deepEqual(rows.map((r) => [r.status, r.started_at === null]), [['pending', true], ['completed', false], ['pending', true]]);
      assert.equal((await store.resumeSegments('jresume', plan(2, 90))).size, 0);
      assert.deepEqual((await store.listSegments('jresume')).map((r) => [r.start_sec, r.end_sec, r.status]), [[0, 90, 'pending'], [90, 180, 'pending']]);
    });

    test('findReusableSegments: completed results of earlier jobs with the same cache key and backend', async () => {
      await store.createJob(newJob('jold'));
      await store.updateJob('jold', { cache_key: 'key-1', status: 'interrupted' });
      await store.insertSegments('jold', plan(2));
      await store.markSegmentStarted('jold', 0, 'pocketsphinx');
      await store.completeSegment('jold', 0, result('reuse me'));
      await store.markSegmentStarted('jold', 1, 'openai');
      await store.completeSegment('jold', 1, { ...result('a fallback'), backend: 'openai' });
      await store.createJob(newJob('jnew'));
      await store.updateJob('jnew', { cache_key: 'key-1' });
      const found = await store.findReusableSegments('key-1', 'jnew');
      assert.deepEqual([...found.keys()], [segmentKey(0, 60)]);
      assert.deepEqual(found.get(segmentKey(0, 60))!.jobId, 'jold');
      assert.equal((await store.findReusableSegments('key-1', 'jold')).size, 0);
    });

    test('markInterruptedJobs: dead CLI jobs of this host become interrupted, service jobs are left to the service', async () => {
      await store.createJob(newJob('jdead'));
      await store.updateJob('jdead', { status: 'running', pid: 999_999 });
      await store.insertSegments('jdead', plan(2));
      await store.createJob(newJob('jservice', { owner: 'owner-svc' }));
      await store.updateJob('jservice', { status: 'running', pid: 999_999 });
      const dead = await store.markInterruptedJobs((pid) => pid === process.pid);
      assert.ok(dead.includes('jdead') && !dead.includes('jservice'));
      assert.deepEqual([(await store.getJob('jdead'))!.status, (await store.getJob('jservice'))!.status], ['interrupted', 'running']);
      assert.deepEqual((await store.listSegments('jdead')).map((r) => r.status), ['cancelled', 'cancelled']);
    });

    test('file hashes: upsert by path, sizes past 2^31, fractional mtimes', async () => {
      const size = 5_000_000_000;
      await store.putFileHash('/audio/big.wav', size, 1_763_736_781_123.456, 'a'.repeat(64));
      assert.equal(await store.getFileHash('/audio/big.wav', size, 1_763_736_781_123.456), 'a'.repeat(64));
      await store.putFileHash('/audio/big.wav', size + 1, 1_763_736_781_999.5, 'b'.repeat(64));
      assert.equal(await store.getFileHash('/audio/big.wav', size, 1_763_736_781_123.456), undefined);
      assert.equal(await store.getFileHash('/audio/big.wav', size + 1, 1_763_736_781_999.5), 'b'.repeat(64));
    });

    test('the readiness probe query (ops route) runs', async () => {
      await store.ping();
      const rows = await store.query(sql<{ one: number }>`select 1 as one`);
      assert.equal(Number(rows[0]!.one), 1);
    });
  });
}
