/** `GET /v1/backends`: what a job's `backend` option may name here (the web UI's New job form). */
import { Hono } from 'hono';
import { DEFAULT_BACKEND } from '../../pipeline/route.js';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';

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
