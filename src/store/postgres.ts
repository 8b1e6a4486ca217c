/**
 * The PostgreSQL store driver (`PARASCRIBE_DATABASE_URL=postgres://…`): Kysely's PostgresDialect over a
 * small pg.Pool, the same migrations and the same JobStore code as SQLite. Several processes and hosts
 * can share one database.
 */
import { Kysely, Migrator, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
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
  /**
   * Once open: how long a query waits for an unreachable server to come back (a restart, a failover, a
   * network blip) before it fails with the reason (default 30 s). Refusals by a reachable server
   * (wrong password, no such database) fail at once.
   */
  reconnectSec?: number;
  /** Where the one-line notices of an outage and of its end go. */
  log?: (line: string) => void;
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

/**
 * Whether a failed connection attempt may succeed later: anything but a refusal by a reachable server.
 * Server errors carry a SQLSTATE; of those only connection exceptions (class 08) and "shutting down /
 * starting up" (57P0x) are passing.
 */
function isTransientConnectError(error: unknown): boolean {
  const e = error as { code?: unknown; severity?: unknown };
  const sqlState = typeof e?.code === 'string' && typeof e.severity === 'string' ? e.code : undefined;
  return sqlState === undefined || sqlState.startsWith('08') || sqlState.startsWith('57P0');
}

/** Whether a query failed because its connection was lost (reset, closed, server shutting down). */
function isLostConnection(error: unknown): boolean {
  const e = error as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && typeof e.severity === 'string') return e.code.startsWith('08') || e.code.startsWith('57P0');
  return (
    ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT'].includes(String(e?.code)) ||
    /connection terminated|not queryable|connection error|socket has been ended/i.test(String(e?.message))
  );
}

/**
 * The pool Kysely draws connections from. While PostgreSQL is unreachable, taking a connection waits
 * (backoff up to 2 s) for up to `reconnectSec` instead of failing, and a statement whose connection
 * was lost before its answer is sent again on a fresh one: a brief outage delays queries rather than
 * failing jobs. That resend is safe for JobStore's statements (reads; UPDATEs that set values or are
 * guarded, such as completeSegment's "not yet completed"; an INSERT that had landed fails on its key,
 * a clear error); inside a transaction nothing is resent, the transaction fails as a whole.
 * One log line when an outage starts, one when it ends.
 */
function waitingPool(pool: pg.Pool, target: string, url: string, options: PostgresOptions): PostgresPool {
  const reconnectMs = (options.reconnectSec ?? 30) * 1000;
  let downSince: number | undefined;
  const connect = async (): Promise<pg.PoolClient> => {
    const deadline = Date.now() + reconnectMs;
    for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 2_000)) {
      try {
        const client = await pool.connect();
        if (downSince !== undefined) {
          options.log?.(`PostgreSQL at ${target} reachable again after ${((Date.now() - downSince) / 1000).toFixed(1)} s`);
          downSince = undefined;
        }
        return client;
      } catch (error) {
        if (!isTransientConnectError(error) || Date.now() + waitMs > deadline) throw error;
        if (downSince === undefined) {
          downSince = Date.now();
          options.log?.(`PostgreSQL at ${target} unreachable (${reasonOf(error, url)}); queries wait up to ${reconnectMs / 1000} s for it`);
        }
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  };
  return {
    async connect() {
      let client = await connect();
      let inTransaction = false;
      const wrapped = {
        async query(sql: string, parameters: readonly unknown[]) {
          // A cursor (Kysely's streaming) goes through as it is.
          if (typeof sql !== 'string') return client.query(sql);
          for (let attempt = 1; ; attempt++) {
            try {
              const result = await client.query(sql, parameters as unknown[]);
              if (/^\s*(begin|start transaction)\b/i.test(sql)) inTransaction = true;
              else if (/^\s*(commit|rollback|end)\b/i.test(sql)) inTransaction = false;
              return result;
            } catch (error) {
              if (inTransaction || attempt >= 3 || !isLostConnection(error)) throw error;
              client.release(error as Error); // the pool drops a connection released with an error
              client = await connect();
            }
          }
        },
        release: () => client.release(),
      };
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
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
  // A connection that dies while checked out (mid-query: reset, server gone) emits 'error' on its
  // client, which the pool does not handle either: that too would end the process. The query in
  // flight fails with the reason, and the pool drops the dead client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    // Connect once before anything else, so an unreachable server is one clear line at open time.
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new ParascribeError('INVALID_CONFIG', `cannot connect to PostgreSQL at ${target}: ${reasonOf(error, url)}`);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: waitingPool(pool, target, url, options) }) });
  // Kysely's PostgresAdapter serialises concurrent migrators with a session-level pg_advisory_lock and
  // runs the migrations in one transaction (transactional DDL), so concurrent first opens are safe.
  const { error } = await new Migrator({ db, provider: migrationProvider('postgres') }).migrateToLatest();
  if (error) {
    await db.destroy();
    throw new ParascribeError('INTERNAL', `database migration failed on ${target}: ${reasonOf(error, url)}`);
  }
  return db;
}
