/**
 * The HTTP app: routes + auth + rate limit + error mapping, as one Hono app that tests drive
 * in-process (`app.request(...)`) or behind a real socket (listen.ts).
 */
import { Hono } from 'hono';
import type { TranscriptionService } from '../service/service.js';
import { bearerAuth, KeyOwners, ownerOfKey, type AuthEnv } from './auth/index.js';
import { errorResponse } from './http-errors.js';
import { MCP_PATH, mcpRoutes } from '../mcp/http.js';
import { pollFastPath, type FastPath } from './poll-fast-path/index.js';
import { rateLimit, TokenBuckets, type Buckets } from './rate-limit/index.js';
import { jsonBodyLimit } from './body-limit/index.js';
import { OpenStreams, streamLimit } from './stream-limit/index.js';
import { askRoutes } from './routes/ask.js';
import { eventsRoutes } from './routes/events.js';
import { jobsRoutes } from './routes/jobs.js';
import { openaiRoutes } from './routes/openai.js';
import { QUEUE_BOARD_PATH, queueBoardRoutes, type QueueBoardSource } from './routes/queue-board.js';
import { searchRoutes } from './routes/search.js';
import { segmentAudioRoutes } from './routes/segments.js';
import { statsRoutes } from './routes/stats.js';
import { SEGMENT_AUDIO_PATH } from '../queue/bullmq/segment-url.js';
import { healthRoutes, metricsRoute } from './routes/ops.js';
import { jobMediaRoutes, signedAudioRoutes } from './routes/media.js';
import { backendsRoutes } from './routes/backends.js';
import { hourlyStatsRoutes } from './routes/hourly.js';
import { AudioUrls, MEDIA_AUDIO_PATH } from './media-url.js';
import { uiRoutes } from './ui.js';

export interface AppOptions {
  log?: (line: string) => void;
  /** Distributed mode: bull-board over these queues at /admin/queues, behind the API's bearer auth. */
  queueBoard?: QueueBoardSource;
  /** Rate-limit buckets shared by several servers (rate-limit/redis.ts); default: this process's own. */
  buckets?: Buckets;
  /** The built web UI's folder (default: found beside the server, ui.ts); null: no UI. */
  uiDir?: string | null;
}

export interface HttpApp {
  app: Hono<AuthEnv>;
  /** Answers plain status polls before the app sees them (poll-fast-path/); shares the app's keys and buckets. */
  fastPath: FastPath;
}

export function createApp(service: TranscriptionService, options: AppOptions = {}): HttpApp {
  const { serve } = service.config;
  // Admin keys are API keys too; they see more only where a route asks (GET /v1/stats).
  const apiKeys = [...new Set([...serve.apiKeys, ...serve.adminKeys])];
  const owners = new KeyOwners({ enabled: serve.auth, apiKeys });
  const admins = new Set(serve.adminKeys.map(ownerOfKey));
  const buckets = options.buckets ?? new TokenBuckets(serve.rateLimit);
  const app = new Hono<AuthEnv>();
  app.onError((error, c) => errorResponse(c, error, { ...(options.log ? { log: options.log } : {}), dataDir: service.config.dataDir }));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    service.metrics.httpRequest(c.req.method, c.req.routePath, c.res.status, (performance.now() - started) / 1000);
  });
  app.route('/', healthRoutes(service));
  const auth = bearerAuth({ enabled: serve.auth, apiKeys }, owners);
  const bodyLimit = jsonBodyLimit(serve.maxJsonBodyKb);
  app.use('/v1/*', auth, rateLimit(serve.rateLimit, buckets), bodyLimit);
  app.use('/metrics', auth);
  // MCP (Streamable HTTP) behind the same keys and buckets: each request's tools see its key's jobs.
  app.use(MCP_PATH, auth, rateLimit(serve.rateLimit, buckets), bodyLimit);
  // Event streams per key (docs/limits.md): job events and ask always stream; the OpenAI door when asked to.
  const streams = new OpenStreams(serve.maxStreamsPerKey);
  app.use('/v1/jobs/:id/events', streamLimit(streams));
  app.on('POST', '/v1/jobs/:id/ask', streamLimit(streams));
  app.route('/', metricsRoute(service));
  if (options.queueBoard) {
    app.use(QUEUE_BOARD_PATH, auth);
    app.use(`${QUEUE_BOARD_PATH}/*`, auth);
    app.route(QUEUE_BOARD_PATH, queueBoardRoutes(options.queueBoard));
  }
  app.route('/v1/jobs', jobsRoutes(service));
  app.route('/v1/jobs', eventsRoutes(service));
  app.route('/v1/jobs', askRoutes(service));
  // Several servers on one store sign alike, so a URL from one plays on any (behind a balancer).
  const audioUrls = new AudioUrls(service.cluster?.mediaUrlSecret);
  app.route('/v1/jobs', jobMediaRoutes(service, audioUrls));
  app.route('/v1/stats/hourly', hourlyStatsRoutes(service, (owner) => admins.has(owner)));
  app.route('/v1/backends', backendsRoutes(service));
  // The signature in the query is the credential (media-url.ts): outside /v1 and its bearer auth.
  app.route(MEDIA_AUDIO_PATH, signedAudioRoutes(service, audioUrls));
  app.route('/v1/audio', openaiRoutes(service, streams));
  app.route('/v1/search', searchRoutes(service));
  app.route(MCP_PATH, mcpRoutes(service, options.log ? { log: options.log } : {}));
  app.route('/v1/stats', statsRoutes(service, (owner) => admins.has(owner)));
  // Distributed mode: workers fetch segment audio with signed URLs (the signature is the credential).
  const { secret } = service.config.distributed;
  if (secret) app.route(SEGMENT_AUDIO_PATH, segmentAudioRoutes(service.config.dataDir, secret, service.cluster?.blobs));
  if (serve.ui && options.uiDir !== null) app.route('/', uiRoutes(options.uiDir));
  return { app, fastPath: pollFastPath(service, owners, buckets) };
}
