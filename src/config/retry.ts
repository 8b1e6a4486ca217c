/**
 * How a segment's transient failures are retried (docs/failure-handling.md). Transient: network
 * errors, timeouts, HTTP 408/409/429/5xx. They are retried for up to `budgetSec` on one backend, with
 * exponential backoff and full jitter (min(maxDelaySec, baseDelayMs × 2^(n−1)), a Retry-After as the
 * floor); when the budget runs out, the next backend of the chain takes the segment, and without one
 * the job fails. Other failures stay bounded by `maxAttempts` (top level, `--max-attempts`).
 * queue/retry.ts `retryPolicyFor` turns these into the policy segments are served with.
 */
import { z } from 'zod';

export const retrySchema = z
  .object({
    /** Seconds one segment keeps retrying a failing backend, counted from its first failure (also PARASCRIBE_RETRY_BUDGET_SEC, --retry-budget-sec). */
    budgetSec: z.number().positive().max(86_400).default(600),
    /** Backoff before retry n: uniform in [0, min(maxDelaySec, baseDelayMs × 2^(n−1))). */
    baseDelayMs: z.number().int().min(0).max(600_000).default(500),
    maxDelaySec: z.number().positive().max(3_600).default(30),
  })
  .strict();

export type RetryConfig = z.infer<typeof retrySchema>;
export const DEFAULT_RETRY: RetryConfig = retrySchema.parse({});

