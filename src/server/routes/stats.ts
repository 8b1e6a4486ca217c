/**
 * `GET /v1/stats?hours=24`: the dashboard's numbers for the caller's jobs (service/stats.ts).
 * `GET /v1/backends`: what a job's `backend` option may name here (the New job form's choices).
 */
import { Hono } from 'hono';
import { ParascribeError } from '../../errors.js';
import { DEFAULT_BACKEND } from '../../pipeline/route.js';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';

export function statsRoutes(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', async (c) => {
    const raw = c.req.query('hours') ?? '24';
    const hours = Number(raw);
    if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 30) throw new ParascribeError('INVALID_ARGUMENT', 'hours must be an integer from 1 to 720');
    return c.json(await service.stats(c.get('owner'), hours));
  });
  return app;
}

export function backendsRoutes(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', (c) => {
    const { config } = service;
    // No backend configured: routing rules decide per job, else pocketsphinx (pipeline/route.ts).
    const primary = config.backend ?? null;
    const ids = [...new Set([primary ?? DEFAULT_BACKEND, ...config.fallback, ...Object.keys(config.backends)])];
    const data = [
      ...ids.map((id) => ({ id, kind: 'backend' as const, default: id === (primary ?? DEFAULT_BACKEND) })),
      ...Object.entries(config.serve.models).map(([id, route]) => ({ id, kind: 'model' as const, default: false, backend: route.backend })),
    ];
    return c.json({ object: 'list', default: primary, data });
  });
  return app;
}
