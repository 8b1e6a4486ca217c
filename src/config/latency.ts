/**
 * Latency options (docs/planning.md): hedged requests, fast first words and the warm pool. Each is
 * off by default: set them in the config file (bench/seed-latency.ts shows one).
 */
import { z } from 'zod';

export const hedgingSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Hedge a segment once it runs past this quantile of its predicted time (needs a fitted model). */
    quantile: z.number().gt(0.5).lt(1).default(0.75),
    /** A fixed threshold in seconds, used when no model is fitted for the backend. */
    afterSec: z.number().positive().optional(),
    /** Duplicated audio at most this share of the recording: the worst-case extra compute. */
    maxExtraShare: z.number().min(0).max(1).default(0.1),
    /** Backend for the duplicates; absent: the segment's own chain (another worker of the same backend). */
    backend: z.string().min(1).optional(),
  })
  .strict();

export const firstWordsSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Length of the short first segment. */
    segmentSec: z.number().min(5).max(300).default(20),
    /** Backend that serves the first segment (e.g. a local engine with no cold start); absent: the job's own. */
    backend: z.string().min(1).optional(),
  })
  .strict();

export const warmPoolSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Warm-up requests at job start; absent: the backend's fitted k, else its maxConcurrency, else 1. */
    size: z.number().int().min(1).max(256).optional(),
    timeoutSec: z.number().positive().default(300),
  })
  .strict();

export const DEFAULT_HEDGING = hedgingSchema.parse({});
export const DEFAULT_FIRST_WORDS = firstWordsSchema.parse({});
export const DEFAULT_WARM_POOL = warmPoolSchema.parse({});
