/**
 * Schema migrations, in code so that they ship inside the package (no files to locate at run time).
 * Times are REAL epoch seconds, so SQLite's `completed_at - started_at` is seconds. A PostgreSQL
 * driver will need `timestamptz` columns instead, so that the seed query's
 * `EXTRACT(EPOCH FROM (completed_at - started_at))` runs verbatim: branch on the dialect here, and
 * convert in JobStore.
 */
import { type Kysely, type Migration, type MigrationProvider } from 'kysely';

const migrations: Record<string, Migration> = {
  '2026_11_21_001_jobs_and_segments': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('transcription_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('duration_sec', 'real')
        .addColumn('gpu_elapsed_sec', 'real')
        .addColumn('created_at', 'real', (c) => c.notNull())
        .addColumn('started_at', 'real')
        .addColumn('completed_at', 'real')
        .addColumn('chunk_count', 'integer')
        .addColumn('segment_sec', 'real', (c) => c.notNull())
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
        .addColumn('start_sec', 'real', (c) => c.notNull())
        .addColumn('end_sec', 'real', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('backend', 'text')
        .addColumn('queued_at', 'real')
        .addColumn('started_at', 'real')
        .addColumn('completed_at', 'real')
        .addColumn('compute_sec', 'real')
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
        .addColumn('size_bytes', 'integer', (c) => c.notNull())
        .addColumn('mtime_ms', 'real', (c) => c.notNull())
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
      await db.schema.alterTable('transcription_jobs').addColumn('prepare_compute_sec', 'real').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('transcription_jobs').dropColumn('prepare_compute_sec').execute();
    },
  },
  '2026_11_21_003_failure_handling_and_cost': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('transcription_segments').addColumn('attempts_json', 'text').execute();
      await db.schema.alterTable('transcription_segments').addColumn('cost_usd', 'real').execute();
      await db.schema.alterTable('transcription_jobs').addColumn('priority', 'text', (c) => c.notNull().defaultTo('normal')).execute();
      await db.schema.alterTable('transcription_jobs').addColumn('cost_usd', 'real').execute();
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
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
