/**
 * Retry policy shared by every backend: exponential backoff with full jitter (AWS architecture blog's
 * "full jitter"), a server's Retry-After as the floor, only for errors that say they are retryable.
 *
 * With a `budgetMs`, transient failures (network errors, timeouts, HTTP 408/409/429/5xx: see
 * `isTransient`) are retried for that long after the first of them, however many attempts that
 * takes: a provider's bad minute costs latency, not the job. `maxAttempts` bounds the failures that
 * are retryable but not transient (an unusable answer, a local engine that crashed). Waiting for an
 * open circuit breaker (`gate`) runs on the budget and is never an attempt. Without a budget,
 * `maxAttempts` bounds every retryable failure (the webhook deliveries' policy).
 */
import type { RetryConfig } from '../config/retry.js';
import { ParascribeError, toParascribeError, type ErrorCode } from '../errors.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Transient failures are retried this long after the first one (ms); absent: `maxAttempts` bounds them too. */
  budgetMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 15_000 };

/**
 * The process's segment policy from its config (the runtime builds it once, for this process's pool
 * and for a `parascribe worker` alike): `retry.*` (config/retry.ts) and `maxAttempts`.
 */
export function retryPolicyFor(config: { maxAttempts: number; retry: RetryConfig }): RetryPolicy {
  return {
    maxAttempts: config.maxAttempts,
    baseDelayMs: config.retry.baseDelayMs,
    maxDelayMs: config.retry.maxDelaySec * 1000,
    budgetMs: config.retry.budgetSec * 1000,
  };
}

export function backoffDelayMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
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

/** Time, waiting and jitter, injectable so that tests run on a virtual clock. */
export interface RetryClock {
  nowMs(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
}

export const SYSTEM_CLOCK: RetryClock = { nowMs: () => Date.now(), sleep, random: Math.random };

const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set(['SEGMENT_TIMEOUT', 'REQUEST_TIMEOUT', 'RATE_LIMITED']);

/**
 * A failure that says nothing about this request, only about the moment: a network error, a timeout,
 * HTTP 408/409/429/5xx (backends mark these `details.transient`, see backends/openai/classify.ts).
 */
export function isTransient(error: ParascribeError): boolean {
  return error.isRetryable && (TRANSIENT_CODES.has(error.code) || error.details?.transient === true);
}

export interface RetryOptions {
  policy: RetryPolicy;
  signal: AbortSignal;
  clock?: RetryClock;
  /**
   * Asked before every attempt: how long to wait before one may start (an open circuit breaker), or 0
   * to start now (it may take a slot, e.g. a half-open breaker's probe). Waits run on the budget.
   */
  gate?: () => number;
  /** The error to give up with when the budget runs out in the gate before any attempt failed. */
  gateError?: () => ParascribeError;
  onRetry?: (attempt: number, error: ParascribeError, delayMs: number) => void;
  /** A wait in the gate is about to start. */
  onGateWait?: (waitMs: number) => void;
}

/** Thrown when the budget is spent: how long the backend was failing and how many attempts were made. */
export function budgetExhausted(last: ParascribeError, failingMs: number, attempts: number, budgetMs: number): ParascribeError {
  const failingSec = Math.round(failingMs / 1000);
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return new ParascribeError('BACKEND_FAILED', `failing for ${failingSec} s (${tries}, retry budget ${Math.round(budgetMs / 1000)} s); last error: ${last.message}`, {
    isRetryable: false,
    cause: last,
    details: { ...last.details, transient: false, budgetExhausted: true, failingSec: failingMs / 1000, attempts, lastCode: last.code },
  });
}

/** Runs `attemptFn` until it succeeds, fails permanently, runs out of attempts or budget, or is aborted. */
export async function withRetry<T>(attemptFn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const budgetMs = policy.budgetMs;
  /** When this run first saw the backend fail (a transient error, or a closed gate). */
  let failingSinceMs: number | undefined;
  let capped = 0; // failures counted against maxAttempts
  let lastError: ParascribeError | undefined;
  const budgetLeftMs = () => (budgetMs === undefined || failingSinceMs === undefined ? Infinity : budgetMs - (clock.nowMs() - failingSinceMs));
  for (let attempt = 1; ; attempt++) {
    for (let waitMs = options.gate?.() ?? 0; waitMs > 0; waitMs = options.gate!()) {
      failingSinceMs ??= clock.nowMs();
      const leftMs = budgetLeftMs();
      if (leftMs <= 0) {
        const last = lastError ?? options.gateError?.() ?? new ParascribeError('BREAKER_OPEN', 'circuit breaker is open');
        throw budgetExhausted(last, clock.nowMs() - failingSinceMs, attempt - 1, budgetMs!);
      }
      const ms = Math.min(waitMs, leftMs);
      options.onGateWait?.(ms);
      await clock.sleep(ms, signal);
    }
    const startedMs = clock.nowMs();
    try {
      return await attemptFn(attempt);
    } catch (thrown) {
      const error = toParascribeError(thrown);
      if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted', { cause: error });
      if (!error.isRetryable) throw error;
      lastError = error;
      const onBudget = budgetMs !== undefined && isTransient(error);
      if (!onBudget && ++capped >= policy.maxAttempts) throw error;
      // A server's Retry-After is a floor under our own backoff, never shortened by jitter.
      const retryAfterMs = typeof error.details?.retryAfterMs === 'number' ? error.details.retryAfterMs : 0;
      let delayMs = Math.max(backoffDelayMs(attempt, policy, () => clock.random()), retryAfterMs);
      if (onBudget) {
        failingSinceMs ??= startedMs;
        const leftMs = budgetLeftMs();
        // Out of budget, or told to stay away longer than it lasts: the next backend (or the job's end) now.
        if (leftMs <= 0 || retryAfterMs > leftMs) throw budgetExhausted(error, clock.nowMs() - failingSinceMs, attempt, budgetMs);
        delayMs = Math.min(delayMs, leftMs);
      }
      options.onRetry?.(attempt, error, delayMs);
      await clock.sleep(delayMs, signal);
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
