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
    /** Jobs of one API key transcribed at once (a key's next job waits while others' start). */
    maxRunningJobsPerKey: z.number().int().min(1).default(2),
    /** Jobs of one API key waiting to start; a new one past it is refused: 429 QUEUE_FULL with Retry-After. */
    maxQueuedJobsPerKey: z.number().int().min(1).default(100),
    /** Event streams (SSE: job events, OpenAI stream=true, ask) one API key holds open at once; past it 429 TOO_MANY_STREAMS. */
    maxStreamsPerKey: z.number().int().min(1).default(16),
    /** Request bodies that are not uploads (JSON: URL jobs, ask, MCP), in KiB; past it 413 PAYLOAD_TOO_LARGE. */
    // 128: a question of 20,000 characters (ask's limit), each up to 4 bytes of UTF-8, with room for the rest.
    maxJsonBodyKb: z.number().positive().default(128),
    /** Per API key: sustained requests per second and burst size (token bucket). */
    rateLimit: z
      .object({ requestsPerSec: z.number().positive().default(20), burst: z.number().int().min(1).default(60) })
      .strict()
      .default({ requestsPerSec: 20, burst: 60 }),
    /** Whole request (headers + body), and the longest pause while a body is streaming in. */
    requestTimeoutSec: z.number().positive().default(3600),
    bodyIdleTimeoutSec: z.number().positive().default(30),
    /**
     * Once bodyIdleTimeoutSec has passed, a request body (upload or JSON) must average at least this
     * many bytes per second, or it is cut off with 408 (a client trickling a byte a second holds no
     * connection for the whole requestTimeoutSec). 0: no minimum.
     */
    minBodyBytesPerSec: z.number().min(0).default(1024),
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
