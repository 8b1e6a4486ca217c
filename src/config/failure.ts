/**
 * Failure-handling settings (docs/failure-handling.md): routing rules and pressure, the circuit
 * breaker, and the result-quality guard. Schemas and defaults live here, at the bottom of the import
 * graph; pipeline/route.ts, queue/breaker.ts and pipeline/quality.ts take their types from z.infer.
 */
import { z } from 'zod';
import { PRIORITIES } from '../core/types.js';
import { canarySchema } from './rollout.js';

export const routingRuleSchema = z
  .object({
    /** ISO-639-1 code(s) the rule applies to; '*' or absent for any. */
    language: z.union([z.string(), z.array(z.string())]).optional(),
    priority: z.union([z.enum(PRIORITIES), z.array(z.enum(PRIORITIES))]).optional(),
    backend: z.string().min(1),
    fallback: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const pressureRuleSchema = z
  .object({
    /** Segments assigned to the backend and not yet finished, above which new ones are diverted. */
    maxBacklog: z.number().int().min(1),
    divertTo: z.string().min(1),
  })
  .strict();

export const routingSchema = z
  .object({
    rules: z.array(routingRuleSchema).default([]),
    pressure: z.record(z.string(), pressureRuleSchema).default({}),
    /** A candidate backend on trial for a share of segments (docs/canary-and-shadow.md). */
    canary: canarySchema.optional(),
  })
  .strict();

export type RoutingRule = z.infer<typeof routingRuleSchema>;
export type PressureRule = z.infer<typeof pressureRuleSchema>;
export type RoutingConfig = z.infer<typeof routingSchema>;
export const DEFAULT_ROUTING: RoutingConfig = { rules: [], pressure: {} };

export const DEFAULT_BREAKER_OPTIONS = { failureThreshold: 5, errorRateThreshold: 0.5, windowSize: 20, minCalls: 10, openSec: 30 };

export const breakerSchema = z
  .object({
    failureThreshold: z.number().int().min(1).default(DEFAULT_BREAKER_OPTIONS.failureThreshold),
    errorRateThreshold: z.number().gt(0).max(1).default(DEFAULT_BREAKER_OPTIONS.errorRateThreshold),
    windowSize: z.number().int().min(1).default(DEFAULT_BREAKER_OPTIONS.windowSize),
    minCalls: z.number().int().min(1).default(DEFAULT_BREAKER_OPTIONS.minCalls),
    openSec: z.number().positive().default(DEFAULT_BREAKER_OPTIONS.openSec),
  })
  .strict();

export type BreakerOptions = z.infer<typeof breakerSchema>;

export const DEFAULT_QUALITY = { maxCompressionRatio: 2.4, minAvgLogprob: -1.0, minSpeechSecForEmpty: 5 };

export const qualitySchema = z
  .object({
    /** Above this, text is repetitive (whisper's own fallback threshold is 2.4). */
    maxCompressionRatio: z.number().positive().default(DEFAULT_QUALITY.maxCompressionRatio),
    /** Below this mean log-probability, with a low no-speech probability, the decode is unreliable. */
    minAvgLogprob: z.number().default(DEFAULT_QUALITY.minAvgLogprob),
    /** An empty transcript is suspicious when at least this much of the segment is not pause. */
    minSpeechSecForEmpty: z.number().nonnegative().default(DEFAULT_QUALITY.minSpeechSecForEmpty),
  })
  .strict();

export type QualityThresholds = z.infer<typeof qualitySchema>;
