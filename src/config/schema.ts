/**
 * The one configuration schema. Sources, lowest precedence first: defaults < config file
 * (JSON) < environment (PARASCRIBE_*) < command-line flags.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { OUTPUT_FORMAT_IDS } from '../outputs/formats.js';
import { DEFAULT_DISTRIBUTED_CONFIG, distributedSchema } from './distributed.js';
import { breakerSchema, DEFAULT_BREAKER_OPTIONS, DEFAULT_QUALITY, DEFAULT_ROUTING, qualitySchema, routingSchema } from './failure.js';
import { DEFAULT_LIMITS, limitsSchema } from './limits.js';
import { DEFAULT_LLM_CONFIG, llmSchema } from './llm.js';
import { DEFAULT_MCP_CONFIG, mcpSchema } from './mcp.js';
import { DEFAULT_MODELS_CONFIG, modelsSchema } from './models.js';
import { DEFAULT_SUBTITLES, SPEAKER_SOURCES, subtitlesSchema } from './outputs.js';
import { DEFAULT_FIRST_WORDS, DEFAULT_HEDGING, DEFAULT_WARM_POOL, firstWordsSchema, hedgingSchema, warmPoolSchema } from './latency.js';
import { DEFAULT_RETRY, retrySchema } from './retry.js';
import { shadowSchema } from './rollout.js';
import { DEFAULT_SERVE_CONFIG, serveSchema } from './serve.js';
import { PRIORITIES } from '../core/types.js';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'parascribe');
}

/** The fixed target segment length: the default, and what 'auto' falls back to without a model. */
export const DEFAULT_SEGMENT_SEC = 360;

export const DEFAULT_AUTO_PLAN = { maxSegmentSec: 1800, maxSegmentShare: 0.5, minCapSec: 60, minJobs: 4, historyJobs: 200, objective: 'p90' as 'p90' | 'median' };

