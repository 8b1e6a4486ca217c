/** Settings of `parascribe serve` (the HTTP service); part of the one config schema. */
import { z } from 'zod';

export const serveSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    /** API keys (also PARASCRIBE_API_KEYS, comma-separated). Each key sees only its own jobs. */
    apiKeys: z.array(z.string().min(16, 'API keys must be at least 16 characters')).default([]),
    /**
     * Admin keys (also PARASCRIBE_ADMIN_KEYS, comma-separated): API keys that also see every owner's
     * numbers in GET /v1/stats. Their jobs are their own, like any key's.
     */
    adminKeys: z.array(z.string().min(16, 'API keys must be at least 16 characters')).default([]),
    /** false only for loopback binds (`--no-auth`). */
    auth: z.boolean().default(true),
    maxUploadMb: z.number().positive().default(2048),
    /** Jobs transcribed at once; later ones wait in the queue (by priority, then age). */
    maxConcurrentJobs: z.number().int().min(1).default(2),
    /** Per API key: sustained requests per second and burst size (token bucket). */
    rateLimit: z
      .object({ requestsPerSec: z.number().positive().default(20), burst: z.number().int().min(1).default(60) })
      .strict()
      .default({ requestsPerSec: 20, burst: 60 }),
    /** Whole request (headers + body), and the longest pause while a body is streaming in. */
    requestTimeoutSec: z.number().positive().default(3600),
    bodyIdleTimeoutSec: z.number().positive().default(30),
    /** URL ingestion: size cap, download timeout, and hosts/CIDRs allowed despite being private. */
    url: z
      .object({
        maxMb: z.number().positive().default(2048),
        timeoutSec: z.number().positive().default(600),
        allow: z.array(z.string()).default([]),
      })
      .strict()
      .default({ maxMb: 2048, timeoutSec: 600, allow: [] }),
    /** HMAC secret for webhook signatures (also PARASCRIBE_WEBHOOK_SECRET). Webhooks are refused without one. */
    webhookSecret: z.string().min(16).optional(),
    /**
     * Hours an upload is kept after its job ends, so the UI (and GET /v1/jobs/:id/audio) can play it
     * beside the transcript; 0 deletes it when the job ends. Also PARASCRIBE_KEEP_UPLOAD_HOURS.
     */
    keepUploadHours: z.number().min(0).default(24),
    /** Serve the web UI at `/` (from dist/ui, built by `npm run build`). */
    ui: z.boolean().default(true),
    /**
     * Several API servers on one PostgreSQL store (src/service/cluster/): a server holds each job it
     * runs by a lease it renews every leaseSec/3; a job whose lease lapsed is taken over by the first
     * server whose sweep (every sweepSec) finds it. Unused on the embedded SQLite store.
     */
    cluster: z
      .object({ leaseSec: z.number().min(1).default(15), sweepSec: z.number().positive().default(2) })
      .strict()
      .default({ leaseSec: 15, sweepSec: 2 }),
    /** OpenAI front door: `model` → backend (and fallback). Unknown models use the default route. */
    models: z
      .record(z.string(), z.object({ backend: z.string().min(1), fallback: z.array(z.string().min(1)).optional() }).strict())
      .default({}),
  })
  .strict();

export type ServeConfig = z.infer<typeof serveSchema>;
export const DEFAULT_SERVE_CONFIG: ServeConfig = serveSchema.parse({});
