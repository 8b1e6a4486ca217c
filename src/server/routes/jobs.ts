/** The jobs API: submit (upload or URL), list, get, cancel, transcript in any output format. */
import { Hono } from 'hono';
import { ParascribeError } from '../../errors.js';
import { isOutputFormat, OUTPUT_FORMATS } from '../../outputs/formats.js';
import { jobOptionsFromFields, type JobOptions } from '../../service/job-options.js';
import type { TranscriptionService } from '../../service/service.js';
import type { JobStatus } from '../../store/schema.js';
import type { AuthEnv } from '../auth/index.js';

const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'];
import { checkWebhook, readJsonJobRequest, receiveUpload, receiveUrl } from './submit.js';
import { admitOrDrain } from './admit.js';

const CONTENT_TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  json: 'application/json',
  verbose_json: 'application/json',
};

export function jobsRoutes(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.post('/', async (c) => {
    const owner = c.get('owner');
    const signal = c.req.raw.signal;
    let jobId: string;
    let name: string | null;
    let options: JobOptions;
    // A full queue is refused before the body is read (and again on accept: uploads run in parallel).
    await admitOrDrain(c, service);
    if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      const request = await readJsonJobRequest(c, service);
      options = request.options;
      service.checkOptions(options);
      await checkWebhook(service, options, signal);
      ({ jobId, name } = await receiveUrl(service, request.url, signal));
    } else {
      const upload = await receiveUpload(c, service, 'file');
      jobId = upload.jobId;
      name = upload.file?.filename ?? null;
      try {
        options = jobOptionsFromFields(upload.fields);
        service.checkOptions(options);
        await checkWebhook(service, options, signal);
      } catch (error) {
        await service.files.remove(jobId);
        throw error;
      }
    }
    const row = await service.accept(jobId, owner, name, options, signal);
    const view = await service.view(row);
    c.header('Location', view.links.self);
    return c.json({ id: view.id, object: view.object, status: view.status, links: view.links }, 202);
  });

  app.get('/', async (c) => {
    const limit = Number(c.req.query('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new ParascribeError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 100');
    const before = c.req.query('before');
    const statuses = (c.req.query('status') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = statuses.find((s) => !JOB_STATUSES.includes(s as JobStatus));
    if (unknown) throw new ParascribeError('INVALID_ARGUMENT', `unknown status ${JSON.stringify(unknown.slice(0, 20))}: one of ${JOB_STATUSES.join(', ')}`);
    const rows = await service.list(c.get('owner'), limit + 1, before, statuses as JobStatus[]);
    const page = rows.slice(0, limit);
    const data = await Promise.all(page.map((row) => service.view(row)));
    return c.json({ object: 'list', data, has_more: rows.length > limit, next_before: rows.length > limit ? page.at(-1)!.id : null });
  });

  app.get('/:id', async (c) => {
    c.header('Content-Type', 'application/json');
    return c.body(await service.viewJsonOf(c.get('owner'), c.req.param('id')));
  });

  app.delete('/:id', async (c) => {
    const purge = c.req.query('purge');
    if (purge === 'true' || purge === '1') {
      await service.purge(c.get('owner'), c.req.param('id'));
      return c.json({ id: c.req.param('id'), object: 'transcription.job', deleted: true });
    }
    return c.json(await service.view(await service.cancel(c.get('owner'), c.req.param('id'))));
  });

  app.get('/:id/transcript', async (c) => {
    const format = c.req.query('format') ?? 'txt';
    if (!isOutputFormat(format)) throw new ParascribeError('INVALID_ARGUMENT', `unknown format ${JSON.stringify(format)}: one of txt, json, verbose_json, srt, vtt, md`);
    const row = await service.get(c.get('owner'), c.req.param('id'));
    const document = await service.document(row);
    c.header('Content-Type', CONTENT_TYPES[format]!);
    return c.body(OUTPUT_FORMATS[format].render(document));
  });

  return app;
}