export const configSchema = z
  .object({
    /** Made absolute, so that every path under it is recognisable (client messages replace them). */
    dataDir: z.string().min(1).transform((dir) => resolve(dir)),
    /**
     * The job store: absent, the embedded SQLite file in dataDir; a postgres:// URL, a PostgreSQL
     * database shared by every process that points at it (src/store/registry.ts).
     */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/i, 'a postgres:// or postgresql:// URL')
      .optional(),
    /** Primary backend; absent: the first matching routing rule, else pocketsphinx. */
    backend: z.string().min(1).optional(),
    /** Backends to try, in order, when the primary fails, has an open breaker or returns a suspicious result. */
    fallback: z.array(z.string().min(1)).default([]),
    priority: z.enum(PRIORITIES).default('normal'),
    routing: routingSchema.default(DEFAULT_ROUTING),
    breaker: breakerSchema.default(DEFAULT_BREAKER_OPTIONS),
    quality: qualitySchema.default(DEFAULT_QUALITY),
    /** Shadow sampling: a share of segments also transcribed by a reference backend (docs/canary-and-shadow.md). */
    shadow: shadowSchema.optional(),
    /**
     * Target segment length; cut points move to the nearest pause. 'auto' (the default): the plan with
     * the lowest predicted wall from this backend's job history (src/plan/latency/, docs/planning.md),
     * and the fixed DEFAULT_SEGMENT_SEC until that history allows a model. Where a number is needed,
     * read it through `fixedSegmentSec`.
     */
    segmentSec: z
      .union([z.number().positive().max(86_400), z.literal('auto')], { error: "a number of seconds (> 0, at most 86400) or 'auto'" })
      .default('auto'),
    /** segmentSec 'auto': the blast-radius cap and how much history the latency model needs. */
    autoPlan: z
      .object({
        /** No segment longer than this … */
        maxSegmentSec: z.number().positive().max(86_400).default(DEFAULT_AUTO_PLAN.maxSegmentSec),
        /** … nor longer than this share of the recording … */
        maxSegmentShare: z.number().gt(0).max(1).default(DEFAULT_AUTO_PLAN.maxSegmentShare),
        /** … unless it is at most this long. */
        minCapSec: z.number().nonnegative().default(DEFAULT_AUTO_PLAN.minCapSec),
        /** Fewer usable completed jobs of the backend than this: the fixed default instead of a model. */
        minJobs: z.number().int().min(2).default(DEFAULT_AUTO_PLAN.minJobs),
        /** 'median' (default): the plan with the lowest predicted median wall; 'p90': the lowest 90th percentile (a tail one can count on). */
        objective: z.enum(['p90', 'median']).default(DEFAULT_AUTO_PLAN.objective),
        /** The newest this many jobs are fitted. */
        historyJobs: z.number().int().min(2).max(10_000).default(DEFAULT_AUTO_PLAN.historyJobs),
      })
      .strict()
      .default(DEFAULT_AUTO_PLAN),
    /** Hedged requests, fast first words and the warm pool (docs/planning.md). */
    hedging: hedgingSchema.default(DEFAULT_HEDGING),
    firstWords: firstWordsSchema.default(DEFAULT_FIRST_WORDS),
    warmPool: warmPoolSchema.default(DEFAULT_WARM_POOL),
    /** Segments transcribed at once (k). Default: the primary backend's own limit, else CPU cores. */
    concurrency: z.number().int().min(1).max(1024).optional(),
    language: z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$/, 'an ISO-639 code such as "en"').optional(),
    format: z.enum(OUTPUT_FORMAT_IDS as unknown as [string, ...string[]]).default('txt'),
    /** Subtitle cue limits for srt and vtt (src/config/outputs.ts). */
    subtitles: subtitlesSchema.default(DEFAULT_SUBTITLES),
    /** Where speaker labels come from: none, channels (stereo, one speaker each) or backend (docs/speakers.md). */
    speakers: z.enum(SPEAKER_SOURCES).default('none'),
    cache: z.boolean().default(true),
    /**
     * Attempts per segment and backend for failures that are not transient (an unusable answer, a
     * local engine that crashed; 1 = no retry), and the per-attempt timeout (default scales with
     * segment length). Transient failures are bounded by `retry.budgetSec` instead.
     */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** Retry budget and backoff for transient failures (src/config/retry.ts). */
    retry: retrySchema.default(DEFAULT_RETRY),
    segmentTimeoutSec: z.number().positive().optional(),
    planning: z
      .object({
        toleranceSec: z.number().nonnegative().optional(),
        minSegmentSec: z.number().positive().optional(),
        overlapSec: z.number().nonnegative().max(10).default(1.5),
      })
      .strict()
      .default({ overlapSec: 1.5 }),
    silence: z
      .object({
        minPauseSec: z.number().positive().default(0.2),
        baseSilenceDb: z.number().max(0).default(-45),
        maxSilenceDb: z.number().max(0).default(-30),
        marginDb: z.number().nonnegative().default(10),
      })
      .strict()
      .default({ minPauseSec: 0.2, baseSilenceDb: -45, maxSilenceDb: -30, marginDb: 10 }),
    /** Settings per backend id, checked by that backend's own schema. */
    backends: z.record(z.string(), z.unknown()).default({}),
    /** What one job may cost: audio duration and decoded PCM on disk (src/config/limits.ts). */
    limits: limitsSchema.default(DEFAULT_LIMITS),
    serve: serveSchema.default(DEFAULT_SERVE_CONFIG),
    distributed: distributedSchema.default(DEFAULT_DISTRIBUTED_CONFIG),
    /** The chat endpoint `ask` uses (src/config/llm.ts). */
    llm: llmSchema.default(DEFAULT_LLM_CONFIG),
    /** The MCP server's tools: directories a file path may be read from (src/config/mcp.ts). */
    mcp: mcpSchema.default(DEFAULT_MCP_CONFIG),
    /** `parascribe models`: mirror, custom catalogue, stall timeout (src/config/models.ts). */
    models: modelsSchema.default(DEFAULT_MODELS_CONFIG),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** The configured fixed segment length; for 'auto', the default that applies until a model decides. */
export function fixedSegmentSec(config: Pick<Config, 'segmentSec'>): number {
  return config.segmentSec === 'auto' ? DEFAULT_SEGMENT_SEC : config.segmentSec;
}
