/**
 * `POST /v1/audio/transcriptions` — OpenAI's transcription endpoint, served by the whole segmented,
 * parallel pipeline (no 25 MB limit: the server's own upload limit). `model` picks a route from
 * `serve.models`, or a backend by id; anything else (e.g. `whisper-1`) takes the default route.
 * `stream=true` answers with OpenAI's SSE events: one `transcript.text.delta` per segment in order,
 * then `transcript.text.done` with the stitched text. The job is an ordinary job of the caller, so
 * a client that times out can fetch it from /v1/jobs (and a retry of the same file hits the cache).
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ERROR_CODES, ParascribeError, type ErrorCode } from '../../errors.js';
import { toVerboseJson } from '../../outputs/json.js';
import { renderSrt, renderVtt } from '../../outputs/subtitles.js';
import { followJob } from '../../service/follow.js';
import { jobOptionsFromFields, type JobOptions } from '../../service/job-options.js';
import type { TranscriptionService } from '../../service/service.js';
import { jobErrorView } from '../../service/views.js';
import type { JobRow } from '../../store/jobs.js';
import type { AuthEnv } from '../auth/index.js';
import { errorBody, statusForCode } from '../http-errors.js';
import { receiveUpload } from './submit.js';
import { admitOrDrain } from './admit.js';
import type { OpenStreams } from '../stream-limit/index.js';

const RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

/** `model` → job options: a configured route, a backend id, or (unknown model) the default route. */
function optionsForModel(service: TranscriptionService, model: string | undefined, language: string | undefined): JobOptions {
  const base = jobOptionsFromFields(language ? { language } : {});
  if (!model) return base;
  const withModel = { ...base, backend: model };
  try {
    service.checkOptions(withModel);
    return withModel;
  } catch (error) {
    if ((error as ParascribeError).code === 'UNKNOWN_BACKEND') return base;
    throw error;
  }
}

export function openaiRoutes(service: TranscriptionService, streams: OpenStreams): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.post('/transcriptions', async (c) => {
    await admitOrDrain(c, service);
    const upload = await receiveUpload(c, service, 'file');
    let row: JobRow;
    let format: ResponseFormat;
    let granularities: string[];
    let stream: boolean;
    let release: (() => void) | undefined;
    try {
      const { fields, lists } = upload;
      format = (fields.response_format ?? 'json') as ResponseFormat;
      if (!RESPONSE_FORMATS.includes(format)) throw new ParascribeError('INVALID_ARGUMENT', `response_format must be one of ${RESPONSE_FORMATS.join(', ')}`);
      granularities = lists['timestamp_granularities[]'] ?? (fields.timestamp_granularities ? [fields.timestamp_granularities] : []);
      if (granularities.some((g) => g !== 'word' && g !== 'segment')) throw new ParascribeError('INVALID_ARGUMENT', 'timestamp_granularities[] may hold "word" and "segment"');
      if (granularities.length > 0 && format !== 'verbose_json') throw new ParascribeError('INVALID_ARGUMENT', 'timestamp_granularities[] needs response_format=verbose_json');
      stream = fields.stream === 'true';
      // Taken before the job is accepted: a refused stream leaves no job running unwatched.
      if (stream) release = streams.acquire(c.get('owner'));
      const options = optionsForModel(service, fields.model, fields.language);
      row = await service.accept(upload.jobId, c.get('owner'), upload.file?.filename ?? null, options, c.req.raw.signal);
    } catch (error) {
      release?.();
      await service.files.remove(upload.jobId);
      throw error;
    }

    if (stream) {
      const abort = new AbortController();
      return streams.hold(streamSSE(c, async (sse) => {
        sse.onAbort(() => abort.abort());
        for await (const event of followJob(service, row.id, { afterIndex: -1, signal: abort.signal })) {
          if (event.type === 'segment' && event.segment.text) {
            await sse.writeSSE({ data: JSON.stringify({ type: 'transcript.text.delta', delta: `${event.segment.text} ` }) });
          } else if (event.type === 'end') {
            if (event.job.status === 'completed') {
              const document = await service.document(event.job);
              await sse.writeSSE({ data: JSON.stringify({ type: 'transcript.text.done', text: document.transcript.text }) });
            } else {
              const error = new ParascribeError('BACKEND_FAILED', jobErrorView(event.job, service.config.dataDir)?.message ?? `the job ended ${event.job.status}`);
              await sse.writeSSE({ event: 'error', data: JSON.stringify(errorBody(error)) });
            }
          }
        }
      }), release!);
    }

    const ended = await service.waitForEnd(row.id, c.req.raw.signal);
    if (ended.status !== 'completed') {
      const stored = ended.error_code ?? '';
      const code = stored in ERROR_CODES ? (stored as ErrorCode) : 'BACKEND_FAILED';
      const error = new ParascribeError(code, jobErrorView(ended, service.config.dataDir)?.message ?? `the job ended ${ended.status}`);
      return c.json(errorBody(error), statusForCode(error.code));
    }
    const document = await service.document(ended);
    c.header('X-Parascribe-Job', ended.id);
    if (format === 'text') return c.text(`${document.transcript.text}\n`);
    if (format === 'srt') return c.body(renderSrt(document), 200, { 'Content-Type': 'application/x-subrip; charset=utf-8' });
    if (format === 'vtt') return c.body(renderVtt(document), 200, { 'Content-Type': 'text/vtt; charset=utf-8' });
    if (format === 'json') return c.json({ text: document.transcript.text });
    const verbose = toVerboseJson(document);
    const wantWords = granularities.includes('word');
    const wantSegments = granularities.length === 0 || granularities.includes('segment');
    const { words, segments, ...rest } = verbose;
    return c.json({ ...rest, ...(wantSegments ? { segments } : {}), ...(wantWords ? { words } : {}) });
  });
  return app;
}
