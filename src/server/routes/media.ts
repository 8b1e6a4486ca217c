/**
 * What the UI shows of a job beside its transcript, all scoped to the caller's own jobs:
 *   GET  /v1/jobs/:id/audio      the original upload, with HTTP Range (206) support
 *   POST /v1/jobs/:id/audio-url  a signed, expiring URL of the same audio for an <audio> element
 *   GET  /v1/jobs/:id/peaks      waveform peaks computed during the decode (growing while it runs)
 *   GET  /v1/jobs/:id/segments   each segment's timing, state and attempt log (the timeline)
 * and, outside /v1 and its bearer auth, GET /media/jobs/:id/audio?exp&sig (the signature is the credential).
 */
import { Hono } from 'hono';
import { ParascribeError } from '../../errors.js';
import { DEFAULT_PEAK_POINTS, MAX_PEAK_POINTS } from '../../service/job-media.js';
import { segmentTimingView } from '../../service/segment-views.js';
import type { TranscriptionService } from '../../service/service.js';
import { assertJobId } from '../../service/uploads.js';
import type { AuthEnv } from '../auth/index.js';
import type { AudioUrls } from '../media-url.js';
import { fileResponse } from '../range.js';

function integerQuery(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ParascribeError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}`);
  return value;
}

export function jobMediaRoutes(service: TranscriptionService, urls: AudioUrls): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.on(['GET', 'HEAD'], '/:id/audio', async (c) => {
    const row = await service.get(c.get('owner'), c.req.param('id'));
    const { path, contentType } = await service.audio(row);
    return fileResponse(path, { contentType, range: c.req.header('range'), method: c.req.method, headers: { 'Cache-Control': 'private, no-store' } });
  });

  app.post('/:id/audio-url', async (c) => {
    const row = await service.get(c.get('owner'), c.req.param('id'));
    await service.audio(row);
    const { path, expiresAtSec } = urls.sign(row.id);
    return c.json({ object: 'transcription.audio_url', url: path, expires_at: new Date(expiresAtSec * 1000).toISOString() });
  });

  app.get('/:id/peaks', async (c) => {
    const row = await service.get(c.get('owner'), c.req.param('id'));
    const points = integerQuery(c.req.query('points'), 'points', 1, MAX_PEAK_POINTS, DEFAULT_PEAK_POINTS);
    c.header('Cache-Control', 'private, no-store');
    return c.json(await service.peaksOf(row, points));
  });

  app.get('/:id/segments', async (c) => {
    const row = await service.get(c.get('owner'), c.req.param('id'));
    const rows = await service.store.listSegments(row.id);
    const data = rows.map((segment) => segmentTimingView(segment, row, service.config.dataDir));
    return c.json({ object: 'list', job_id: row.id, started_at: row.started_at === null ? null : new Date(row.started_at * 1000).toISOString(), data });
  });

  return app;
}

/** `GET /media/jobs/:id/audio?exp&sig`: the audio of a signed URL, Range included; no API key. */
export function signedAudioRoutes(service: TranscriptionService, urls: AudioUrls): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.on(['GET', 'HEAD'], '/:id/audio', async (c) => {
    const jobId = c.req.param('id');
    assertJobId(jobId);
    const verdict = urls.verify(jobId, c.req.query('exp'), c.req.query('sig'));
    if (verdict !== 'ok') throw new ParascribeError('UNAUTHORIZED', `audio URL refused: ${verdict}`);
    const row = await service.store.getJob(jobId);
    if (!row) throw new ParascribeError('JOB_NOT_FOUND', `no job ${jobId}`);
    const { path, contentType } = await service.audio(row);
    return fileResponse(path, { contentType, range: c.req.header('range'), method: c.req.method, headers: { 'Cache-Control': 'private, max-age=3600' } });
  });
  return app;
}
