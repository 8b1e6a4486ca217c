/**
 * `openai` backend type: any OpenAI-compatible `POST {baseURL}/audio/transcriptions` (OpenAI, Groq,
 * a self-hosted faster-whisper or whisper.cpp server...). One instance per configured endpoint; each
 * keeps at most `maxConcurrentRequests` requests in flight and remembers whether the server refused
 * verbose_json, so later segments go straight to json.
 */
import { ParascribeError } from '../../errors.js';
import { silentSegment, type SegmentAudio } from '../../audio/segment-audio.js';
import type { SegmentTranscript } from '../../transcript.js';
import type { BackendCapabilities, BackendFactory, BackendWarning, TranscribeRequest, TranscribeResult, TranscriptionBackend, WarmResult } from '../spec.js';
import type { ErrorContext } from './classify.js';
import { encodeSegment, maxSegmentSecFor, type EncodedUpload } from './encode.js';
import { computeSecOf, isColdStart, isVerboseRefusal, postTranscription, probe, publicURL, type ResponseFormat, type TranscriptionReply } from './http.js';
import type { LatencyPrior } from '../../plan/latency/prior.js';
import { openaiPrior } from './priors.js';
import { lacksText, mapDiarized, mapTextOnly, mapVerbose } from './response.js';
import { Semaphore } from './semaphore.js';
import { parseBackendSettings } from '../settings.js';
import {
  isLoopback,
  missingKeyMessage,
  openaiSettingsSchema,
  resolveSettings,
  type Env,
  type OpenAISettings,
  type OpenAISettingsInput,
  type ResolvedOpenAISettings,
} from './settings.js';

export { openaiSettingsSchema, type OpenAISettings, type OpenAISettingsInput } from './settings.js';

const DEGRADED: BackendWarning = { type: 'timestamps-degraded', message: 'times are per segment only' };

class OpenAICompatibleBackend implements TranscriptionBackend {
  readonly id: string;
  readonly model: string;
  readonly fingerprint: Record<string, unknown>;
  readonly #settings: ResolvedOpenAISettings;
  readonly #semaphore: Semaphore;
  readonly #context: ErrorContext;
  #verboseRefused = false;
  /** Uploads encoded ahead of their request (see prefetch), oldest first; bounded. */
  readonly #prefetched = new Map<string, Promise<EncodedUpload>>();

  constructor(settings: ResolvedOpenAISettings, instanceId: string) {
    this.id = instanceId;
    this.#settings = settings;
    this.model = settings.model;
    this.#semaphore = new Semaphore(settings.maxConcurrentRequests);
    const base = publicURL(settings.baseURL);
    this.#context = { instanceId, url: `${base}/audio/transcriptions`, apiKey: settings.apiKey };
    this.fingerprint = {
      baseURL: base,
      model: settings.model,
      prompt: settings.prompt ?? null,
      responseFormat: settings.responseFormat,
      language: settings.language ?? null,
      uploadFormat: settings.uploadFormat,
    };
  }

  get capabilities(): BackendCapabilities {
    return {
      wordTimestamps: this.#settings.responseFormat === 'verbose_json' && !this.#verboseRefused,
      diarization: this.#settings.responseFormat === 'diarized_json',
      languages: '*',
      costPerAudioMinuteUsd: this.#settings.costPerAudioMinuteUsd,
      maxConcurrency: this.#settings.maxConcurrentRequests,
      maxSegmentSec: maxSegmentSecFor(this.#settings.maxUploadBytes, this.#settings.uploadFormat),
    };
  }

  /** Conservative remote defaults (priors.ts) until the endpoint's history refines them. */
  latencyPrior(): LatencyPrior {
    const { baseURL, maxConcurrentRequests, uploadFormat } = this.#settings;
    return openaiPrior({ baseURL, maxConcurrentRequests, uploadFormat });
  }

  #requireKey(): void {
    if (!this.#settings.apiKey && !isLoopback(this.#settings.baseURL)) {
      throw new ParascribeError('BACKEND_UNAVAILABLE', missingKeyMessage(this.id, publicURL(this.#settings.baseURL), this.#settings.apiKeyEnv), {
        details: { backend: this.id },
      });
    }
  }

  async check(signal: AbortSignal): Promise<void> {
    this.#requireKey();
    const url = `${publicURL(this.#settings.baseURL)}/models`;
    const context = { ...this.#context, url };
    const status = await probe(url, this.#settings.apiKey, signal, Math.min(15, this.#settings.timeoutSec), context).catch((error: unknown) => {
      const e = error as ParascribeError;
      if (e.code === 'ABORTED') throw e;
      throw new ParascribeError('BACKEND_UNAVAILABLE', `${e.message} (is the server at ${publicURL(this.#settings.baseURL)} running?)`, { cause: e });
    });
    // Any other answer (even a 404 from a server without /models) proves the endpoint is there.
    if (status === 401 || status === 403) {
      throw new ParascribeError('BACKEND_UNAVAILABLE', `backend "${this.id}": ${url} refused the API key (HTTP ${status})`, {
        details: { status, backend: this.id },
      });
    }
  }

  async transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    this.#requireKey();
    const warnings: BackendWarning[] = [];
    for (const key of Object.keys(request.options ?? {})) {
      warnings.push({ type: 'unsupported-option', message: `backend "${this.id}" ignores option "${key}"` });
    }
    const requested = request.language ?? this.#settings.language;
    // The endpoint takes ISO-639-1: 'en-US' → 'en'.
    const language = requested?.trim().toLowerCase().split(/[-_]/)[0] || undefined;
    const upload = await this.#fitUpload(await this.#takeUpload(request.audio, request.signal), request.audio, request.signal, warnings);
    return this.#semaphore.run(request.signal, () => this.#send(request, upload, language, warnings));
  }

