/**
 * Operations endpoints: liveness, readiness (database + breakers, and on a shared store the job-lease
 * heartbeat), Prometheus metrics, the OpenAPI document.
 */
import { Hono } from 'hono';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';
import { openApiDocument } from '../openapi.js';

export function healthRoutes(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    let database = 'ok';
    try {
      await service.store.ping();
    } catch (error) {
      database = `unreachable: ${(error as Error).message}`;
    }
    const breakers = service.metricsSources.breakerStates();
    // Not ready when the database is gone, or every backend in use has an open breaker.
    const states = Object.values(breakers);
    // Several servers: one whose heartbeat has not reached the store for a lease may have lost its jobs.
    const lease = service.cluster?.health();
    const ready = database === 'ok' && (states.length === 0 || states.some((s) => s !== 'open')) && (lease?.ok ?? true);
    return c.json({ status: ready ? 'ready' : 'not ready', database, breakers, ...(lease ? { lease } : {}) }, ready ? 200 : 503);
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  return app;
}

export function metricsRoute(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/metrics', async (c) => {
    const { contentType, body } = await service.metrics.render();
    return c.body(body, 200, { 'Content-Type': contentType });
  });
  return app;
}
