/**
 * The rate limit shared by every API server (distributed mode): each key's token bucket is a Redis
 * hash updated by one Lua script, atomically and on Redis's clock, so N servers behind a load balancer
 * grant a key `requestsPerSec` (and `burst`) in total, not N times that. Same semantics as
 * TokenBuckets: a refused take consumes nothing; an idle bucket expires once it would be full again.
 *
 * Redis unreachable or slow (no answer within `timeoutMs`): the request is decided by this process's
 * own bucket instead, so an outage loosens the limit to per-server for its duration rather than
 * refusing or stalling every request. One log line when that starts, one when it ends.
 */
import { Redis } from 'ioredis';
import { TokenBuckets, type Buckets, type RateLimitOptions } from './index.js';

const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate * 1000 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)`;

export interface RedisBucketOptions extends RateLimitOptions {
  redisUrl: string;
  /** Key prefix (the deployment's queue prefix): `<prefix>:ratelimit:<caller>`. */
  prefix: string;
  /** Longest wait for Redis before this process's own bucket decides (default 250 ms). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

type WithTake = Redis & { parascribeTake(key: string, rate: number, burst: number): Promise<string> };

export class RedisTokenBuckets implements Buckets {
  readonly #redis: WithTake;
  readonly #local: TokenBuckets;
  #downSince: number | undefined;

  constructor(private readonly options: RedisBucketOptions) {
    this.#local = new TokenBuckets(options);
    // Commands fail at once while disconnected (no offline queue): the local bucket answers then.
    const redis = new Redis(options.redisUrl, {
      connectionName: 'parascribe-ratelimit',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    });
    redis.on('error', () => {});
    redis.defineCommand('parascribeTake', { numberOfKeys: 1, lua: TAKE });
    this.#redis = redis as WithTake;
  }

  /** Resolves once connected (or after `timeoutMs`): the first requests need not fall back. */
  async ready(timeoutMs = 2_000): Promise<void> {
    if (this.#redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async take(key: string): Promise<number> {
    const { requestsPerSec, burst, prefix, timeoutMs = 250 } = this.options;
    let timer: NodeJS.Timeout | undefined;
    try {
      const shared = this.#redis.parascribeTake(`${prefix}:ratelimit:${key}`, requestsPerSec, burst);
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
      const waitMs = Number(await Promise.race([shared, timeout]));
      if (this.#downSince !== undefined) {
        this.options.log?.(`rate limits: shared buckets in Redis reachable again after ${((Date.now() - this.#downSince) / 1000).toFixed(1)} s`);
        this.#downSince = undefined;
      }
      return waitMs;
    } catch (error) {
      if (this.#downSince === undefined) {
        this.#downSince = Date.now();
        this.options.log?.(`rate limits: Redis unavailable (${(error as Error).message}); each server limits on its own until it is back`);
      }
      return this.#local.take(key);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