  /** A second of silence through the normal request path: starts a worker on a scale-to-zero endpoint. */
  async warm(signal: AbortSignal): Promise<WarmResult> {
    const audio = silentSegment(1);
    const upload = await encodeSegment(audio, this.#settings.uploadFormat, signal);
    const reply = await this.#semaphore.run(signal, () =>
      postTranscription({
        url: this.#context.url,
        apiKey: this.#settings.apiKey,
        upload,
        model: this.#settings.model,
        language: undefined,
        prompt: undefined,
        responseFormat: 'json',
        timeoutSec: this.#settings.timeoutSec,
        signal,
        context: this.#context,
      }),
    );
    return { computeSec: computeSecOf(reply), coldStart: isColdStart(reply) };
  }

  /** Encodes a segment before it is requested, so the encode overlaps other requests' network time. */
  prefetch(audio: SegmentAudio, signal: AbortSignal): void {
    if (this.#prefetched.has(audio.id) || signal.aborted) return;
    // Bounded: a prefetched upload that is never requested (served elsewhere) is evicted, oldest first.
    while (this.#prefetched.size >= this.#settings.maxConcurrentRequests * 2) {
      this.#prefetched.delete(this.#prefetched.keys().next().value!);
    }
    const encoding = encodeSegment(audio, this.#settings.uploadFormat, signal);
    encoding.catch(() => this.#prefetched.delete(audio.id));
    this.#prefetched.set(audio.id, encoding);
  }

  async #takeUpload(audio: SegmentAudio, signal: AbortSignal): Promise<EncodedUpload> {
    const prefetched = this.#prefetched.get(audio.id);
    this.#prefetched.delete(audio.id);
    // A failed or aborted prefetch is simply redone under this request's own signal.
    const ready = prefetched ? await prefetched.catch(() => undefined) : undefined;
    return ready ?? encodeSegment(audio, this.#settings.uploadFormat, signal);
  }

  /** An upload over the endpoint's limit goes as Opus; one too large even then fails, unsent. */
  async #fitUpload(upload: EncodedUpload, audio: SegmentAudio, signal: AbortSignal, warnings: BackendWarning[]): Promise<EncodedUpload> {
    const limit = this.#settings.maxUploadBytes;
    if (upload.bytes.length <= limit) return upload;
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    const what = `a ${audio.durationSec.toFixed(0)} s segment is ${mb(upload.bytes.length)} as ${this.#settings.uploadFormat}, over the upload limit of ${mb(limit)} (maxUploadBytes)`;
    if (this.#settings.uploadFormat !== 'opus') {
      const opus = await encodeSegment(audio, 'opus', signal);
      if (opus.bytes.length <= limit) {
        warnings.push({ type: 'upload-reencoded', message: `backend "${this.id}": ${what}; sent as opus (${mb(opus.bytes.length)})` });
        return opus;
      }
    }
    throw new ParascribeError('BACKEND_FAILED', `backend "${this.id}": ${what}, even as opus; use shorter segments (--segment-sec)`, { isRetryable: false });
  }

  async #send(request: TranscribeRequest, upload: EncodedUpload, language: string | undefined, warnings: BackendWarning[]): Promise<TranscribeResult> {
    const post = (responseFormat: ResponseFormat) =>
      postTranscription({
        url: this.#context.url,
        apiKey: this.#settings.apiKey,
        upload,
        model: this.#settings.model,
        language,
        prompt: request.prompt ?? this.#settings.prompt,
        responseFormat,
        timeoutSec: this.#settings.timeoutSec,
        signal: request.signal,
        context: this.#context,
      });
    const durationSec = request.audio.durationSec;
    const format: ResponseFormat = this.#verboseRefused ? 'json' : this.#settings.responseFormat;
    let reply: TranscriptionReply;
    if (format === 'diarized_json') return this.#sendDiarized(request, upload, language, warnings);
    if (format === 'verbose_json') {
      try {
        reply = await post('verbose_json');
      } catch (error) {
        const e = error as ParascribeError;
        const said = typeof e.details?.serverMessage === 'string' ? e.details.serverMessage : '';
        if (e.code !== 'BACKEND_FAILED' || !isVerboseRefusal(Number(e.details?.status), said)) throw error;
        this.#refuseVerbose(warnings);
        reply = await post('json');
        if (lacksText(reply.body)) throw this.#malformed(reply, 'no text');
        return this.#result(mapTextOnly(reply.body, durationSec, language), reply, warnings);
      }
      const mapped = mapVerbose(reply.body, durationSec, language);
      if (mapped.kind === 'ok') {
        if (mapped.transcript.utterances.length > 0 && mapped.words === 0) {
          warnings.push({ type: 'timestamps-degraded', message: 'the server returned no word timestamps' });
        }
        return this.#result(mapped.transcript, reply, warnings);
      }
      // A 200 without segments: the server ignores verbose_json. Its text is what json would return,
      // so it is used as is rather than paid for twice.
      if (lacksText(reply.body)) throw this.#malformed(reply, 'neither segments nor text');
      this.#refuseVerbose(warnings);
      return this.#result(mapTextOnly(reply.body, durationSec, language), reply, warnings);
    }
    reply = await post('json');
    if (lacksText(reply.body)) throw this.#malformed(reply, 'no text');
    if (this.#verboseRefused) warnings.push(DEGRADED);
    return this.#result(mapTextOnly(reply.body, durationSec, language), reply, warnings);
  }

  /** Speaker labels: no prompt (the diarizing model refuses one), the server chunks past 30 s. */
  async #sendDiarized(request: TranscribeRequest, upload: EncodedUpload, language: string | undefined, warnings: BackendWarning[]): Promise<TranscribeResult> {
    const prompt = request.prompt ?? this.#settings.prompt;
    if (prompt) warnings.push({ type: 'unsupported-option', message: `backend "${this.id}": diarized_json takes no prompt; it was not sent` });
    const durationSec = request.audio.durationSec;
    const reply = await postTranscription({
      url: this.#context.url,
      apiKey: this.#settings.apiKey,
      upload,
      model: this.#settings.model,
      language,
      responseFormat: 'diarized_json',
      chunkingStrategy: durationSec > 30 ? 'auto' : undefined,
      timeoutSec: this.#settings.timeoutSec,
      signal: request.signal,
      context: this.#context,
    });
    const mapped = mapDiarized(reply.body, durationSec, language);
    if (mapped.kind === 'ok') return this.#result(mapped.transcript, reply, warnings);
    if (lacksText(reply.body)) throw this.#malformed(reply, 'neither segments nor text');
    warnings.push({ type: 'speakers-missing', message: `backend "${this.id}": the server returned no diarized segments (is the model a diarizing one, e.g. gpt-4o-transcribe-diarize?)` });
    return this.#result(mapTextOnly(reply.body, durationSec, language), reply, warnings);
  }

  #refuseVerbose(warnings: BackendWarning[]): void {
    this.#verboseRefused = true;
    warnings.push(DEGRADED);
  }

