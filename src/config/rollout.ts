/**
 * Shadow sampling and canary rollout settings (docs/canary-and-shadow.md). `shadow` is top level;
 * `routing.canary` sits with the routing rules. Both can be changed without a restart (SIGHUP or an
 * edit of the config file: src/config/holder.ts).
 */
import { z } from 'zod';

/** How shadow calls are bounded: they run beside the jobs, never in their slots. */
export const shadowLimitsShape = {
  /** Shadow calls at once (over every job of the process). */
  maxConcurrent: z.number().int().min(1).max(64).default(2),
  /** Shadow calls waiting or running; a segment sampled while this many are pending is not shadowed. */
  maxPending: z.number().int().min(1).max(10_000).default(32),
  /** One shadow call's limit. */
  timeoutSec: z.number().positive().max(3_600).default(300),
  /** On shutdown, how long running shadow calls may still finish before they are cut. */
  drainSec: z.number().nonnegative().max(600).default(5),
};

export const shadowSchema = z
  .object({
    /** The reference backend: a share of segments is transcribed again by it, off the job's path. */
    backend: z.string().min(1),
    /** Share of segments shadowed (0–1), drawn per (job, segment): the same segment always draws the same. */
    share: z.number().min(0).max(1),
    ...shadowLimitsShape,
  })
  .strict();

export type ShadowConfig = z.infer<typeof shadowSchema>;
export type ShadowLimits = Pick<ShadowConfig, 'maxConcurrent' | 'maxPending' | 'timeoutSec' | 'drainSec'>;
export const DEFAULT_SHADOW_LIMITS: ShadowLimits = z.object(shadowLimitsShape).parse({});

export const canarySchema = z
  .object({
    /** The candidate backend: a share of segments goes to it first (one attempt, then the normal chain). */
    backend: z.string().min(1),
    /** Share of segments sent to the candidate (0–1], drawn per (job, segment). */
    share: z.number().gt(0).max(1),
    /** The backend the candidate is judged against: its segments are transcribed again by this one. */
    compareWith: z.string().min(1),
    /** Share of the candidate's attempts that may fail (an error, a timeout or a suspicious result). */
    maxErrorRate: z.number().min(0).max(1).default(0.05),
    /** Mean WER of the candidate's text against compareWith's on the same segments. Absent: not judged. */
    maxShadowWer: z.number().nonnegative().optional(),
    /** The candidate's call time over compareWith's on the same segments. Absent: not judged. */
    maxLatencyRatio: z.number().positive().optional(),
    /** Segments (and compared segments, for the WER and latency thresholds) before a verdict. */
    minSegments: z.number().int().min(1).max(1_000_000).default(20),
    /**
     * Names the rollout; its counts and its verdict (kept in the store) belong to this name. Default:
     * the candidate's id and a hash of its settings, so a changed candidate starts over.
     */
    rollout: z.string().min(1).max(100).optional(),
  })
  .strict()
  .refine((c) => c.backend !== c.compareWith, { message: 'the candidate and compareWith must be different backends', path: ['compareWith'] });

export type CanaryConfig = z.infer<typeof canarySchema>;
