/**
 * `GET /v1/stats/hourly?hours=24`: what the dashboard adds to `GET /v1/stats` — jobs per hour (the
 * caller's; an admin key's: everyone's) and the server's queue depth and workers (service/stats.ts).
 */
import { Hono } from 'hono';
import { ParascribeError } from '../../errors.js';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';

export function hourlyStatsRoutes(service: TranscriptionService, isAdmin: (owner: string) => boolean): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', async (c) => {
    const hours = Number(c.req.query('hours') ?? '24');
    if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 30) throw new ParascribeError('INVALID_ARGUMENT', 'hours must be an integer from 1 to 720');
    const owner = c.get('owner');
    return c.json(await service.hourlyStats(isAdmin(owner) ? undefined : owner, hours));
  });
  return app;
}
