/**
 * The HTTP app: routes + auth + rate limit + error mapping, as one Hono app that tests drive
 * in-process (`app.request(...)`) or behind a real socket (listen.ts).
 */
import { Hono } from 'hono';
import type { TranscriptionService } from '../service/service.js';
import { bearerAuth, type AuthEnv } from './auth/index.js';
import { errorResponse } from './http-errors.js';
import { rateLimit } from './rate-limit/index.js';
import { eventsRoutes } from './routes/events.js';
import { jobsRoutes } from './routes/jobs.js';
import { openaiRoutes } from './routes/openai.js';
import { healthRoutes, metricsRoute } from './routes/ops.js';

export interface AppOptions {
  log?: (line: string) => void;
}

export function createApp(service: TranscriptionService, options: AppOptions = {}): Hono<AuthEnv> {
  const { serve } = service.config;
  const app = new Hono<AuthEnv>();
  app.onError((error, c) => errorResponse(c, error, options.log));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    service.metrics.httpRequest(c.req.method, c.req.routePath, c.res.status, (performance.now() - started) / 1000);
  });
  app.route('/', healthRoutes(service));
  const auth = bearerAuth({ enabled: serve.auth, apiKeys: serve.apiKeys });
  app.use('/v1/*', auth, rateLimit(serve.rateLimit));
  app.use('/metrics', auth);
  app.route('/', metricsRoute(service));
  app.route('/v1/jobs', jobsRoutes(service));
  app.route('/v1/jobs', eventsRoutes(service));
  app.route('/v1/audio', openaiRoutes(service));
  return app;
}
