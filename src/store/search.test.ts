/**
 * Transcript search against every store driver: one table of queries → expected hits (in order, with
 * snippets) runs on SQLite (FTS5) and PostgreSQL (tsvector), and the two must answer alike; a running
 * job's finished segments are found before it ends; index rows go with their segments; a database
 * created before search existed is indexed by the migration.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { storeDriverCases } from '../../test/helpers/store-drivers.js';
import { isParascribeError } from '../errors.js';
import type { JobStore, NewJob } from './jobs.js';
import { migrationProvider } from './migrations.js';
import { openStore, type StoreSettings } from './registry.js';
import type { Database } from './schema.js';
import type { SearchHit } from './search.js';
import type { PlannedSegment } from '../core/types.js';

const ALICE = 'k_alice0000000000000000000';
const BOB = 'k_bob000000000000000000000';

/** Jobs and their segments' texts: [start, end, text]. */
const CORPUS: Array<{ job: Partial<NewJob> & { id: string }; segments: Array<[number, number, string]> }> = [
  {
    job: { id: 'jsrchboard1', owner: ALICE, source: '/srv/parascribe/jobs/jsrchboard1/input', sourceName: 'board-meeting.mp3' },
    segments: [
      [0, 61.5, 'Welcome, everyone. Today we review the budget for next year and the hiring plan.'],
      [61.5, 120, 'The budget is tight. Budgets were cut last year, so budgeting matters: the budget committee meets on Friday.'],
      [120, 180, 'Questions from the floor about parking and the cafeteria menu.'],
    ],
  },
  {
    job: { id: 'jsrchpod01', owner: BOB, source: '/srv/parascribe/jobs/jsrchpod01/input', sourceName: 'podcast.wav' },
    segments: [
      [0, 45, 'In this episode we talk about the hiring plan of a small startup.'],
      [45, 90, 'Our guest explains why a plan without a budget fails.'],
    ],
  },
  {
    job: { id: 'jsrchcli01', source: '/home/me/talks/keynote.mp3' },
    segments: [
      [0, 30, '“Naïve forecasts” and the naive budget: don\'t trust them!'],
      [30, 3725.25, 'Thank you for listening.'],
    ],
  },
];

const BOARD = 'jsrchboard1';
const POD = 'jsrchpod01';
const CLI = 'jsrchcli01';

/** Query → expected hits in rank order as `job#index`; `owner` scopes it like the service does. */
const TABLE: Array<{ q: string; owner?: string; hits: string[]; snippets?: Record<string, string> }> = [
  {
    q: 'budget',
    hits: [`${BOARD}#1`, `${CLI}#0`, `${POD}#1`, `${BOARD}#0`],
    snippets: {
      [`${BOARD}#1`]: 'The «budget» is tight. «Budgets» were cut last year, so «budgeting» matters: the «budget» committee meets on Friday.',
      [`${CLI}#0`]: '“Naïve forecasts” and the naive «budget»: don\'t trust them!',
    },
  },
  { q: 'BUDGET!!!', hits: [`${BOARD}#1`, `${CLI}#0`, `${POD}#1`, `${BOARD}#0`] },
  { q: 'budgets', hits: [`${BOARD}#1`, `${CLI}#0`, `${POD}#1`, `${BOARD}#0`] },
  { q: 'budget*', hits: [`${BOARD}#1`, `${CLI}#0`, `${POD}#1`, `${BOARD}#0`] },
  { q: '"budget', hits: [`${BOARD}#1`, `${CLI}#0`, `${POD}#1`, `${BOARD}#0`] },
  { q: 'budget', owner: ALICE, hits: [`${BOARD}#1`, `${BOARD}#0`] },
  { q: 'budget', owner: BOB, hits: [`${POD}#1`] },
  { q: 'budget', owner: 'k_nobody', hits: [] },
  {
    q: '"hiring plan"',
    hits: [`${POD}#0`, `${BOARD}#0`],
    snippets: { [`${POD}#0`]: 'In this episode we talk about the «hiring» «plan» of a small startup.' },
  },
  { q: 'hiring plan', hits: [`${POD}#0`, `${BOARD}#0`] },
  { q: '“hiring plan”', owner: BOB, hits: [`${POD}#0`] },
  {
    q: '"the budget"',
    hits: [`${BOARD}#1`, `${BOARD}#0`],
    snippets: { [`${BOARD}#0`]: 'Welcome, everyone. Today we review «the» «budget» for next year and the hiring plan.' },
  },
  { q: '"plan budget"', hits: [] },
  { q: 'plan & !budget', hits: [`${POD}#1`, `${BOARD}#0`] },
  { q: 'naive', hits: [`${CLI}#0`], snippets: { [`${CLI}#0`]: '“«Naïve» forecasts” and the «naive» budget: don\'t trust them!' } },
  { q: 'NAÏVE budget', hits: [`${CLI}#0`] },
  { q: "don't", hits: [`${CLI}#0`] },
  { q: 'listens', hits: [`${CLI}#1`], snippets: { [`${CLI}#1`]: 'Thank you for «listening».' } },
  { q: 'parking cafeteria', hits: [`${BOARD}#2`] },
  // Query syntax of either engine is only punctuation or words here.
  { q: 'NEAR(budget plan)', hits: [] },
  { q: 'budget OR parking', hits: [] },
  { q: "budget') -- ; drop table segment_search", hits: [] },
  { q: 'terms:budget', hits: [] },
  { q: '^budget', hits: [`${BOARD}#1`, `${CLI}#0`, `${POD}#1`, `${BOARD}#0`] },
  { q: 'nonexistentword', hits: [] },
];

