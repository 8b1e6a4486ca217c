/**
 * Distributed mode: segment tasks on Redis (BullMQ), job state in PostgreSQL, `parascribe worker` on
 * any number of machines. Off unless `redisUrl` is set; part of the one config schema.
 */
import { z } from 'zod';

/**
 * Under overload (the queued work needs longer than `targetSec` × a factor at maxWorkers), new batch
 * and then normal jobs go to a cheaper backend; critical jobs never. Off while `backend` is unset.
 */
export const degradeSchema = z
  .object({
    /** The cheaper backend (a configured backend id, e.g. pocketsphinx on CPU workers). */
    backend: z.string().min(1).optional(),
    /** The backlog should be clearable within this many seconds by the whole fleet. */
    targetSec: z.number().positive().default(300),
    /** Batch jobs degrade when the clear time exceeds batchAfter × targetSec. */
    batchAfter: z.number().positive().default(1),
    /** Normal jobs degrade when it exceeds normalAfter × targetSec. */
    normalAfter: z.number().positive().default(2),
  })
  .strict()
  .prefault({});

/** Demand forecast from the job store's arrivals (src/autoscale/forecast.ts). */
export const forecastSchema = z
  .object({
    /** Off: parascribe_desired_workers is the reactive signal alone. */
    enabled: z.boolean().default(true),
    /** Arrivals are binned this wide (audio seconds and jobs per bin). */
    binSec: z.number().int().min(60).max(3_600).default(300),
    /** The forecast is refitted from the store this often. */
    refitSec: z.number().positive().default(900),
    /** Days of arrivals read at a refit; 14 or more give a weekly profile, else daily. */
    historyDays: z.number().int().min(1).max(90).default(28),
    /** Window of the recent level: actual arrivals over it ÷ the profile's for the same bins. */
    recentSec: z.number().positive().default(3_600),
    /** Weight of that level ratio: 0 is seasonal-naive, 1 scales the profile by the full ratio. */
    levelWeight: z.number().min(0).max(1).default(0.5),
    /** The level ratio is clamped to [1/maxLevelRatio, maxLevelRatio]. */
    maxLevelRatio: z.number().min(1).default(3),
    /** Share of slot time the predictive part plans to keep busy (queueing needs headroom). */
    targetUtilisation: z.number().gt(0).max(1).default(0.8),
  })
  .strict()
  .prefault({});

export const distributedSchema = z
  .object({
    /** redis:// URL (also PARASCRIBE_REDIS_URL). Absent: segments run in the serving process. */
    redisUrl: z.string().regex(/^rediss?:\/\/\S+$/i, 'a redis:// or rediss:// URL').optional(),
    /** Key prefix of every queue, so several deployments can share one Redis. */
    queuePrefix: z.string().regex(/^[A-Za-z0-9_-]+$/).default('parascribe'),
    /** HMAC secret for the signed segment-audio URLs (also PARASCRIBE_WORKER_SECRET); server and workers share it. */
    secret: z.string().min(16, 'the worker secret must be at least 16 characters').optional(),
    /** The API server's address as workers reach it (default: the address it listens on). */
    publicUrl: z.string().url().optional(),
    /** Lifetime of a signed segment-audio URL. */
    urlTtlSec: z.number().positive().default(900),
    /**
     * A dispatched segment with no result after this long is handed out again (up to
     * maxDispatchAttempts times), then fails with the reason. Default: 120 s + 4 × its audio length
     * + retry.budgetSec (a worker may spend the budget retrying a failing backend).
     */
    segmentDeadlineSec: z.number().positive().optional(),
    maxDispatchAttempts: z.number().int().min(1).max(20).default(3),
    /** A worker that stops renewing a segment's lock this long is presumed gone; its segment is re-delivered. */
    lockSec: z.number().positive().default(30),
    /** How often workers look for segments whose worker is gone (BullMQ's stalled check). */
    stalledCheckSec: z.number().positive().default(10),
    /** Re-deliveries of one segment after worker losses before it counts as failed. */
    maxStalledCount: z.number().int().min(0).default(3),
    /** Segments of one job on the queue at once. */
    maxSegmentsInFlight: z.number().int().min(1).default(256),
    /** `parascribe worker` defaults (flags override). */
    worker: z
      .object({
        concurrency: z.number().int().min(1).max(256).default(1),
        /** Backends this worker serves; absent: every backend in config plus pocketsphinx. */
        backends: z.array(z.string().min(1)).optional(),
        /** Load models at start and keep them loaded (the warm pool). */
        minWarm: z.boolean().default(false),
        /** SIGTERM: how long in-flight segments may run before they are handed back to the queue. */
        graceSec: z.number().nonnegative().default(30),
      })
      .strict()
      .default({ concurrency: 1, minWarm: false, graceSec: 30 }),
    /** Inputs of `parascribe_desired_workers`. */
    autoscale: z
      .object({
        /** Backlog should be done within this many seconds. */
        latencyTargetSec: z.number().positive().default(60),
        minWorkers: z.number().int().min(0).default(0),
        maxWorkers: z.number().int().min(1).default(100),
        /**
         * Scale-down is held this long: the signal is the highest recommendation of this window (as the
         * HPA's stabilisation window), so a lull between bursts does not shed warm workers. 0: off.
         */
        scaleDownStabilisationSec: z.number().min(0).default(300),
        /** Time from asking for a worker to its first task (pod start + image pull + model load): the forecast looks this far ahead. */
        provisioningDelaySec: z.number().min(0).default(60),
        /** The predictive part (docs/scaling.md, "Autoscaling the workers"). */
        forecast: forecastSchema,
        /** Degraded fidelity under overload (src/autoscale/degrade.ts). */
        degrade: degradeSchema,
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DistributedConfig = z.infer<typeof distributedSchema>;
export const DEFAULT_DISTRIBUTED_CONFIG: DistributedConfig = distributedSchema.parse({});
