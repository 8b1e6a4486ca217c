/**
 * The store drivers and the one place that picks one from the configuration: `databaseUrl`
 * (`PARASCRIBE_DATABASE_URL`) set to a postgres:// URL selects PostgreSQL; absent, the embedded SQLite
 * file in the data directory. Each driver loads its client library only when it is chosen.
 */
import { join } from 'node:path';
import { ParascribeError } from '../errors.js';
import { JobStore } from './jobs.js';

export interface StoreSettings {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Notices from a store shared over the network (PostgreSQL unreachable, back again). */
  log?: ((line: string) => void) | undefined;
}

export interface StoreDriver {
  readonly name: 'sqlite' | 'postgres';
  /** Whether this driver serves these settings. */
  accepts(settings: StoreSettings): boolean;
  /** Opens the store, migrated to the latest schema. */
  open(settings: StoreSettings): Promise<JobStore>;
}

export const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export const STORE_DRIVERS: readonly StoreDriver[] = [
  {
    name: 'sqlite',
    accepts: (settings) => settings.databaseUrl === undefined,
    async open(settings) {
      const { openSqlite } = await import('./sqlite.js');
      return new JobStore(await openSqlite(join(settings.dataDir, 'parascribe.sqlite')), { times: 'epoch', dialect: 'sqlite' });
    },
  },
  {
    name: 'postgres',
    accepts: (settings) => settings.databaseUrl !== undefined && POSTGRES_URL.test(settings.databaseUrl),
    async open(settings) {
      const { openPostgres } = await import('./postgres.js');
      return new JobStore(await openPostgres(settings.databaseUrl!, settings.log ? { log: settings.log } : {}), { times: 'timestamptz', dialect: 'postgres' });
    },
  },
];

export function storeDriverFor(settings: StoreSettings): StoreDriver {
  const driver = STORE_DRIVERS.find((d) => d.accepts(settings));
  if (!driver) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(settings.databaseUrl ?? '')?.[1] ?? '(none)';
    throw new ParascribeError('INVALID_CONFIG', `PARASCRIBE_DATABASE_URL: no store driver for the scheme "${scheme}" (use postgres://…)`);
  }
  return driver;
}

export async function openStore(settings: StoreSettings): Promise<JobStore> {
  return storeDriverFor(settings).open(settings);
}
