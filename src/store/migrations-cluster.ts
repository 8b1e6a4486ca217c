/**
 * Migrations of the API tier's high availability (issue 17), kept beside the main list
 * (`migrations.ts` spreads them in). They run on both dialects, so the SQLite schema stays the same
 * shape, but only a PostgreSQL store is ever shared by several servers (src/service/cluster/).
 *
 * - `2026_12_07_005_job_leases`: which API server runs a job and until when (`lease_holder`,
 *   `lease_until`, renewed by that server's heartbeat; `lease_epoch` counts claims), and one row per
 *   live server (`service_instances`); secrets the servers share (`cluster_secrets`). The job's
 *   `owner` column stays the API key's tenant.
 * - `2026_12_07_006_upload_blobs`: bytes every server can read: uploads, the transcript of a finished
 *   job, and segment audio for queue workers, as fixed-size bytea chunks (src/store/blobs.ts).
 */
import { sql, type ColumnDataType, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from './migrations.js';

export function clusterMigrations(t: { time: ColumnDataType; bigint: ColumnDataType }, dialect: StoreDialect): Record<string, Migration> {
  return {
    '2026_12_07_005_job_leases': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('transcription_jobs').addColumn('lease_holder', 'text').execute();
        await db.schema.alterTable('transcription_jobs').addColumn('lease_until', t.time).execute();
        await db.schema.alterTable('transcription_jobs').addColumn('lease_epoch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        // The takeover sweep's question: unfinished jobs whose lease is absent or lapsed.
        await db.schema.createIndex('transcription_jobs_lease').on('transcription_jobs').columns(['status', 'lease_until']).execute();
        await db.schema
          .createTable('service_instances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('url', 'text')
          .addColumn('started_at', t.time, (c) => c.notNull())
          .addColumn('heartbeat_at', t.time, (c) => c.notNull())
          .addColumn('lease_until', t.time, (c) => c.notNull())
          .execute();
        // Secrets every server of the store signs with alike (a signed audio URL works on any server).
        await db.schema.createTable('cluster_secrets').addColumn('name', 'text', (c) => c.primaryKey()).addColumn('value', 'text', (c) => c.notNull()).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('cluster_secrets').execute();
        await db.schema.dropTable('service_instances').execute();
        await db.schema.dropIndex('transcription_jobs_lease').execute();
        for (const column of ['lease_holder', 'lease_until', 'lease_epoch']) await db.schema.alterTable('transcription_jobs').dropColumn(column).execute();
      },
    },
    '2026_12_07_006_upload_blobs': {
      async up(db: Kysely<unknown>) {
        // Not keyed to transcription_jobs: an upload is written before its job row exists (the row and
        // the blob's 'complete' state are committed together; an unfinished blob is an orphan).
        await db.schema
          .createTable('blobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('job_id', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('size_bytes', t.bigint, (c) => c.notNull().defaultTo(0))
          .addColumn('chunk_bytes', 'integer', (c) => c.notNull())
          .addColumn('writer', 'text')
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('completed_at', t.time)
          .execute();
        await db.schema.createIndex('blobs_job').on('blobs').columns(['job_id', 'kind']).execute();
        await db.schema
          .createTable('blob_chunks')
          .addColumn('blob_id', 'text', (c) => c.notNull().references('blobs.id').onDelete('cascade'))
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addPrimaryKeyConstraint('blob_chunks_pk', ['blob_id', 'seq'])
          .execute();
        // Audio does not compress: keep TOAST from trying (stored out of line, uncompressed).
        if (dialect === 'postgres') await sql`alter table blob_chunks alter column data set storage external`.execute(db);
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('blob_chunks').execute();
        await db.schema.dropTable('blobs').execute();
      },
    },
  };
}
