/** The OpenAPI 3.1 description served at /openapi.json (docs/api.md is the prose version). */
import { mediaPaths } from './openapi-media.js';

const error = { $ref: '#/components/responses/Error' };
const jobId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^j[0-9a-z]{6,20}$' } };
const jobOptions = {
  backend: { type: 'string', description: 'A backend id or a route name from serve.models.' },
  fallback: { type: 'array', items: { type: 'string' }, description: 'Multipart: comma-separated.' },
  language: { type: 'string', example: 'en' },
  segment_sec: { oneOf: [{ type: 'number', minimum: 10, maximum: 3600 }, { type: 'string', enum: ['auto'] }] },
  priority: { type: 'string', enum: ['critical', 'normal', 'batch'] },
  webhook_url: { type: 'string', format: 'uri', description: 'POSTed the job summary when it ends, signed with Parascribe-Signature.' },
};

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'parascribe', version: '0.1.0', description: 'Segmented, parallel transcription of long audio. Every /v1 route needs `Authorization: Bearer <key>`.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: {
        Error: {
          description: 'An error: 400 bad input, 401 no/invalid key, 404 unknown job (or another key\'s), 409 not finished, 413 too large (upload size, a JSON body over serve.maxJsonBodyKb, audio longer than limits.maxAudioSec, a decode past limits.maxDecodeSec), 415 not audio or an unsupported container (playlists), 422 unreadable audio, 429 rate limited, queue full or too many open event streams (Retry-After; docs/limits.md), 501 no LLM configured (ask), 5xx server side.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
        Job: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] },
            created_at: { type: ['string', 'null'], format: 'date-time' },
            started_at: { type: ['string', 'null'], format: 'date-time' },
            completed_at: { type: ['string', 'null'], format: 'date-time' },
            source_name: { type: ['string', 'null'] },
            backend: { type: 'string' },
            duration_sec: { type: ['number', 'null'] },
            progress: { type: 'object', properties: { stage: { type: ['string', 'null'] }, segments_done: { type: 'integer' }, segments_total: { type: ['integer', 'null'] } } },
            telemetry: {
              type: ['object', 'null'],
              properties: { wall_sec: { type: 'number' }, compute_sec: { type: 'number' }, parallelism: { type: 'number' }, cost_usd: { type: 'number' }, cost_per_audio_minute_usd: { type: 'number' } },
            },
            error: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
            links: { type: 'object', properties: { self: { type: 'string' }, events: { type: 'string' }, transcript: { type: 'string' } } },
          },
        },
        Stats: {
          type: 'object',
          description: 'One primary backend (or "*": the total). Definitions: docs/operations.md.',
          properties: {
            backend: { type: 'string' },
            jobs: { type: 'integer' },
            completed: { type: 'integer' },
            failed: { type: 'integer' },
            cancelled: { type: 'integer' },
            interrupted: { type: 'integer' },
            active: { type: 'integer', description: 'Queued or running.' },
            audio_hours: { type: 'number', description: 'Of completed jobs.' },
            turnaround_sec: { type: ['object', 'null'], properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } }, description: 'Created → completed, completed jobs.' },
            first_words_sec: { type: ['object', 'null'], properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } }, description: "Created → segment 0's result stored." },
            error_rate: { type: ['number', 'null'], description: '(failed + interrupted) / (completed + failed + interrupted).' },
            segments: { type: 'integer' },
            retries: { type: 'integer', description: 'Segment attempts beyond the first.' },
            cost_usd: { type: 'number' },
            cost_per_audio_minute_usd: { type: ['number', 'null'] },
            cache_hits: { type: 'integer' },
            cache_hit_rate: { type: ['number', 'null'] },
          },
        },
        SearchHit: {
          type: 'object',
          required: ['job_id', 'source', 'segment_index', 'start_sec', 'end_sec', 'snippet', 'score'],
          properties: {
            job_id: { type: 'string' },
            source: { type: 'string', description: 'The uploaded file\'s name (or the URL).' },
            segment_index: { type: 'integer' },
            start_sec: { type: 'number', description: 'The segment\'s start in the recording.' },
            end_sec: { type: 'number' },
            snippet: { type: 'string', description: 'Text around the best match; matched words wrapped in « and », … where the segment goes on.' },
            score: { type: 'number', description: 'Relevance, higher is better (BM25 on SQLite, cover density on PostgreSQL: compare within one answer only).' },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      ...mediaPaths(),
      '/v1/jobs': {
        post: {
          summary: 'Submit a job: a multipart upload (field `file`) or JSON `{ "url": ... }`.',
          requestBody: {
            content: {
              'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, ...jobOptions } } },
              'application/json': { schema: { type: 'object', required: ['url'], properties: { url: { type: 'string', format: 'uri' }, ...jobOptions } } },
            },
          },
          responses: { '202': { description: 'Accepted and stored.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } }, default: error },
        },
        get: {
          summary: "The caller's jobs, newest first.",
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'before', in: 'query', schema: { type: 'string' }, description: '`next_before` of the previous page.' },
            { name: 'status', in: 'query', schema: { type: 'string' }, description: 'Only these statuses, comma-separated (e.g. `queued,running`).' },
          ],
          responses: { '200': { description: '`{ data: Job[], has_more, next_before }`' }, default: error },
        },
      },
      '/v1/jobs/{id}': {
        get: { summary: 'Status, progress and telemetry.', parameters: [jobId], responses: { '200': { description: 'The job.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } }, default: error } },
        delete: {
          summary: 'Cancel: running segments are aborted. With `purge=true`, delete a finished job for good (row, segments, questions, upload, transcript).',
          parameters: [jobId, { name: 'purge', in: 'query', schema: { type: 'boolean' } }],
          responses: { '200': { description: 'The job, now cancelled (or already finished); with purge, `{ id, object, deleted: true }`.' }, '409': { description: 'purge of a job still running.' }, default: error },
        },
      },
      '/v1/jobs/{id}/transcript': {
        get: {
          summary: 'The transcript of a completed job.',
          parameters: [jobId, { name: 'format', in: 'query', schema: { type: 'string', enum: ['txt', 'json', 'verbose_json', 'srt', 'vtt', 'md'], default: 'txt' } }],
          responses: { '200': { description: 'The transcript in the format asked for.' }, default: error },
        },
      },
      '/v1/jobs/{id}/events': {
        get: {
          summary: 'Server-Sent Events: `segment` (id = index, in order, each once), `progress`, `done`, `error`. Resume with Last-Event-ID.',
          parameters: [jobId, { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
          responses: { '200': { description: 'text/event-stream' }, default: error },
        },
      },
      '/v1/search': {
        get: {
          summary: "Search the caller's transcripts: finished segments of their own jobs (running jobs included), best first.",
          parameters: [
            { name: 'q', in: 'query', required: true, schema: { type: 'string', maxLength: 500 }, description: 'Words (all must occur; stemmed, so "budgets" finds "budget") and "quoted phrases". No other syntax.' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 10000, default: 0 }, description: '`next_offset` of the previous page.' },
          ],
          responses: {
            '200': {
              description: '`{ object: "list", query, data: SearchHit[], has_more, next_offset }`',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      object: { type: 'string', enum: ['list'] },
                      query: { type: 'string' },
                      data: { type: 'array', items: { $ref: '#/components/schemas/SearchHit' } },
                      has_more: { type: 'boolean' },
                      next_offset: { type: ['integer', 'null'] },
                    },
                  },
                },
              },
            },
            default: error,
          },
        },
      },
      '/v1/jobs/{id}/ask': {
        post: {
          summary:
            'Ask a question about the transcript (finished, or the finished prefix of a running job). Server-Sent Events: `context`, `delta` ({ text }, citations checked), then `done` (the answer: citations, dropped_citations, coverage, context, usage, cost_usd) or `error` ({ code, message }).',
          parameters: [jobId],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['question'],
                  additionalProperties: false,
                  properties: {
                    question: { type: 'string' },
                    strategy: { type: 'string', enum: ['auto', 'full', 'retrieve', 'map-reduce'], default: 'auto' },
                    follow: { type: 'boolean', description: 'Wait for the job to end, then answer over the whole transcript.' },
                  },
                },
              },
            },
          },
          responses: { '200': { description: 'text/event-stream' }, '501': { description: 'LLM_NOT_CONFIGURED: the server has no chat endpoint configured.' }, default: error },
        },
      },
      '/v1/jobs/{id}/questions': {
        get: { summary: 'The questions asked of the job and their answers, oldest first.', parameters: [jobId], responses: { '200': { description: '`{ object: "list", data: Answer[] }`' }, default: error } },
      },
      '/mcp': {
        post: {
          summary:
            'Model Context Protocol, Streamable HTTP, stateless (docs/api.md "MCP"): JSON-RPC messages in, JSON or SSE out. Tools transcribe, get_job, get_transcript, search_transcripts, ask_transcript; resources transcript://{jobId}. A failing tool is a 200 with isError: true and "error[CODE]: message".',
          requestBody: { content: { 'application/json': { schema: { type: 'object', description: 'A JSON-RPC 2.0 request or notification (or a batch).' } } } },
          responses: { '200': { description: 'application/json or text/event-stream (JSON-RPC responses)' }, '202': { description: 'A notification was accepted.' }, '403': { description: 'The Origin header names another host.' }, default: error },
        },
      },
      '/v1/stats': {
        get: {
          summary: "Jobs, audio hours, turnaround and first-words percentiles, error rate, retries, cost and cache hit rate over the caller's jobs (an admin key: everyone's), per primary backend and in total.",
          parameters: [
            { name: 'since', in: 'query', schema: { type: 'string', default: '24h' }, description: 'Jobs created since: a duration back from now (90s, 30m, 24h, 7d, 2w) or an ISO date.' },
            { name: 'backend', in: 'query', schema: { type: 'string' }, description: 'Only jobs with this primary backend.' },
          ],
          responses: {
            '200': {
              description: '`{ object: "stats", since, until, backend, scope: "key" | "all", total: Stats, backends: Stats[] }`',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      object: { type: 'string', enum: ['stats'] },
                      since: { type: 'string', format: 'date-time' },
                      until: { type: 'string', format: 'date-time' },
                      backend: { type: ['string', 'null'] },
                      scope: { type: 'string', enum: ['key', 'all'] },
                      total: { $ref: '#/components/schemas/Stats' },
                      backends: { type: 'array', items: { $ref: '#/components/schemas/Stats' } },
                    },
                  },
                },
              },
            },
            default: error,
          },
        },
      },
      '/v1/audio/transcriptions': {
        post: {
          summary: 'OpenAI-compatible transcription (the full segmented pipeline behind one call).',
          requestBody: {
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: {
                    file: { type: 'string', format: 'binary' },
                    model: { type: 'string' },
                    language: { type: 'string' },
                    prompt: { type: 'string', description: 'Accepted; not used by the pipeline.' },
                    response_format: { type: 'string', enum: ['json', 'text', 'srt', 'vtt', 'verbose_json'] },
                    'timestamp_granularities[]': { type: 'array', items: { type: 'string', enum: ['word', 'segment'] } },
                    stream: { type: 'boolean' },
                  },
                },
              },
            },
          },
          responses: { '200': { description: 'As OpenAI answers; with stream=true, SSE transcript.text.delta / transcript.text.done.' }, default: error },
        },
      },
      '/healthz': { get: { security: [], summary: 'The process is up.', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { security: [], summary: 'Database reachable and not every breaker open.', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics.', responses: { '200': { description: 'text/plain; version=0.0.4' } } } },
    },
  };
}
