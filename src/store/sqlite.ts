/** The embedded store: SQLite through Kysely (the default driver; `postgres.ts` is the other one, `registry.ts` picks). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { ParascribeError } from '../errors.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export async function openSqlite(path: string): Promise<Kysely<Database>> {
  let sqlite: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    sqlite = new BetterSqlite3(path);
  } catch (error) {
    throw new ParascribeError('INVALID_CONFIG', `cannot open database ${path}: ${(error as Error).message}`);
  }
  // WAL lets `parascribe jobs` read while a transcription writes; busy_timeout makes writers wait, not fail.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  // Kysely takes no lock for SQLite and runs DDL outside a transaction, so two processes opening a new
  // database (serve + a CLI, two tests) could both migrate. One IMMEDIATE transaction around the
  // migration serialises them: the second waits (busy_timeout), then finds nothing to do.
  sqlite.exec('BEGIN IMMEDIATE');
  const { error } = await new Migrator({ db, provider: migrationProvider('sqlite') }).migrateToLatest();
  sqlite.exec(error ? 'ROLLBACK' : 'COMMIT');
  if (error) {
    await db.destroy();
    throw new ParascribeError('INTERNAL', `database migration failed: ${(error as Error).message}`);
  }
  return db;
}
