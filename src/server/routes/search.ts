/** `GET /v1/search?q=…`: the caller's transcripts searched (their own jobs only), ranked, with snippets. */
import { Hono } from 'hono';
import { ParascribeError } from '../../errors.js';
import type { TranscriptionService } from '../../service/service.js';
import { searchHitView } from '../../service/views.js';
import type { AuthEnv } from '../auth/index.js';

export const SEARCH_MAX_LIMIT = 100;
export const SEARCH_MAX_OFFSET = 10_000;

function integerParam(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max || (raw !== undefined && raw.trim() === '')) {
    throw new ParascribeError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function searchRoutes(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', async (c) => {
    const q = c.req.query('q');
    if (q === undefined || q.trim() === '') throw new ParascribeError('INVALID_ARGUMENT', 'q is required: GET /v1/search?q=words or "a quoted phrase"');
    const limit = integerParam(c.req.query('limit'), 'limit', 20, 1, SEARCH_MAX_LIMIT);
    const offset = integerParam(c.req.query('offset'), 'offset', 0, 0, SEARCH_MAX_OFFSET);
    const page = await service.search(c.get('owner'), q, { limit, offset });
    return c.json({
      object: 'list',
      query: q,
      data: page.hits.map(searchHitView),
      has_more: page.hasMore,
      next_offset: page.hasMore ? offset + limit : null,
    });
  });
  return app;
}
