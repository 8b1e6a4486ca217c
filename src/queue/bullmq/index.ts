/** Distributed mode's entry points, and the settings it cannot run without. */
import type { DistributedConfig } from '../../config/distributed.js';
import type { Config } from '../../config/schema.js';
import { ParascribeError } from '../../errors.js';

export { BullmqDispatcher } from './dispatcher.js';
export { SegmentWorker } from './worker.js';

export type DistributedSettings = DistributedConfig & {
  redisUrl: string;
  secret: string;
  /** The segment retry budget (config `retry.budgetSec`): a worker may spend it on one segment, so the default dispatch deadline allows for it. */
  retryBudgetSec?: number;
};

/** undefined: embedded mode. Distributed mode needs a shared database and a worker secret as well. */
export function distributedSettings(config: Config): DistributedSettings | undefined {
  const { distributed } = config;
  if (!distributed.redisUrl) return undefined;
  if (!config.databaseUrl) {
    throw new ParascribeError('INVALID_CONFIG', 'distributed mode (PARASCRIBE_REDIS_URL) needs a database every process shares: set PARASCRIBE_DATABASE_URL to a postgres:// URL');
  }
  if (!distributed.secret) {
    throw new ParascribeError('INVALID_CONFIG', 'distributed mode (PARASCRIBE_REDIS_URL) needs PARASCRIBE_WORKER_SECRET (16+ characters, the same on the server and every worker): it signs the segment-audio URLs');
  }
  return { ...distributed, redisUrl: distributed.redisUrl, secret: distributed.secret, retryBudgetSec: config.retry.budgetSec };
}