const INVALID = ['', '   ', '?!', '""', '" "', '*', '-', "'", '«»', 'x'.repeat(501)];

const plan = (segments: Array<[number, number, string]>): PlannedSegment[] =>
  segments.map(([startSec, endSec], index) => ({ index, startSec, endSec, cutAfter: index === segments.length - 1 ? 'end' : 'pause' }));

const result = (text: string) => ({ resultJson: JSON.stringify({ text, utterances: [] }), computeSec: 1, coldStart: false, warningsJson: '[]', backend: 'pocketsphinx', costUsd: 0 });

async function createJob(store: JobStore, job: Partial<NewJob> & { id: string }): Promise<void> {
  await store.createJob({ source: `/audio/${job.id}.mp3`, segmentSec: 60, backend: 'pocketsphinx', format: 'txt', language: 'en', priority: 'normal', options: {}, ...job });
}

const key = (hit: SearchHit) => `${hit.jobId}#${hit.segmentIndex}`;
const withoutScore = (hits: SearchHit[]) => hits.map(({ score: _score, ...rest }) => rest);

/** Every driver's answers to the table, compared at the end. */
const answers = new Map<string, Map<string, unknown>>();

for (const driver of await storeDriverCases('search')) {
  describe(`transcript search on ${driver.name}`, { skip: driver.skip }, () => {
    let store: JobStore;

    before(async () => {
      store = await openStore(await driver.settings());
      for (const { job, segments } of CORPUS) {
        await createJob(store, job);
        await store.insertSegments(job.id, plan(segments));
        for (const [index, [, , text]] of segments.entries()) assert.equal(await store.completeSegment(job.id, index, result(text)), true);
        await store.updateJob(job.id, { status: 'completed' });
      }
    });

    after(async () => {
      await store?.close();
      await driver.cleanup();
    });

    test('the query table: hits in rank order, sources, times and snippets', async () => {
      const mine = new Map<string, unknown>();
      answers.set(driver.name, mine);
      for (const row of TABLE) {
        const what = `${row.q}${row.owner ? ` (owner ${row.owner})` : ''}`;
        const page = await store.search.search(row.q, { owner: row.owner, limit: 50 });
        assert.deepEqual(page.hits.map(key), row.hits, what);
        assert.equal(page.hasMore, false, what);
        for (const [hit, expected] of Object.entries(row.snippets ?? {})) {
          assert.equal(page.hits.find((h) => key(h) === hit)?.snippet, expected, `${what}: snippet of ${hit}`);
        }
        for (const hit of page.hits) assert.ok(hit.score > 0 && Number.isFinite(hit.score), `${what}: score ${hit.score}`);
        mine.set(what, withoutScore(page.hits));
      }
      const [first] = (await store.search.search('listening')).hits;
      assert.deepEqual(withoutScore([first!]), [
        { jobId: CLI, source: 'keynote.mp3', segmentIndex: 1, startSec: 30, endSec: 3725.25, snippet: 'Thank you for «listening».' },
      ]);
      const [service] = (await store.search.search('cafeteria')).hits;
      assert.equal(service!.source, 'board-meeting.mp3', 'a service job shows the client file name, never the server path');
      assert.deepEqual([service!.startSec, service!.endSec], [120, 180]);
    });

    test('limit and offset page through the ranking; hasMore says whether there is more', async () => {
      const first = await store.search.search('budget', { limit: 2 });
      assert.deepEqual(first.hits.map(key), [`${BOARD}#1`, `${CLI}#0`]);
      assert.equal(first.hasMore, true);
      const second = await store.search.search('budget', { limit: 2, offset: 2 });
      assert.deepEqual(second.hits.map(key), [`${POD}#1`, `${BOARD}#0`]);
      assert.equal(second.hasMore, false);
      assert.deepEqual((await store.search.search('budget', { offset: 4 })).hits, []);
    });

    test('a query with no words, or bad paging, is INVALID_ARGUMENT (never a database error)', async () => {
      for (const q of INVALID) {
        await assert.rejects(store.search.search(q), (e) => isParascribeError(e) && e.code === 'INVALID_ARGUMENT', JSON.stringify(q));
      }
      for (const options of [{ limit: 0 }, { limit: 1001 }, { limit: 1.5 }, { offset: -1 }, { offset: Number.NaN }]) {
        await assert.rejects(store.search.search('budget', options), (e) => isParascribeError(e) && e.code === 'INVALID_ARGUMENT', JSON.stringify(options));
      }
    });

    test("a running job's finished segments are searchable before it ends (completed and reused); others are not", async () => {
      const id = 'jsrchlive1';
      await createJob(store, { id, owner: ALICE, sourceName: 'live.mp3' });
      await store.updateJob(id, { status: 'running' });
      await store.insertSegments(id, plan([[0, 60, ''], [60, 120, ''], [120, 180, ''], [180, 240, '']]));
      assert.deepEqual((await store.search.search('revenue')).hits, []);

      await store.completeSegment(id, 0, result('Quarterly revenue grew, and the review is next.'));
      // A segment reused from an earlier run is stored as the pipeline does (decode-and-plan.ts reuseOrRun).
      await store.updateSegment(id, 1, { status: 'reused', backend: 'pocketsphinx', reused_from_job: 'jsrchold', result_json: JSON.stringify({ text: 'Revenue by region follows.', utterances: [] }), compute_sec: 0 });
      await store.markSegmentStarted(id, 2, 'pocketsphinx');
      await store.failSegment(id, 3, 'BACKEND_FAILED', 'revenue unknown');

      assert.equal((await store.getJob(id))!.status, 'running');
      assert.deepEqual((await store.search.search('revenue', { owner: ALICE })).hits.map(key).sort(), [`${id}#0`, `${id}#1`]);
      assert.deepEqual((await store.search.search('quarterly')).hits.map((h) => [key(h), h.source, h.startSec, h.endSec]), [[`${id}#0`, 'live.mp3', 0, 60]]);
      assert.deepEqual((await store.search.search('revenue', { owner: BOB })).hits, []);

      // A duplicate completion stores nothing, in the index neither.
      assert.equal(await store.completeSegment(id, 0, result('a duplicate run says something else')), false);
      assert.deepEqual((await store.search.search('duplicate')).hits, []);
      assert.equal((await store.search.search('quarterly')).hits.length, 1);

      // A segment finished later joins the index, then the job completes.
      await store.completeSegment(id, 2, result('Operating costs and the revenue outlook.'));
      assert.deepEqual((await store.search.search('revenue')).hits.map(key).sort(), [`${id}#0`, `${id}#1`, `${id}#2`]);
    });

    test('index rows go with their segments (a resumed job whose plan changed)', async () => {
      const id = 'jsrchlive1';
      await store.resumeSegments(id, plan([[0, 90, ''], [90, 240, '']]));
      assert.deepEqual((await store.search.search('revenue')).hits, []);
      await store.completeSegment(id, 1, result('New revenue figures.'));
      assert.deepEqual((await store.search.search('revenue')).hits.map((h) => [key(h), h.startSec, h.endSec]), [[`${id}#1`, 90, 240]]);
      assert.equal((await store.search.search('budget')).hits.length, 4, 'other jobs untouched');
      if (driver.name === 'sqlite') {
        // The FTS5 index agrees with its content table (external content kept in step by triggers).
        await store.query(sql`insert into segment_search_fts(segment_search_fts, rank) values ('integrity-check', 1)`);
      }
      const [{ n }] = (await store.query(sql<{ n: number }>`select count(*) as n from segment_search`)) as [{ n: number }];
      assert.equal(Number(n), CORPUS.reduce((sum, c) => sum + c.segments.length, 0) + 1);
    });

    test('a job answered from the transcript cache (no segments) is indexed from its transcript, in pieces of about a minute', async () => {
      const id = 'jsrchcache1';
      await createJob(store, { id, owner: BOB, sourceName: 'again.mp3' });
      const utterance = (startSec: number, endSec: number, text: string) => ({ startSec, endSec, text, words: [] });
      await store.search.indexTranscript(id, {
        text: 'unused when there are utterances',
        durationSec: 150,
        utterances: [utterance(0, 20, 'Cached words about a glacier.'), utterance(21, 58, 'More about ice.'), utterance(59, 95, 'The glacier melts.'), utterance(96, 150, '  ')],
      });
      assert.deepEqual(
        (await store.search.search('glacier', { owner: BOB })).hits.map((h) => [key(h), h.source, h.startSec, h.endSec, h.snippet]),
        [
          [`${id}#1`, 'again.mp3', 59, 95, 'The «glacier» melts.'],
          [`${id}#0`, 'again.mp3', 0, 58, 'Cached words about a «glacier». More about ice.'],
        ],
      );
      // Indexing it again (a retried job) changes nothing; no utterances: the text, over the whole recording.
      await store.search.indexTranscript(id, { text: '', durationSec: 150, utterances: [utterance(0, 20, 'Cached words about a glacier.'), utterance(21, 58, 'More about ice.'), utterance(59, 95, 'The glacier melts.')] });
      assert.equal((await store.search.search('glacier')).hits.length, 2);
      await createJob(store, { id: 'jsrchcache2' });
      await store.search.indexTranscript('jsrchcache2', { text: 'Only text, no utterances: a fjord.', durationSec: 42, utterances: [] });
      assert.deepEqual((await store.search.search('fjord')).hits.map((h) => [key(h), h.startSec, h.endSec]), [['jsrchcache2#0', 0, 42]]);
    });

    test('the migration indexes segments finished before search existed', async () => {
      const settings = await driver.settings();
      await seedBeforeSearch(settings);
      const upgraded = await openStore(settings);
      try {
        assert.deepEqual(
          (await upgraded.search.search('budget')).hits.map((h) => [key(h), h.snippet]),
          [
            ['jsrchold01#0', 'The «budget» was approved.'],
            ['jsrchold01#1', 'We reused the «budget» numbers from last year.'],
          ],
        );
        // Indexed from here on as usual.
        await upgraded.completeSegment('jsrchold01', 3, result('A budget question.'));
        assert.equal((await upgraded.search.search('budget')).hits.length, 3);
      } finally {
        await upgraded.close();
      }
    });
  });
}

