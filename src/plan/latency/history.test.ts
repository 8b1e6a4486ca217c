/**
 * toHistoryJob's rules (a table), and loadHistory against both store drivers: only completed, real
 * (not cached, not plan-only) jobs of the asked backend come back, with their segment timings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../../test/helpers/postgres.js';
import type { HistorySegmentRow, JobRow, JobStore } from '../../store/jobs.js';
import { openStore, type StoreSettings } from '../../store/registry.js';
import { loadHistory, toHistoryJob } from './history.js';

const jobRow = (patch: Partial<JobRow> = {}): JobRow =>
  ({ id: 'j1', backend: 'b', status: 'completed', started_at: 1000, completed_at: 1100, duration_sec: 600, cache_hit: 0, error: null, ...patch }) as JobRow;

const segmentRow = (idx: number, patch: Partial<HistorySegmentRow> = {}): HistorySegmentRow => ({
  job_id: 'j1',
  idx,
  start_sec: idx * 300,
  end_sec: (idx + 1) * 300,
  status: 'completed',
  backend: 'b',
  attempts: 1,
  started_at: 1002 + idx,
  completed_at: 1050 + idx,
  compute_sec: 2,
  cold_start: idx === 0 ? 1 : 0,
  ...patch,
});

test('toHistoryJob', () => {
  const cases: Array<{ name: string; job?: Partial<JobRow>; rows: HistorySegmentRow[]; skip?: RegExp }> = [
    { name: 'clean job', rows: [segmentRow(0), segmentRow(1)] },
    { name: 'no duration', job: { duration_sec: null }, rows: [segmentRow(0)], skip: /no duration/ },
    { name: 'no segments', rows: [], skip: /no segments/ },
    { name: 'a reused segment', rows: [segmentRow(0), segmentRow(1, { status: 'reused' })], skip: /segment 1 is reused/ },
    { name: 'a fallback served one', rows: [segmentRow(0, { backend: 'other' })], skip: /served by other/ },
    { name: 'a retried segment', rows: [segmentRow(0, { attempts: 2 })], skip: /2 attempts/ },
    { name: 'an untimed segment', rows: [segmentRow(0, { started_at: null })], skip: /no start or end/ },
  ];
  for (const c of cases) {
    const entry = toHistoryJob(jobRow(c.job), c.rows);
    if (c.skip) assert.match('skip' in entry ? entry.skip : 'kept', c.skip, c.name);
    else assert.ok('job' in entry, c.name);
  }
  const entry = toHistoryJob(jobRow(), [segmentRow(1, { started_at: 1001 }), segmentRow(0, { started_at: 1003, compute_sec: null })]);
  assert.ok('job' in entry);
  assert.equal(entry.job.wallSec, 100);
  assert.deepEqual(
    entry.job.segments.map((s) => [s.index, s.audioSec, s.computeSec, s.coldStart]),
    [
      [1, 300, 2, false],
      [0, 300, 0, true],
    ],
    'dispatch order, missing compute as 0',
  );
});

const pgSkip = await postgresSkipReason();

async function seed(store: JobStore): Promise<void> {
  const add = async (id: string, backend: string, patch: Partial<JobRow>, segments: number) => {
    await store.createJob({ id, source: `/a/${id}.wav`, segmentSec: 300, backend, format: 'txt', language: 'en', priority: 'normal', options: {} });
    await store.insertSegments(
      id,
      Array.from({ length: segments }, (_, index) => ({ index, startSec: index * 300, endSec: (index + 1) * 300, cutAfter: 'pause' as const })),
    );
    for (let idx = 0; idx < segments; idx++) {
      await store.markSegmentStarted(id, idx, backend);
      await store.updateSegment(id, idx, { started_at: 2000 + idx });
      await store.completeSegment(id, idx, { resultJson: '{"text":"x"}', computeSec: 3, coldStart: idx === 0, warningsJson: '[]', backend, costUsd: 0 });
      await store.updateSegment(id, idx, { completed_at: 2030 + idx });
    }
    await store.updateJob(id, { status: 'completed', started_at: 1990, completed_at: 2040 + segments, duration_sec: segments * 300, chunk_count: segments, ...patch });
  };
  await add('jgood1', 'gpu', { completed_at: 3000 }, 2);
  await add('jgood2', 'gpu', { completed_at: 3100 }, 3);
  await add('jcached', 'gpu', { cache_hit: 1 }, 0);
  await add('jplanonly', 'gpu', { error: 'plan only' }, 2);
  await add('jfailed', 'gpu', { status: 'failed' }, 1);
  await add('jother', 'cpu', {}, 1);
}

const drivers: Array<{ name: string; skip: string | false; settings: () => Promise<{ settings: StoreSettings; cleanup: () => Promise<void> }> }> = [
  {
    name: 'sqlite',
    skip: false,
    async settings() {
      const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-history-'));
      return { settings: { dataDir }, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    skip: pgSkip,
    async settings() {
      const database: TestDatabase = await createTestDatabase();
      return { settings: { dataDir: mkdtempSync(join(tmpdir(), 'parascribe-history-pg-')), databaseUrl: database.url }, cleanup: () => database.drop() };
    },
  },
];

for (const driver of drivers) {
  describe(`loadHistory on ${driver.name}`, { skip: driver.skip }, () => {
    let store: JobStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      const opened = await driver.settings();
      cleanup = opened.cleanup;
      store = await openStore(opened.settings);
      await seed(store);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    test('completed, uncached, not plan-only jobs of the backend, newest first, with timed segments', async () => {
      const history = await loadHistory(store, 'gpu');
      assert.deepEqual(
        history.jobs.map((j) => j.id),
        ['jgood2', 'jgood1'],
      );
      const job = history.jobs[0]!;
      assert.equal(job.durationSec, 900);
      assert.equal(job.wallSec, 3100 - 1990);
      assert.deepEqual(
        job.segments.map((s) => [s.index, s.audioSec, s.startedAtSec, s.completedAtSec, s.computeSec, s.coldStart]),
        [
          [0, 300, 2000, 2030, 3, true],
          [1, 300, 2001, 2031, 3, false],
          [2, 300, 2002, 2032, 3, false],
        ],
      );
      assert.equal(typeof job.startedAtSec, 'number', 'times as epoch seconds on every driver');
      assert.deepEqual((await loadHistory(store, 'gpu', 1)).jobs.map((j) => j.id), ['jgood2'], 'limit');
      assert.deepEqual((await loadHistory(store, 'cpu')).jobs.map((j) => j.id), ['jother']);
      assert.deepEqual((await loadHistory(store, 'none')).jobs, []);
    });
  });
}
