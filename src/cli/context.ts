/** What every command needs: the validated config, the store (SQLite in the data dir, or PostgreSQL) and the cache. */
import { join } from 'node:path';
import { TranscriptCache } from '../cache/index.js';
import type { Config } from '../config/schema.js';
import type { JobStore } from '../store/jobs.js';
import { openStore } from '../store/registry.js';

export interface CliContext {
  config: Config;
  store: JobStore;
  cache: TranscriptCache;
}

/** `log`: where a long-running command wants the store's notices (a shared database unreachable, back again). */
export async function openContext(config: Config, log?: (line: string) => void): Promise<CliContext> {
  const store = await openStore(log ? { ...config, log } : config);
  return { config, store, cache: new TranscriptCache(join(config.dataDir, 'cache')) };
}
