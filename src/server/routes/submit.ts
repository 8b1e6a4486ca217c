/**
 * Getting a job's audio onto disk: a streamed multipart upload or a server-side URL download (SSRF
 * checks in service/ingest-url). Either way the bytes land in the reserved job's `input.part`, and
 * any failure removes the job's directory, so a refused request leaves nothing behind.
 */
import type { Context } from 'hono';
import { ParascribeError } from '../../errors.js';
import { parseJobOptions, type JobOptions } from '../../service/job-options.js';
import { assertPublicUrl } from '../../service/ingest-url/index.js';
import { downloadIntoJob } from '../../service/ingest.js';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';
import { readJsonBody, type JsonBodyOptions } from '../json-body/index.js';
import { readMultipart, type MultipartResult } from '../multipart/index.js';

const MB = 1024 * 1024;

export interface ReceivedUpload extends MultipartResult {
  jobId: string;
}

/** Streams a multipart body with its file in `fileField` into a freshly reserved job directory. */
export async function receiveUpload(c: Context<AuthEnv>, service: TranscriptionService, fileField: string): Promise<ReceivedUpload> {
  const jobId = await service.reserveJob();
  try {
    const result = await readMultipart(c.req.header(), c.req.raw.body, {
      fileField,
      destPath: service.files.partial(jobId),
      maxFileBytes: service.config.serve.maxUploadMb * MB,
      idleTimeoutMs: service.config.serve.bodyIdleTimeoutSec * 1000,
      minBytesPerSec: service.config.serve.minBodyBytesPerSec,
      signal: c.req.raw.signal,
      onBytes: service.hooks.onUploadBytes,
    });
    if (!result.file) throw new ParascribeError('INVALID_ARGUMENT', `the form has no file in the field "${fileField}"`);
    if (result.file.bytes === 0) throw new ParascribeError('EMPTY_AUDIO', 'the uploaded file is empty');
    return { ...result, jobId };
  } catch (error) {
    await service.files.remove(jobId);
    throw error;
  }
}

/** Downloads `url` into a freshly reserved job directory (service/ingest.ts, shared with the MCP server). */
export const receiveUrl = downloadIntoJob;

/** A webhook URL passes the download policy, and webhooks need a signing secret configured. */
export async function checkWebhook(service: TranscriptionService, options: JobOptions, signal: AbortSignal): Promise<void> {
  if (!options.webhook_url) return;
  if (!service.config.serve.webhookSecret) {
    throw new ParascribeError('INVALID_ARGUMENT', 'webhook_url needs a signing secret on the server (serve.webhookSecret or PARASCRIBE_WEBHOOK_SECRET)');
  }
  await assertPublicUrl(options.webhook_url, { allow: service.config.serve.url.allow, signal });
}

/** The guards on a JSON request body (a job request or a question): `serve.maxJsonBodyKb`, the upload's pace. */
export function jsonBodyLimits(service: TranscriptionService): Omit<JsonBodyOptions, 'invalidMessage'> {
  const { serve } = service.config;
  return { maxKb: serve.maxJsonBodyKb, idleTimeoutMs: serve.bodyIdleTimeoutSec * 1000, minBytesPerSec: serve.minBodyBytesPerSec };
}

/** JSON body of `POST /v1/jobs`: `{ url, ...options }`. */
export async function readJsonJobRequest(c: Context<AuthEnv>, service: TranscriptionService): Promise<{ url: string; options: JobOptions }> {
  const body = await readJsonBody(c.req.raw, { ...jsonBodyLimits(service), invalidMessage: 'the body is not valid JSON' });
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ParascribeError('INVALID_ARGUMENT', 'the body must be a JSON object');
  const { url, ...rest } = body as Record<string, unknown>;
  if (typeof url !== 'string' || url.length === 0 || url.length > 4000) throw new ParascribeError('INVALID_ARGUMENT', 'the body needs "url": an http(s) URL of the audio');
  return { url, options: parseJobOptions(rest) };
}
