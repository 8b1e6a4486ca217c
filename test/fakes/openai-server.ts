/**
 * A FAKE OpenAI-compatible transcription server, for tests and benchmarks only. It is not OpenAI and
 * not product code. It speaks the dialect of `POST /v1/audio/transcriptions` (multipart upload;
 * `json`, `text`, `verbose_json`, `srt`, `vtt`; OpenAI's error JSON) and transcribes FOR REAL: ffmpeg
 * decodes the upload and pocketsphinx transcribes it (see fake-transcribe.ts). Faults can be injected
 * and changed at runtime: either by rates, drawn from a seeded PRNG (reproducible, but the realised
 * shares vary with the run's length), or by a schedule, which gives exact shares (see `schedule`).
 * With `serverless`, transcriptions are served by a simulated scale-to-zero GPU endpoint
 * (serverless-sim.ts: k containers, cold starts, queueing, overhead, RTF), reported per request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { languageName } from '../../src/outputs/languages.js';
import { renderSubtitles, renderVerbose, sharedTranscripts, transcriptText, type FakeTranscript } from './fake-transcribe.js';
import { seededRandom } from '../../src/plan/latency/random.js';
import { ServerlessPool, SimCancelledError, simHeaders, type ServerlessOptions, type SimReport } from './serverless-sim.js';

export interface FakeFaults {
  /** Added to every answer. */
  latencyMs?: number;
  /** Added to the first transcription request only, which also gets `x-cold-start: 1`. */
  coldStartMs?: number;
  /** Share of requests answered 500/502/503. */
  failRate?: number;
  /** The status of those failures (and of a schedule's 'fail'); default: 500, 502 or 503 at random. */
  failStatus?: number;
  /** Share of requests answered 429 with `Retry-After: retryAfterSec`. */
  rateLimitRate?: number;
  retryAfterSec?: number;
  /** Share of requests never answered (until the client gives up or the server closes). */
  hangRate?: number;
  /** Share of requests answered 200 with broken JSON. */
  malformedRate?: number;
  /**
   * Deterministic faults, in place of the four rates above (which are then ignored): transcription
   * request n (1-based, counted from the `setFaults` that set the schedule) gets
   * `schedule[(n - 1) % schedule.length]`. Over any whole number of cycles the shares are exact;
   * `spreadSchedule(20, { fail: 4, hang: 1 })` is 20 % 5xx and 5 % hanging. Each log entry carries its n.
   */
  schedule?: readonly ScheduledFault[];
  /** verbose_json → 400 'response_format verbose_json is not supported'. */
  refuseVerboseJson?: boolean;
  /** verbose_json → a plain json `{text}` 200 (a server that ignores the format). */
  ignoreVerboseJson?: boolean;
  /** The compression_ratio reported in every segment (default: computed from the text). */
  compressionRatio?: number;
  /** Every request → 503. */
  down?: boolean;
  /** Every transcription request → this status with an OpenAI error body (e.g. 400, 401, 413, 415). */
  forceStatus?: number;
}

/** What a scheduled request gets: `ok` is a normal answer; the others as their rate options describe. */
export type ScheduledFault = 'ok' | 'fail' | 'hang' | 'rate-limited' | 'malformed';

/**
 * A cycle of `length` requests holding exactly `counts` of each fault, spread evenly (fault k of the
 * F in the cycle sits at position floor((k + 1/2) * length / F), 0-based) so faults are never adjacent
 * unless they must be; the kinds follow in the order given. The rest are `ok`.
 */
export function spreadSchedule(length: number, counts: Partial<Record<Exclude<ScheduledFault, 'ok'>, number>>): ScheduledFault[] {
  const kinds = Object.entries(counts).flatMap(([kind, n]) => Array<ScheduledFault>(n ?? 0).fill(kind as ScheduledFault));
  if (!Number.isInteger(length) || length < 1 || kinds.length > length) throw new Error(`spreadSchedule: ${kinds.length} faults do not fit in ${length}`);
  const schedule = Array<ScheduledFault>(length).fill('ok');
  kinds.forEach((kind, k) => (schedule[Math.floor(((k + 0.5) * length) / kinds.length)] = kind));
  return schedule;
}

/** How many of the first `requests` requests the schedule gives `fault`. */
export function scheduledCount(schedule: readonly ScheduledFault[], requests: number, fault: ScheduledFault): number {
  let count = 0;
  for (let n = 1; n <= requests; n++) if (schedule[(n - 1) % schedule.length] === fault) count++;
  return count;
}