test('SQLite and PostgreSQL give the same hits and snippets for the whole table', (t) => {
  // Runs after both describes (same file, in order); skipped when PostgreSQL was.
  if (answers.size < 2) return t.skip('needs both stores');
  assert.deepEqual(answers.get('postgres'), answers.get('sqlite'));
});

/**
 * A store migrated up to the last migration before search, holding one job with a completed, a
 * reused, a text-less and a pending segment, written with plain SQL as an older version would have.
 */
async function seedBeforeSearch(settings: StoreSettings): Promise<void> {
  const postgres = settings.databaseUrl !== undefined;
  const db = new Kysely<Database>({
    dialect: postgres
      ? new PostgresDialect({ pool: new pg.Pool({ connectionString: settings.databaseUrl, max: 1 }) })
      : new SqliteDialect({ database: new BetterSqlite3(join(settings.dataDir, 'parascribe.sqlite')) }),
  });
  try {
    const { error } = await new Migrator({ db, provider: migrationProvider(postgres ? 'postgres' : 'sqlite') }).migrateTo('2026_11_21_004_service_owner');
    if (error) throw error;
    const time = (sec: number) => (postgres ? new Date(sec * 1000) : sec) as number;
    await db
      .insertInto('transcription_jobs')
      .values({
        id: 'jsrchold01', status: 'completed', source: '/audio/old.mp3', duration_sec: 240, gpu_elapsed_sec: null, prepare_compute_sec: null,
        created_at: time(1_700_000_000), started_at: null, completed_at: null, chunk_count: 4, segment_sec: 60, backend: 'pocketsphinx', model: null,
        language: 'en', cache_key: null, cache_hit: 0, options_json: '{}', output_path: null, format: 'txt', telemetry_json: null, error_code: null,
        error: null, pid: 1, host: 'old', priority: 'normal', cost_usd: null, breaker_events_json: null, owner: null, source_name: null,
      })
      .execute();
    const segment = (idx: number, status: 'completed' | 'reused' | 'pending', resultJson: string | null) => ({
      job_id: 'jsrchold01', idx, start_sec: idx * 60, end_sec: idx * 60 + 60, status, backend: 'pocketsphinx', queued_at: null, started_at: null,
      completed_at: null, compute_sec: null, cold_start: null, error_code: null, error: null, result_json: resultJson, warnings_json: null,
      reused_from_job: null, attempts_json: null, cost_usd: null,
    });
    await db
      .insertInto('transcription_segments')
      .values([
        segment(0, 'completed', JSON.stringify({ text: 'The budget was approved.', utterances: [] })),
        segment(1, 'reused', JSON.stringify({ text: 'We reused the budget numbers from last year.', utterances: [] })),
        segment(2, 'completed', '{}'),
        segment(3, 'pending', null),
      ])
      .execute();
  } finally {
    await db.destroy();
  }
}
