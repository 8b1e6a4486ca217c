/**
 * The PostgreSQL store driver (`PARASCRIBE_DATABASE_URL=postgres://…`): Kysely's PostgresDialect over a
 * small pg.Pool, the same migrations and the same JobStore code as SQLite. Several processes and hosts
 * can share one database.
 */
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ParascribeError } from '../errors.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

const INT8 = 20;
const NUMERIC = 1700;
const TIMESTAMPTZ = 1184;

const defaultTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (text: string) => Date | number;

/** `timestamptz` text → epoch seconds (millisecond precision, which is what JobStore writes). */
export function parseTimestamptzSec(text: string): number {
  const parsed = defaultTimestamptz(text);
  return parsed instanceof Date ? parsed.getTime() / 1000 : Number(parsed);
}

/**
 * This pool's type parsers. They go through the pool's `types` option, so the process-wide `pg.types`
 * table stays untouched (another pg user in the same process keeps pg's defaults). int8 (`count(*)`,
 * `bigint` columns) and numeric (`EXTRACT(EPOCH …)` since PostgreSQL 14) come back as numbers, as SQLite
 * gives them (exact up to 2^53); `timestamptz` comes back as epoch seconds, the store's unit of time.
 */
const PARSERS: Record<number, (text: string) => unknown> = {
  [INT8]: Number,
  [NUMERIC]: Number,
  [TIMESTAMPTZ]: parseTimestamptzSec,
};

const poolTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && PARSERS[oid] ? PARSERS[oid] : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresOptions {
  /** Connections in the pool (default 5). */
  poolMax?: number;
  /** Milliseconds to wait for a connection before giving up (default 5000). */
  connectTimeoutMs?: number;
}

/** `user@host:port/database` from a connection URL, never its password (for error messages). */
export function describePostgresTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const socket = parsed.searchParams.get('host');
    const host = parsed.hostname || socket || 'localhost';
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    const database = decodeURIComponent(parsed.pathname.slice(1));
    return `${user}${host}:${parsed.port || '5432'}${database ? `/${database}` : ''}`;
  } catch {
    return '(unparsable PARASCRIBE_DATABASE_URL)';
  }
}

/** One line saying why, with the URL's password masked should a message ever quote it. */
function reasonOf(error: unknown, url: string): string {
  const e = error as Error & { code?: string; errors?: Error[] };
  let text = e?.message || e?.errors?.map((inner) => inner.message).find(Boolean) || e?.code || String(error);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // an unparsable URL has no password we could name
  }
  if (password) text = text.split(password).join('***');
  return text.replace(/\s+/g, ' ').trim();
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Kysely<Database>> {
  const target = describePostgresTarget(url);
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      max: options.poolMax ?? 5,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 10_000,
      // No store query takes long; one that hangs (a lock, a lost server) fails instead of holding a job.
      statement_timeout: 30_000,
      // A CLI process exits when its work is done even if it forgot to close the store.
      allowExitOnIdle: true,
      application_name: 'parascribe',
      types: poolTypes,
    });
  } catch (error) {
    throw new ParascribeError('INVALID_CONFIG', `invalid PARASCRIBE_DATABASE_URL (${target}): ${reasonOf(error, url)}`);
  }
  // An idle connection that the server drops (restart, failover) emits 'error' on the pool; unhandled,
  // that would end the process. The next query gets a fresh connection or reports the failure itself.
  pool.on('error', () => undefined);
  try {
    // Connect once before anything else, so an unreachable server is one clear line at open time.
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new ParascribeError('INVALID_CONFIG', `cannot connect to PostgreSQL at ${target}: ${reasonOf(error, url)}`);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Kysely's PostgresAdapter serialises concurrent migrators with a session-level pg_advisory_lock and
  // runs the migrations in one transaction (transactional DDL), so concurrent first opens are safe.
  const { error } = await new Migrator({ db, provider: migrationProvider('postgres') }).migrateToLatest();
  if (error) {
    await db.destroy();
    throw new ParascribeError('INTERNAL', `database migration failed on ${target}: ${reasonOf(error, url)}`);
  }
  return db;
}
