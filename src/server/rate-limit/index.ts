/**
 * Per-caller token bucket: `requestsPerSec` sustained, `burst` at once. Over the limit → 429 with
 * Retry-After (whole seconds until a token is back). State lives in the middleware instance
 * (TokenBuckets), or in Redis when several API servers share the limit (redis.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { ParascribeError } from '../../errors.js';
import type { AuthEnv } from '../auth/index.js';

export interface RateLimitOptions {
  requestsPerSec: number;
  burst: number;
  nowMs?: () => number;
  /** Buckets idle this long are forgotten (bounds memory with many callers). */
  forgetAfterMs?: number;
}

/** Takes a token for a key: 0 when granted, else the milliseconds until one is available. */
export interface Buckets {
  take(key: string): number | Promise<number>;
}

export class TokenBuckets implements Buckets {
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes a token for `key`; returns 0 when granted, else the milliseconds until one is available. */
  take(key: string): number {
    const now = this.options.nowMs?.() ?? Date.now();
    const { requestsPerSec, burst } = this.options;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, atMs: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.atMs) / 1000) * requestsPerSec);
    bucket.atMs = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > 10_000) this.#forget(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return ((1 - bucket.tokens) / requestsPerSec) * 1000;
  }

  #forget(now: number): void {
    const forgetAfterMs = this.options.forgetAfterMs ?? 10 * 60_000;
    for (const [key, bucket] of this.#buckets) if (now - bucket.atMs > forgetAfterMs) this.#buckets.delete(key);
  }
}

export function rateLimit(options: RateLimitOptions, buckets: Buckets = new TokenBuckets(options)): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const owner = c.get('owner');
    if (owner) {
      const waitMs = await buckets.take(owner);
      if (waitMs > 0) {
        throw new ParascribeError('RATE_LIMITED', `rate limit of ${options.requestsPerSec} requests/s exceeded`, { details: { retryAfterSec: waitMs / 1000 } });
      }
    }
    return next();
  };
}
