/**
 * Schema migrations, in code so that they ship inside the package (no files to locate at run time). One
 * list for every driver; it branches on the dialect only where the column types differ:
 *
 * | kind   | SQLite    | PostgreSQL         |
 * |--------|-----------|--------------------|
 * | time   | `real`    | `timestamptz`      |
 * | float  | `real`    | `double precision` |
 * | bigint | `integer` | `bigint`           |
 *
 * SQLite keeps REAL epoch seconds, so `completed_at - started_at` is seconds; PostgreSQL keeps
 * `timestamptz`, so the seed study's `EXTRACT(EPOCH FROM (completed_at - started_at))` runs verbatim.
 * JobStore converts at its boundary (`times.ts`), so callers see epoch seconds on both. Booleans stay
 * integers (0/1) on both, so the row types do not change. The SQLite column types are exactly those of
 * the first releases: databases created before PostgreSQL support need nothing new. Transcript search
 * is the one structure that differs by dialect (FTS5 against a GIN-indexed tsvector: search.ts).
 *
 * Concurrent first opens: the SQLite driver wraps the migration in one `BEGIN IMMEDIATE` transaction
 * (`sqlite.ts`); on PostgreSQL, Kysely's migrator takes a session-level `pg_advisory_lock` around the
 * migration transaction (`PostgresAdapter.acquireMigrationLock`) and tolerates the race on creating its
 * own bookkeeping tables.
 */
