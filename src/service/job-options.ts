/**
 * What an API caller may choose per job, checked by one zod schema, and how it turns into the
 * pipeline's Config (the server's config with the caller's choices on top).
 */
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { PRIORITIES } from '../core/types.js';

export const jobOptionsSchema = z
  .object({
    /** A backend id, or a route name from `serve.models`. */
    backend: z.string().min(1).max(100).optional(),
    fallback: z.array(z.string().min(1).max(100)).max(10).optional(),
    language: z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$/, 'an ISO-639 code such as "en"').optional(),
    /** Seconds, or 'auto': the plan with the lowest predicted wall from the backend's history. */
    segment_sec: z.union([z.number().min(10).max(3600), z.literal('auto')]).optional(),
    priority: z.enum(PRIORITIES).optional(),
    webhook_url: z.string().url().max(2000).optional(),
  })
  .strict();

export type JobOptions = z.infer<typeof jobOptionsSchema>;

/** Multipart fields are strings: coerce the numeric and list ones before the schema sees them. */
export function jobOptionsFromFields(fields: Record<string, string>): JobOptions {
  const raw: Record<string, unknown> = { ...fields };
  if (fields.segment_sec !== undefined) raw.segment_sec = fields.segment_sec.trim().toLowerCase() === 'auto' ? 'auto' : Number(fields.segment_sec);
  if (fields.fallback !== undefined) raw.fallback = fields.fallback.split(',').map((s) => s.trim()).filter(Boolean);
  return parseJobOptions(raw);
}

export function parseJobOptions(raw: unknown): JobOptions {
  const parsed = jobOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : 'options';
    throw new ParascribeError('INVALID_ARGUMENT', `invalid ${where}: ${issue.message}`);
  }
  return parsed.data;
}

/** The pipeline config for one job. A `serve.models` name maps to its backend and fallback. */
export function configForJob(base: Config, options: JobOptions): Config {
  const route = options.backend ? base.serve.models[options.backend] : undefined;
  const backend = route?.backend ?? options.backend ?? base.backend;
  return {
    ...base,
    ...(backend ? { backend } : {}),
    fallback: options.fallback ?? route?.fallback ?? base.fallback,
    ...(options.language ? { language: options.language } : {}),
    segmentSec: options.segment_sec ?? base.segmentSec,
    priority: options.priority ?? base.priority,
  };
}
