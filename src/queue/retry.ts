/**
 * Retry policy shared by every backend: bounded attempts, exponential backoff with full jitter
 * (AWS architecture blog's "full jitter"), only for errors that say they are retryable.
 */
import { ParascribeError, toParascribeError } from '../errors.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 15_000 };

/** The process's policy from its config (the runtime builds it once). */
export function retryPolicyFor(config: { maxAttempts: number }): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts };
}

export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ParascribeError('ABORTED', 'aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ParascribeError('ABORTED', 'aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `attemptFn` until it succeeds, fails permanently, runs out of attempts, or is aborted. */
export async function withRetry<T>(
  attemptFn: (attempt: number) => Promise<T>,
  options: { policy: RetryPolicy; signal: AbortSignal; onRetry?: (attempt: number, error: ParascribeError, delayMs: number) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptFn(attempt);
    } catch (thrown) {
      const error = toParascribeError(thrown);
      if (options.signal.aborted) throw new ParascribeError('ABORTED', 'aborted', { cause: error });
      if (!error.isRetryable || attempt >= options.policy.maxAttempts) throw error;
      // A server's Retry-After is a floor under our own backoff, never shortened by jitter.
      const retryAfterMs = typeof error.details?.retryAfterMs === 'number' ? error.details.retryAfterMs : 0;
      const delayMs = Math.max(backoffDelayMs(attempt, options.policy), retryAfterMs);
      options.onRetry?.(attempt, error, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

/** Retry-After as seconds or an HTTP-date; `retry-after-ms` (OpenAI's) wins when present. */
export function parseRetryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Math.round(Number(ms)));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
