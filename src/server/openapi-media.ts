/** OpenAPI paths of what the web UI reads beside the jobs API: playback, waveform, timeline, dashboard (docs/api.md). */

const error = { $ref: '#/components/responses/Error' };
const jobId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^j[0-9a-z]{6,20}$' } };
const range = { name: 'Range', in: 'header', schema: { type: 'string', example: 'bytes=0-65535' }, description: 'One byte range; several are answered with the whole file.' };
const audio = {
  '200': { description: 'The whole upload (`Accept-Ranges: bytes`).', content: { 'audio/*': { schema: { type: 'string', format: 'binary' } } } },
  '206': { description: 'The range asked for, with `Content-Range`.' },
  '410': { description: '`AUDIO_GONE`: the upload is kept only `serve.keepUploadHours` after the job ends.' },
  '416': { description: '`RANGE_NOT_SATISFIABLE`: the range starts past the end (`Content-Range: bytes */size`).' },
};
const isoTime = { type: ['string', 'null'], format: 'date-time' };

const segmentTiming = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    start_sec: { type: 'number' },
    end_sec: { type: 'number' },
    status: { type: 'string', enum: ['pending', 'running', 'completed', 'failed', 'reused', 'cancelled'] },
    backend: { type: ['string', 'null'] },
    attempts: { type: 'integer' },
    reused: { type: 'boolean', description: 'The result came from an earlier job with the same audio and options.' },
    cold_start: { type: 'boolean' },
    hedged: { type: 'boolean' },
    queued_at: isoTime,
    dispatched_at: { ...isoTime, description: 'First dispatch to a backend or queue; retries stay inside it.' },
    completed_at: isoTime,
    compute_sec: { type: ['number', 'null'] },
    cost_usd: { type: ['number', 'null'] },
    error: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    attempt_log: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          attempt: { type: 'integer' },
          backend: { type: 'string' },
          hedge: { type: 'boolean' },
          outcome: { type: 'string', enum: ['ok', 'error', 'skipped', 'suspicious', 'cancelled'] },
          started_at: isoTime,
          ended_at: isoTime,
          error_code: { type: ['string', 'null'] },
          error: { type: ['string', 'null'] },
          backoff_ms: { type: 'number' },
          breaker_wait_ms: { type: 'number' },
        },
      },
    },
  },
};

export function mediaPaths() {
  return {
    '/v1/jobs/{id}/audio': {
      get: { summary: 'The original upload, with HTTP Range support (also HEAD).', parameters: [jobId, range], responses: { ...audio, default: error } },
    },
    '/v1/jobs/{id}/audio-url': {
      post: {
        summary: 'A signed path to the same audio that needs no key (for an <audio> element, which sends no Authorization header), valid 6 hours or until the server restarts.',
        parameters: [jobId],
        responses: {
          '200': {
            description: '`{ object: "transcription.audio_url", url, expires_at }`; `url` is a path on this server.',
            content: { 'application/json': { schema: { type: 'object', properties: { object: { type: 'string' }, url: { type: 'string' }, expires_at: { type: 'string', format: 'date-time' } } } } },
          },
          default: error,
        },
      },
    },
    '/media/jobs/{id}/audio': {
      get: {
        summary: 'The audio of a signed URL from audio-url: the signature is the credential (no key), Range included.',
        security: [],
        parameters: [jobId, { name: 'exp', in: 'query', required: true, schema: { type: 'integer' } }, { name: 'sig', in: 'query', required: true, schema: { type: 'string' } }, range],
        responses: { ...audio, '401': { description: 'A bad or expired signature.' }, default: error },
      },
    },
    '/v1/jobs/{id}/peaks': {
      get: {
        summary: 'Waveform peaks computed from the decoded audio as it is decoded (growing while `complete` is false).',
        parameters: [jobId, { name: 'points', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100000, default: 4000 } }],
        responses: {
          '200': {
            description: 'The peaks.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    object: { type: 'string', enum: ['transcription.peaks'] },
                    job_id: { type: 'string' },
                    complete: { type: 'boolean' },
                    duration_sec: { type: ['number', 'null'], description: 'The probed length.' },
                    decoded_sec: { type: 'number', description: 'The audio the peaks cover.' },
                    sec_per_point: { type: 'number' },
                    data: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 }, description: 'The largest absolute amplitude of each span.' },
                  },
                },
              },
            },
          },
          default: error,
        },
      },
    },
    '/v1/jobs/{id}/segments': {
      get: {
        summary: "Every segment's timing, state and attempt log (the UI's timeline).",
        parameters: [jobId],
        responses: {
          '200': {
            description: '`{ object: "list", job_id, started_at, data: SegmentTiming[] }`',
            content: { 'application/json': { schema: { type: 'object', properties: { object: { type: 'string' }, job_id: { type: 'string' }, started_at: isoTime, data: { type: 'array', items: segmentTiming } } } } },
          },
          default: error,
        },
      },
    },
    '/v1/stats/hourly': {
      get: {
        summary: "What the dashboard adds to /v1/stats: the caller's jobs per hour (an admin key's: everyone's), and the server's queue depth and workers.",
        parameters: [{ name: 'hours', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 720, default: 24 } }],
        responses: { '200': { description: '`{ object: "stats.hourly", scope, since, hours: [{ hour, jobs, completed, failed, audio_sec }], server: { queued_jobs, running_jobs, distributed } }`' }, default: error },
      },
    },
    '/v1/backends': {
      get: { summary: "What a job's `backend` may name here: backends (`kind: backend`) and serve.models routes (`kind: model`).", responses: { '200': { description: '`{ object: "list", default, data: [{ id, kind, default }] }`' }, default: error } },
    },
  };
}
