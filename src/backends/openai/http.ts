/**
 * One HTTP attempt: multipart `POST {baseURL}/audio/transcriptions` with Node's global fetch, the
 * caller's signal and a per-attempt timeout joined by AbortSignal.any. The form has the fields the
 * official `openai` client sends (`file`, `model`, `language`, `prompt`, `response_format`,
 * `timestamp_granularities[]` once per value, `chunking_strategy`).
 */
import type { EncodedUpload } from './encode.js';
import { httpError, malformedError, transportError, type ErrorContext } from './classify.js';

export type ResponseFormat = 'verbose_json' | 'json' | 'diarized_json';

export interface TranscriptionCall {
  url: string;
  apiKey?: string | undefined;
  upload: EncodedUpload;
  model: string;
  language?: string | undefined;
  prompt?: string | undefined;
  responseFormat: ResponseFormat;
  /** `auto`: the server cuts the audio at pauses (OpenAI's diarizing model requires it past 30 s). */
  chunkingStrategy?: 'auto' | undefined;
  timeoutSec: number;
  signal: AbortSignal;
  context: ErrorContext;
}

export interface TranscriptionReply {
  status: number;
  headers: Headers;
  /** The parsed JSON body. */
  body: unknown;
  wallMs: number;
}

export function buildForm(call: Omit<TranscriptionCall, 'signal' | 'context' | 'timeoutSec' | 'url' | 'apiKey'>): FormData {
  const form = new FormData();
  const { upload } = call;
  form.append('file', new Blob([upload.bytes as Uint8Array<ArrayBuffer>], { type: upload.contentType }), upload.filename);
  form.append('model', call.model);
  if (call.language) form.append('language', call.language);
  if (call.prompt) form.append('prompt', call.prompt);
  form.append('response_format', call.responseFormat);
  if (call.chunkingStrategy) form.append('chunking_strategy', call.chunkingStrategy);
  if (call.responseFormat === 'verbose_json') {
    form.append('timestamp_granularities[]', 'word');
    form.append('timestamp_granularities[]', 'segment');
  }
  return form;
}

/** A 400 that says the server cannot do verbose_json (so json may work). */
export function isVerboseRefusal(status: number, message: string): boolean {
  return status === 400 && /response_format|verbose_json/i.test(message);
}

/** Sends one attempt; resolves only for 2xx with a JSON body, otherwise throws a classified error. */
export async function postTranscription(call: TranscriptionCall): Promise<TranscriptionReply> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error('per-attempt timeout')), Math.ceil(call.timeoutSec * 1000));
  const signal = AbortSignal.any([call.signal, timeout.signal]);
  const started = performance.now();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
  try {
    let response: Response;
    let text: string;
    try {
      response = await fetch(call.url, { method: 'POST', headers, body: buildForm(call), signal });
      text = await response.text();
    } catch (error) {
      throw transportError(error, call.signal, timeout.signal.aborted, call.timeoutSec, call.context);
    }
    const wallMs = performance.now() - started;
    if (!response.ok) throw httpError(response.status, text, response.headers, call.context);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw malformedError(response.status, `${(error as Error).message}; body starts ${JSON.stringify(text.slice(0, 60))}`, call.context);
    }
    if (!body || typeof body !== 'object') throw malformedError(response.status, 'not a JSON object', call.context);
    return { status: response.status, headers: response.headers, body, wallMs };
  } finally {
    clearTimeout(timer);
  }
}

/** GET {baseURL}/models as a reachability probe: resolves with the status, throws on network failure. */
export async function probe(url: string, apiKey: string | undefined, signal: AbortSignal, timeoutSec: number, context: ErrorContext): Promise<number> {
  // A timer we hold: inside AbortSignal.any, an AbortSignal.timeout can be collected before it fires (nodejs/node#57736).
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error('probe timeout')), Math.ceil(timeoutSec * 1000));
  try {
    const response = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.any([signal, timeout.signal]) });
    await response.body?.cancel().catch(() => undefined);
    return response.status;
  } catch (error) {
    throw transportError(error, signal, timeout.signal.aborted, timeoutSec, context);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without user:password, for messages and the fingerprint. */
export function publicURL(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/+$/, '');
}

/** Server-side processing time when the response reveals it (OpenAI: openai-processing-ms), else wall time. */
export function computeSecOf(reply: TranscriptionReply): number {
  for (const name of ['openai-processing-ms', 'x-processing-ms']) {
    const value = Number(reply.headers.get(name) ?? NaN);
    if (Number.isFinite(value) && value >= 0) return value / 1000;
  }
  return reply.wallMs / 1000;
}

/** `x-cold-start: 1` (or true): this request paid a model load. */
export function isColdStart(reply: TranscriptionReply): boolean {
  const value = reply.headers.get('x-cold-start')?.trim().toLowerCase();
  return value === '1' || value === 'true';
}
