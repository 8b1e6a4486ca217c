/**
 * A throw-away PostgreSQL database per test file: `CREATE DATABASE parascribe_test_<random>` over a
 * maintenance connection, dropped again (WITH (FORCE) on PostgreSQL ≥ 13) in `after`.
 *
 * The server: `$PARASCRIBE_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/postgres
 * (scripts/setup-postgres.sh, which scripts/test.sh runs, installs and starts one and lets `postgres`
 * in over TCP without a password). When it is unreachable, tests that need it are skipped with the
 * reason, except in CI (`CI` set), where they fail on that reason: a missing database must never pass
 * silently there.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';

export const ADMIN_URL = process.env.PARASCRIBE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL for tests is unreachable at ${new URL(ADMIN_URL).host}: ${(error as Error).message || String(error)} (run scripts/setup-postgres.sh, or set PARASCRIBE_TEST_POSTGRES_URL)`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * `false` when PostgreSQL answers, else the reason to skip. In CI it is always `false`: the file gets one
 * failing test with the connection error (so the runner's summary counts a failure, not only cancelled
 * tests), and the tests that need the database run and fail too instead of being skipped.
 */
export async function postgresSkipReason(): Promise<string | false> {
  try {
    await withAdmin((client) => client.query('select 1'));
    return false;
  } catch (error) {
    if (inCi) {
      test('PostgreSQL for tests is reachable (required under CI)', () => {
        throw error;
      });
      return false;
    }
    const reason = `${(error as Error).message}; skipped outside CI`;
    process.stderr.write(`# ${reason}\n`);
    return reason;
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `parascribe_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdmin(async (client) => {
        const version = Number((await client.query<{ server_version_num: string }>('show server_version_num')).rows[0]!.server_version_num);
        await client.query(version >= 130_000 ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
      }),
  };
}

/** Runs SQL on a test database directly (no parascribe code in between). */
export async function queryDatabase<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
