/** `GET /v1/stats?hours=24`: the dashboard's numbers for the caller's jobs (service/stats.ts). */
import { Hono } from 'hono';
import { ParascribeError } from '../../errors.js';
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
