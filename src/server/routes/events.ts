/**
 * `GET /v1/jobs/:id/events` — Server-Sent Events. `segment` events carry `id: <index>` so a client
 * that reconnects with `Last-Event-ID` resumes after it; `progress`, `done` and `error` carry no id
 * (they never move the client's resume point).
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ParascribeError } from '../../errors.js';
import { followJob } from '../../service/follow.js';
import type { TranscriptionService } from '../../service/service.js';
import { jobErrorView, segmentEventData } from '../../service/views.js';
import type { AuthEnv } from '../auth/index.js';

function resumeIndex(raw: string | undefined): number {
  if (raw === undefined || raw === '') return -1;
  const index = Number(raw);
  if (!Number.isInteger(index) || index < -1) throw new ParascribeError('INVALID_ARGUMENT', `Last-Event-ID must be a segment index (got ${JSON.stringify(raw.slice(0, 20))})`);
  return index;
}

export function eventsRoutes(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/:id/events', async (c) => {
    const row = await service.get(c.get('owner'), c.req.param('id'));
    const afterIndex = resumeIndex(c.req.header('last-event-id') ?? c.req.query('last_event_id'));
    const abort = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      for await (const event of followJob(service, row.id, { afterIndex, signal: abort.signal })) {
        if (event.type === 'segment') {
          await stream.writeSSE({ event: 'segment', id: String(event.segment.index), data: JSON.stringify(segmentEventData(event.segment)) });
        } else if (event.type === 'progress') {
          await stream.writeSSE({ event: 'progress', data: JSON.stringify({ status: event.status, ...event.progress }) });
        } else if (event.job.status === 'completed') {
          await stream.writeSSE({ event: 'done', data: JSON.stringify(await service.view(event.job)) });
        } else {
          const error = jobErrorView(event.job, service.config.dataDir) ?? { code: 'FAILED', message: `the job ended ${event.job.status}` };
          await stream.writeSSE({ event: 'error', data: JSON.stringify({ status: event.job.status, error }) });
        }
      }
    });
  });
  return app;
}
