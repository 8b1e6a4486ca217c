/**
 * One test table on every store driver: the embedded SQLite file and a throw-away PostgreSQL database
 * (skipped with the reason when PostgreSQL is unreachable outside CI: helpers/postgres.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './postgres.js';
import type { StoreSettings } from '../../src/store/registry.js';

export interface StoreDriverCase {
  name: 'sqlite' | 'postgres';
  /** A reason to skip, or false. */
  skip: string | false;
  /** A fresh, empty store: its own data directory (and database); each call another one. */
  settings(): Promise<StoreSettings>;
  /** Removes every directory and database `settings()` made. */
  cleanup(): Promise<void>;
}

export async function storeDriverCases(prefix: string): Promise<StoreDriverCase[]> {
  const pgSkip = await postgresSkipReason();
  const driverCase = (name: 'sqlite' | 'postgres', skip: string | false): StoreDriverCase => {
    const dirs: string[] = [];
    const databases: TestDatabase[] = [];
    return {
      name,
      skip,
      async settings() {
        const dataDir = mkdtempSync(join(tmpdir(), `parascribe-${prefix}-${name}-`));
        dirs.push(dataDir);
        if (name === 'sqlite') return { dataDir };
        const database = await createTestDatabase();
        databases.push(database);
        return { dataDir, databaseUrl: database.url };
      },
      async cleanup() {
        for (const database of databases.splice(0)) await database.drop();
        for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
      },
    };
  };
  return [driverCase('sqlite', false), driverCase('postgres', pgSkip)];
}