import { sql, type ColumnDataType, type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';
import { backfillSegmentSearch } from './search.js';
import { clusterMigrations } from './migrations-cluster.js';

export type StoreDialect = 'sqlite' | 'postgres';

interface ColumnTypes {
  time: ColumnDataType;
  float: ColumnDataType;
  bigint: ColumnDataType;
}

const COLUMN_TYPES: Record<StoreDialect, ColumnTypes> = {
  sqlite: { time: 'real', float: 'real', bigint: 'integer' },
  postgres: { time: 'timestamptz', float: 'double precision', bigint: 'bigint' },
};

const migrations = (t: ColumnTypes, dialect: StoreDialect): Record<string, Migration> => ({
  '2026_11_21_001_jobs_and_segments': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('transcription_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('duration_sec', t.float)
        .addColumn('gpu_elapsed_sec', t.float)
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('started_at', t.time)
        .addColumn('completed_at', t.time)
        .addColumn('chunk_count', 'integer')
        .addColumn('segment_sec', t.float, (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('language', 'text')
        .addColumn('cache_key', 'text')
        .addColumn('cache_hit', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('options_json', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('output_path', 'text')
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('telemetry_json', 'text')
        .addColumn('error_code', 'text')
        .addColumn('error', 'text')
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('transcription_jobs_cache_key').on('transcription_jobs').column('cache_key').execute();
      await db.schema.createIndex('transcription_jobs_created_at').on('transcription_jobs').column('created_at').execute();

      await db.schema
        .createTable('transcription_segments')
        .addColumn('job_id', 'text', (c) => c.notNull().references('transcription_jobs.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('start_sec', t.float, (c) => c.notNull())
        .addColumn('end_sec', t.float, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('backend', 'text')
        .addColumn('queued_at', t.time)
        .addColumn('started_at', t.time)
        .addColumn('completed_at', t.time)
        .addColumn('compute_sec', t.float)
        .addColumn('cold_start', 'integer')
        .addColumn('error_code', 'text')
        .addColumn('error', 'text')
        .addColumn('result_json', 'text')
        .addColumn('warnings_json', 'text')
        .addColumn('reused_from_job', 'text')
        .addPrimaryKeyConstraint('transcription_segments_pk', ['job_id', 'idx'])
        .execute();

      await db.schema
        .createTable('file_hashes')
        .addColumn('path', 'text', (c) => c.primaryKey())
        .addColumn('size_bytes', t.bigint, (c) => c.notNull())
        .addColumn('mtime_ms', t.float, (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('file_hashes').execute();
      await db.schema.dropTable('transcription_segments').execute();
      await db.schema.dropTable('transcription_jobs').execute();
    },
  },
  '2026_11_21_002_prepare_compute_sec': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('transcription_jobs').addColumn('prepare_compute_sec', t.float).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('transcription_jobs').dropColumn('prepare_compute_sec').execute();
    },
  },
  '2026_11_21_003_failure_handling_and_cost': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('transcription_segments').addColumn('attempts_json', 'text').execute();
      await db.schema.alterTable('transcription_segments').addColumn('cost_usd', t.float).execute();
      await db.schema.alterTable('transcription_jobs').addColumn('priority', 'text', (c) => c.notNull().defaultTo('normal')).execute();
      await db.schema.alterTable('transcription_jobs').addColumn('cost_usd', t.float).execute();
      await db.schema.alterTable('transcription_jobs').addColumn('breaker_events_json', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['attempts_json', 'cost_usd']) await db.schema.alterTable('transcription_segments').dropColumn(column).execute();
      for (const column of ['priority', 'cost_usd', 'breaker_events_json']) await db.schema.alterTable('transcription_jobs').dropColumn(column).execute();
    },
  },
  '2026_11_21_004_service_owner': {
    async up(db: Kysely<unknown>) {
      // Jobs submitted through the HTTP service: which API key owns them (a hash, never the key) and the
      // uploaded file's original name (display only; it never touches a path).
      await db.schema.alterTable('transcription_jobs').addColumn('owner', 'text').execute();
      await db.schema.alterTable('transcription_jobs').addColumn('source_name', 'text').execute();
      await db.schema.createIndex('transcription_jobs_owner_created').on('transcription_jobs').columns(['owner', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('transcription_jobs_owner_created').execute();
      for (const column of ['owner', 'source_name']) await db.schema.alterTable('transcription_jobs').dropColumn(column).execute();
    },
  },
  '2026_12_07_001_segment_search': {
    // Transcript search (search.ts): one row per finished segment with text, its terms indexed by FTS5
    // (SQLite) or a GIN-indexed tsvector (PostgreSQL); segments finished before now are indexed here
    // (jobs answered from the transcript cache before now are not: their first run is).
    async up(db: Kysely<unknown>) {
      let table: CreateTableBuilder<'segment_search', string> = db.schema.createTable('segment_search');
      // SQLite: an INTEGER PRIMARY KEY, so the FTS5 rowid that points at the row never changes (VACUUM).
      if (dialect === 'sqlite') table = table.addColumn('id', 'integer', (c) => c.primaryKey());
      table = table
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('start_sec', t.float, (c) => c.notNull())
        .addColumn('end_sec', t.float, (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('terms', 'text', (c) => c.notNull())
        // Not a key into transcription_segments: a job answered from the transcript cache has no segments
        // and is indexed in pieces (search.ts indexTranscript). resumeSegments drops a job's rows with its segments.
        .addForeignKeyConstraint('segment_search_job_fk', ['job_id'], 'transcription_jobs', ['id'], (fk) => fk.onDelete('cascade'));
      table =
        dialect === 'sqlite'
          ? table.addUniqueConstraint('segment_search_segment', ['job_id', 'idx'])
          : table.addColumn('tsv', sql`tsvector`, (c) => c.notNull()).addPrimaryKeyConstraint('segment_search_pk', ['job_id', 'idx']);
      await table.execute();
      if (dialect === 'sqlite') {
        // External content: the FTS5 index holds the terms, segment_search the row; triggers keep them in step.
        await sql`create virtual table segment_search_fts using fts5(terms, content='segment_search', content_rowid='id', tokenize='ascii')`.execute(db);
        await sql`create trigger segment_search_ai after insert on segment_search begin
          insert into segment_search_fts(rowid, terms) values (new.id, new.terms); end`.execute(db);
        await sql`create trigger segment_search_ad after delete on segment_search begin
          insert into segment_search_fts(segment_search_fts, rowid, terms) values ('delete', old.id, old.terms); end`.execute(db);
        await sql`create trigger segment_search_au after update on segment_search begin
          insert into segment_search_fts(segment_search_fts, rowid, terms) values ('delete', old.id, old.terms);
          insert into segment_search_fts(rowid, terms) values (new.id, new.terms); end`.execute(db);
      } else {
        await db.schema.createIndex('segment_search_tsv').on('segment_search').using('gin').column('tsv').execute();
      }
      await backfillSegmentSearch(db as Kysely<Database>, dialect);
    },
    async down(db: Kysely<unknown>) {
      if (dialect === 'sqlite') await sql`drop table segment_search_fts`.execute(db);
      await db.schema.dropTable('segment_search').execute();
    },
  },
  '2026_12_07_002_transcript_questions': {
    async up(db: Kysely<unknown>) {
      // Every question asked of a job's transcript (`parascribe ask`, POST /v1/jobs/:id/ask) and its
      // answer, with what the answer was about and what it cost (src/store/questions.ts).
      await db.schema
        .createTable('transcript_questions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('job_id', 'text', (c) => c.notNull().references('transcription_jobs.id').onDelete('cascade'))
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('question', 'text', (c) => c.notNull())
        .addColumn('answer', 'text', (c) => c.notNull())
        .addColumn('strategy', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('coverage_json', 'text', (c) => c.notNull())
        .addColumn('citations_json', 'text', (c) => c.notNull())
        .addColumn('input_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('output_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('tokens_estimated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('llm_calls', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cost_usd', t.float, (c) => c.notNull().defaultTo(0))
        .addColumn('first_token_sec', t.float)
        .addColumn('wall_sec', t.float)
        .addColumn('error_code', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('transcript_questions_job').on('transcript_questions').columns(['job_id', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('transcript_questions').execute();
    },
  },
  '2026_12_07_004_shadow_canary': {
    // Shadow sampling and canary rollouts (src/rollout/): each segment transcribed again off the job's
    // path, and each canary rollout's counts and verdict, shared by every process on the store.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('segment_shadows')
        .addColumn('id', dialect === 'sqlite' ? 'integer' : 'serial', (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('job_id', 'text', (c) => c.notNull().references('transcription_jobs.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('wer', t.float)
        .addColumn('reference_words', 'integer')
        .addColumn('backend_sec', t.float)
        .addColumn('reference_sec', t.float)
        .addColumn('error_code', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addUniqueConstraint('segment_shadows_segment', ['job_id', 'idx', 'kind'])
        .execute();
      await db.schema
        .createTable('canary_rollouts')
        .addColumn('rollout', 'text', (c) => c.primaryKey())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('compare_with', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('segments', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('compared', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('wer_sum', t.float, (c) => c.notNull().defaultTo(0))
        .addColumn('candidate_sec', t.float, (c) => c.notNull().defaultTo(0))
        .addColumn('reference_sec', t.float, (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .addColumn('decided_at', t.time)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('canary_rollouts').execute();
      await db.schema.dropTable('segment_shadows').execute();
    },
  },
  '2026_12_07_003_evaluations': {
    // `parascribe eval` (src/ops/eval/): one row per file and backend of a run, so that the next run
    // can show its change against this one (evaluations.ts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('evaluations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text')
        .addColumn('duration_sec', t.float)
        .addColumn('wall_sec', t.float)
        .addColumn('compute_sec', t.float)
        .addColumn('cost_usd', t.float)
        .addColumn('segments', 'integer')
        .addColumn('ref_words', 'integer')
        .addColumn('word_errors', 'integer')
        .addColumn('ref_chars', 'integer')
        .addColumn('char_errors', 'integer')
        .addColumn('wer', t.float)
        .addColumn('cer', t.float)
        .addColumn('seams_json', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('evaluations_file_backend').on('evaluations').columns(['file', 'backend', 'created_at']).execute();
      await db.schema.createIndex('evaluations_run').on('evaluations').columns(['run_id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('evaluations').execute();
    },
  },
  ...clusterMigrations(t, dialect),
});

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return { getMigrations: async () => migrations(COLUMN_TYPES[dialect], dialect) };
}
