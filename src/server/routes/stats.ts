/**
 * `GET /v1/stats?since=24h&backend=X`: the numbers of `parascribe stats` (src/store/stats.ts) over the
 * caller's own jobs; an admin key (serve.adminKeys) sees every owner's (and the CLI's) jobs.
 */
import { Hono } from 'hono';
import { nowSec } from '../../core/time.js';
import { ParascribeError } from '../../errors.js';
import { parseSince, statsView } from '../../ops/stats/view.js';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';

export function statsRoutes(service: TranscriptionService, isAdmin: (owner: string) => boolean): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', async (c) => {
    const now = nowSec();
    const sinceSec = parseSince(c.req.query('since') ?? '24h', now);
    const backend = c.req.query('backend');
    if (backend !== undefined && (backend.trim() === '' || backend.length > 200)) throw new ParascribeError('INVALID_ARGUMENT', 'backend must be a backend id');
    const owner = c.get('owner');
    const admin = isAdmin(owner);
    const report = await service.store.stats.report({ sinceSec, backend, owner: admin ? undefined : owner }, now);
    return c.json(statsView(report, admin ? 'all' : 'key'));
  });
  return app;
}