export interface FakeServerOptions {
  /** Default 0 (any free port) on 127.0.0.1. */
  port?: number;
  host?: string;
  seed?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401, which echoes the key sent). */
  apiKey?: string;
  faults?: FakeFaults;
  /** Memoise transcripts by file content, shared by every fake server in the process (default true). */
  cache?: boolean;
  /** Uploads larger than this → 413 (OpenAI: 25 MB). */
  maxUploadBytes?: number;
  /** Serve transcriptions on a simulated scale-to-zero GPU endpoint (serverless-sim.ts). */
  serverless?: ServerlessOptions;
  /** Where the text comes from, in place of the memoised pocketsphinx transcription (e.g. periodic-text.ts). */
  transcriber?: (bytes: Uint8Array, filename: string, signal: AbortSignal) => Promise<FakeTranscript>;
}

export interface FakeLogEntry {
  atMs: number;
  outcome: string;
  status: number;
  responseFormat?: string;
  /** The non-file form fields received (repeated fields keep every value). */
  fields?: Record<string, string[]>;
  /** Under a schedule: this transcription request's n (1-based), which chose its fault. */
  scheduled?: number;
  file?: { name: string; type: string; size: number };
  /** Under `serverless`: how the simulated endpoint served it. */
  sim?: SimReport;
}

export interface FakeStats {
  requests: number;
  byOutcome: Record<string, number>;
  log: FakeLogEntry[];
  inFlight: number;
  maxInFlight: number;
  /** Requests whose client closed the connection before the answer was sent. */
  clientClosed: number;
}

export interface FakeOpenAIServer {
  /** Base URL, ending in /v1 (what `baseURL` wants). */
  url: string;
  close(): Promise<void>;
  stats(): FakeStats;
  setFaults(faults: FakeFaults): void;
  resetStats(): void;
  /** The simulated endpoint, when `serverless` is set (stats, scaleToZero). */
  serverless?: ServerlessPool;
}

