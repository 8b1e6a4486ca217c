/** Redis connections for BullMQ: names, options, and a reconnect policy that never gives up. */
import { Redis } from 'ioredis';

export const SEGMENT_QUEUE_PREFIX = 'segments';

/** One BullMQ queue per primary backend, so a worker takes only segments it can serve. */
export function segmentQueueName(backendId: string): string {
  return `${SEGMENT_QUEUE_PREFIX}-${backendId}`;
}

/** BullMQ job id of one dispatch of a segment ('.' separated: BullMQ reserves ':'). */
export function segmentTaskId(jobId: string, index: number, dispatch: number): string {
  return `${jobId}.${index}.${dispatch}`;
}

export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel-segments`;
}

/**
 * A connection that reconnects forever with backoff capped at 2 s, and whose commands wait for the
 * reconnect rather than failing (`maxRetriesPerRequest: null`, which BullMQ workers require): a Redis
 * restart is a pause, not an error. Callers bound their own waits.
 */
export function redisConnection(url: string, name: string): Redis {
  const connection = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
  });
  // Without a listener ioredis prints every failed reconnect with a stack trace (BullMQ's QueueEvents
  // adds none to a connection it is given); reportOutages says it in one line where wanted.
  connection.on('error', () => {});
  return connection;
}

/**
 * One line when a connection is lost (ioredis emits an error per reconnect attempt) and one when it
 * is back, with how long it was away.
 */
export function reportOutages(connection: Redis, log: (line: string) => void): void {
  let downSince: number | undefined;
  const where = `${connection.options.host ?? '?'}:${connection.options.port ?? '?'}`;
  connection.on('error', (error: Error) => {
    if (downSince !== undefined) return;
    downSince = Date.now();
    log(`Redis at ${where} unreachable (${error.message || error.name}); reconnecting, queue work waits for it`);
  });
  connection.on('ready', () => {
    if (downSince === undefined) return;
    log(`Redis at ${where} reachable again after ${((Date.now() - downSince) / 1000).toFixed(1)} s`);
    downSince = undefined;
  });
}
