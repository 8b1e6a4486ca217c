/** What every command needs: the validated config and the store in the data dir. */
import { join } from 'node:path';
import { TranscriptCache } from '../cache/index.js';
import type { Config } from '../config/schema.js';
import { JobStore } from '../store/jobs.js';
import { openSqlite } from '../store/sqlite.js';

export interface CliContext {
  config: Config;
  store: JobStore;
  cache: TranscriptCache;
}

export async function openContext(config: Config): Promise<CliContext> {
  const db = await openSqlite(join(config.dataDir, 'parascribe.sqlite'));
  return { config, store: new JobStore(db), cache: new TranscriptCache(join(config.dataDir, 'cache')) };
}