  #malformed(reply: TranscriptionReply, why: string): ParascribeError {
    return new ParascribeError('BACKEND_FAILED', `backend "${this.id}": HTTP ${reply.status} from ${this.#context.url} with an unusable body (${why})`, {
      isRetryable: true,
      details: { status: reply.status, retryAfterMs: undefined, backend: this.id },
    });
  }

  #result(transcript: SegmentTranscript, reply: TranscriptionReply, warnings: BackendWarning[]): TranscribeResult {
    return { ...transcript, computeSec: computeSecOf(reply), coldStart: isColdStart(reply), warnings };
  }
}

/** Builds a backend from checked settings; the environment fills in baseURL and apiKey. */
export function createFromSettings(settings: OpenAISettings, instanceId = 'openai', env: Env = process.env): TranscriptionBackend {
  const resolved = resolveSettings(settings, env);
  try {
    new URL(resolved.baseURL);
  } catch {
    throw new ParascribeError('INVALID_CONFIG', `backend "${instanceId}": baseURL "${resolved.baseURL}" is not a URL (check OPENAI_BASE_URL / PARASCRIBE_OPENAI_BASE_URL)`);
  }
  return new OpenAICompatibleBackend(resolved, instanceId);
}

export const openaiFactory: BackendFactory<typeof openaiSettingsSchema> = {
  id: 'openai',
  description: 'any OpenAI-compatible /audio/transcriptions endpoint (OpenAI, Groq, self-hosted whisper servers)',
  settingsSchema: openaiSettingsSchema,
  create: (settings, instanceId) => createFromSettings(settings, instanceId),
};

/** Convenience for code and tests: validates raw settings first (INVALID_CONFIG on failure). */
export function createOpenAICompatible(settings: OpenAISettingsInput = {}, instanceId?: string, env: Env = process.env): TranscriptionBackend {
  return createFromSettings(parseBackendSettings(openaiSettingsSchema, settings, instanceId ?? 'openai'), instanceId, env);
}
