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
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
  });
}