/** Aborts when the client closes the connection before the answer is sent (a cancelled request). */
function clientGone(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

/** mulberry32 (the product's own, for the Monte Carlo plans): small, fast, good enough for fault injection. */
export { seededRandom };

const ERROR_TYPES: Record<number, [type: string, code: string | null, message: string]> = {
  400: ['invalid_request_error', null, 'Invalid request.'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'],
  403: ['invalid_request_error', 'unsupported_country_region_territory', 'Country, region, or territory not supported'],
  404: ['invalid_request_error', 'model_not_found', 'The model does not exist or you do not have access to it.'],
  408: ['timeout', null, 'Request timed out.'],
  413: ['invalid_request_error', 'file_too_large', 'Maximum content size limit (26214400) exceeded.'],
  415: ['invalid_request_error', 'unsupported_media_type', 'Unsupported media type.'],
  422: ['invalid_request_error', null, 'Unprocessable entity.'],
  429: ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests. Please try again later.'],
  500: ['server_error', null, 'The server had an error while processing your request.'],
  502: ['server_error', null, 'Bad gateway.'],
  503: ['server_error', null, 'The engine is currently overloaded, please try again later.'],
};

function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function errorBody(status: number, message?: string, param: string | null = null, code?: string | null): string {
  const [type, defaultCode, defaultMessage] = ERROR_TYPES[status] ?? ['server_error', null, `HTTP ${status}`];
  return JSON.stringify({ error: { message: message ?? defaultMessage, type, param, code: code === undefined ? defaultCode : code } });
}

export async function startFakeOpenAIServer(options: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
  let faults: FakeFaults = { ...options.faults };
  const random = seededRandom(options.seed ?? 1);
  const transcripts = sharedTranscripts;
  const shutdown = new AbortController();
  const started = performance.now();
  const maxUpload = options.maxUploadBytes ?? 25 * 1024 * 1024;
  const stats: FakeStats = { requests: 0, byOutcome: {}, log: [], inFlight: 0, maxInFlight: 0, clientClosed: 0 };
  let firstTranscription = true;
  /** Transcription requests since the schedule was set. */
  let scheduledRequests = 0;
  const pool = options.serverless ? new ServerlessPool(options.serverless, seededRandom(options.serverless.seed ?? options.seed ?? 1)) : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const record = (outcome: string, status: number, extra: Partial<FakeLogEntry> = {}) => {
      stats.byOutcome[outcome] = (stats.byOutcome[outcome] ?? 0) + 1;
      stats.log.push({ atMs: Math.round(performance.now() - started), outcome, status, ...extra });
    };
    const answerError = (outcome: string, status: number, body: string, headers: Record<string, string> = {}, extra: Partial<FakeLogEntry> = {}) => {
      record(outcome, status, extra);
      send(res, status, body, 'application/json', headers);
    };
    const url = new URL(req.url ?? '/', 'http://fake');
    const authorised = !options.apiKey || req.headers.authorization === `Bearer ${options.apiKey}`;
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      if (!authorised) return answerError('unauthorized', 401, errorBody(401));
      record('models', 200);
      return send(res, 200, JSON.stringify({ object: 'list', data: [{ id: 'whisper-1', object: 'model', owned_by: 'fake' }] }), 'application/json');
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/audio/transcriptions') {
      return answerError('not-found', 404, errorBody(404, `Invalid URL (${req.method} ${url.pathname})`, null, null));
    }
    // Rolled for every request, whatever the faults, so the sequence depends on the seed alone.
    const [rollHang, rollFail, rollLimit, rollMalformed, rollStatus] = [random(), random(), random(), random(), random()];
    const coldStart = firstTranscription;
    firstTranscription = false;
    // Numbered on arrival, before any await, so n follows the order the requests came in.
    const scheduledN = faults.schedule?.length ? ++scheduledRequests : undefined;
    const scheduled = scheduledN === undefined ? undefined : faults.schedule![(scheduledN - 1) % faults.schedule!.length]!;
    const injected = (fault: Exclude<ScheduledFault, 'ok'>, roll: number, rate: number | undefined) =>
      scheduled === undefined ? roll < (rate ?? 0) : scheduled === fault;
    if (Number(req.headers['content-length'] ?? 0) > maxUpload) {
      req.resume();
      return answerError('too-large', 413, errorBody(413), { connection: 'close' });
    }
    let form: FormData;
    try {
      const body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
      const headers = new Headers(Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)] as [string, string]])));
      form = await new Request('http://fake/v1/audio/transcriptions', { method: 'POST', headers, body, duplex: 'half' } as RequestInit).formData();
    } catch (error) {
      return answerError('invalid', 400, errorBody(400, `Could not parse multipart form: ${(error as Error).message}`));
    }
    const fields: Record<string, string[]> = {};
    let file: File | undefined;
    for (const [name, value] of form) {
      if (typeof value === 'string') (fields[name] ??= []).push(value);
      else if (name === 'file') file = value as File;
    }
    const fileInfo = file ? { name: file.name, type: file.type, size: file.size } : undefined;
    const responseFormat = fields.response_format?.[0] ?? 'json';
    const logged = { responseFormat, fields, ...(fileInfo ? { file: fileInfo } : {}), ...(scheduledN === undefined ? {} : { scheduled: scheduledN }) };
    const receivedAt = performance.now();
    const wait = (faults.latencyMs ?? 0) + (coldStart ? (faults.coldStartMs ?? 0) : 0);
    if (wait > 0) await delay(wait, undefined, { signal: shutdown.signal }).catch(() => undefined);
    const headers: Record<string, string> = coldStart && faults.coldStartMs ? { 'x-cold-start': '1' } : {};

    if (faults.down) return answerError('down', 503, errorBody(503), headers, logged);
    if (!authorised) {
      const sent = req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? '';
      return answerError('unauthorized', 401, errorBody(401, `Incorrect API key provided: ${sent}.`), headers, logged);
    }
    if (faults.forceStatus) return answerError('forced', faults.forceStatus, errorBody(faults.forceStatus), headers, logged);
    if (injected('hang', rollHang, faults.hangRate)) {
      record('hang', 0, logged);
      return; // never answered; the close handler counts the client giving up
    }
    if (injected('fail', rollFail, faults.failRate)) {
      const status = faults.failStatus ?? [500, 502, 503][Math.floor(rollStatus * 3)]!;
      return answerError('fail', status, errorBody(status), headers, logged);
    }
    if (injected('rate-limited', rollLimit, faults.rateLimitRate)) {
      const retryAfter = String(faults.retryAfterSec ?? 1);
      return answerError('rate-limited', 429, errorBody(429), { ...headers, 'retry-after': retryAfter }, logged);
    }
    if (!file) return answerError('invalid', 400, errorBody(400, "you must provide a 'file'", 'file', 'missing_required_parameter'), headers, logged);
    if (!fields.model?.[0]) return answerError('invalid', 400, errorBody(400, "you must provide a model parameter", 'model', 'missing_required_parameter'), headers, logged);
    if (!['json', 'text', 'verbose_json', 'srt', 'vtt', 'diarized_json'].includes(responseFormat)) {
      return answerError('invalid', 400, errorBody(400, `Invalid value for response_format: ${responseFormat}`, 'response_format', 'invalid_value'), headers, logged);
    }
    if (file.size > maxUpload) return answerError('too-large', 413, errorBody(413), headers, logged);
    // As OpenAI's diarizing model: no prompt, and chunking_strategy for more than 30 s of audio.
    const diarizing = responseFormat === 'diarized_json' || /diarize/.test(fields.model[0]);
    if (diarizing && fields.prompt?.[0]) return answerError('invalid', 400, errorBody(400, 'Prompt is not supported for diarization models.', 'prompt', 'invalid_value'), headers, logged);
    if (responseFormat === 'verbose_json' && faults.refuseVerboseJson) {
      return answerError('refused-verbose', 400, errorBody(400, 'response_format verbose_json is not supported', 'response_format', 'unsupported_value'), headers, logged);
    }
    let transcript: FakeTranscript;
    let sim: SimReport | undefined;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const text = () => options.transcriber?.(bytes, file.name, shutdown.signal) ?? transcripts.get(bytes, file.name, shutdown.signal, options.cache !== false);
      if (!pool) transcript = await text();
      else ({ value: transcript, report: sim } = await pool.run(file.size, async () => text().then((t) => ({ value: t, audioSec: t.durationSec })), shutdown.signal, clientGone(res)));
    } catch (error) {
      if (shutdown.signal.aborted) return;
      if (error instanceof SimCancelledError) return record('cancelled', 0, { ...logged, sim: error.report });
      return answerError('bad-audio', 400, errorBody(400, (error as Error).message, 'file', 'invalid_value'), headers, logged);
    }
    if (diarizing && transcript.durationSec > 30 && !fields.chunking_strategy?.[0]) {
      return answerError('invalid', 400, errorBody(400, 'chunking_strategy is required for diarization models when the input audio is longer than 30 seconds.', 'chunking_strategy', 'invalid_value'), headers, logged);
    }
    const out = { ...headers, 'openai-processing-ms': String(Math.round(performance.now() - receivedAt)), ...(sim ? simHeaders(sim) : {}) };
    if (injected('malformed', rollMalformed, faults.malformedRate)) {
      record('malformed', 200, { ...logged, ...(sim ? { sim } : {}) });
      return send(res, 200, '{"text": "truncated', 'application/json', out);
    }
    record('ok', 200, { ...logged, ...(sim ? { sim } : {}) });
    const language = languageName(fields.language?.[0] ?? 'en');
    if (responseFormat === 'text') return send(res, 200, `${transcriptText(transcript)}\n`, 'text/plain; charset=utf-8', out);
    if (responseFormat === 'srt' || responseFormat === 'vtt') return send(res, 200, renderSubtitles(transcript, responseFormat), 'text/plain; charset=utf-8', out);
    if (responseFormat === 'diarized_json') {
      // Labels A, B, A… by utterance: consistent within one request only, as a real diarizer's are.
      const segments = transcript.utterances.map((u, i) => ({ type: 'transcript.text.segment', id: `seg_${i}`, start: Math.round(u.startSec * 1000) / 1000, end: Math.round(u.endSec * 1000) / 1000, text: ` ${u.text}`, speaker: i % 2 === 0 ? 'A' : 'B' }));
      return send(res, 200, JSON.stringify({ task: 'transcribe', duration: transcript.durationSec, text: transcriptText(transcript), segments }), 'application/json', out);
    }
    if (responseFormat === 'json' || faults.ignoreVerboseJson) return send(res, 200, JSON.stringify({ text: transcriptText(transcript) }), 'application/json', out);
    const granularities = fields['timestamp_granularities[]'] ?? [];
    const body = renderVerbose(transcript, {
      language,
      words: granularities.includes('word'),
      segments: granularities.length === 0 || granularities.includes('segment'),
      compressionRatio: faults.compressionRatio,
    });
    send(res, 200, JSON.stringify(body), 'application/json', out);
  };

  const server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.once('close', () => {
      stats.inFlight--;
      if (!res.writableFinished) {
        stats.clientClosed++;
        stats.byOutcome['client-closed'] = (stats.byOutcome['client-closed'] ?? 0) + 1;
      }
    });
    handle(req, res).catch((error: unknown) => send(res, 500, errorBody(500, `fake server bug: ${(error as Error).message}`), 'application/json'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    stats: () => structuredClone(stats),
    ...(pool ? { serverless: pool } : {}),
    setFaults: (next) => {
      faults = { ...next };
      scheduledRequests = 0;
    },
    resetStats: () => {
      Object.assign(stats, { requests: 0, byOutcome: {}, log: [], maxInFlight: stats.inFlight, clientClosed: 0 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        pool?.close();
        server.close(() => resolve());
        server.closeAllConnections(); // hanging requests included
      }),
  };
}
