/**
 * `whispercpp` backend type: whisper.cpp through `@fugood/whisper.node`, in warm worker processes
 * (pool.ts) that load the model once. A request sends the segment's PCM to an idle worker; abort and
 * timeout kill that worker, and the next request pays a fresh model load (reported as a cold start).
 */
import { basename } from 'node:path';
import type { SegmentAudio } from '../../audio/segment-audio.js';
import { ParascribeError } from '../../errors.js';
import type { BackendCapabilities, BackendContext, BackendFactory, BackendWarning, TranscribeRequest, TranscribeResult, TranscriptionBackend } from '../spec.js';
import type { LatencyPrior } from '../../plan/latency/prior.js';
import { abortError, WorkerPool } from './pool.js';
import { whispercppPrior } from './priors.js';
import type { SpeechInfo } from './protocol.js';
import { parseBackendSettings } from '../settings.js';
import {
  isEnglishOnlyModel,
  modelFileProblem,
  MODEL_HINT,
  resolveSettings,
  whispercppSettingsSchema,
  type Env,
  type ResolvedWhisperCppSettings,
  type WhisperCppSettings,
  type WhisperCppSettingsInput,
} from './settings.js';

export { MODEL_ENV, whispercppSettingsSchema, type WhisperCppSettings, type WhisperCppSettingsInput } from './settings.js';

/** What a backend instance has done so far (for diagnostics and tests). */
export interface WhisperCppStats {
  /** Process ids of the live worker processes. */
  workerPids: number[];
  /** Model loads (cold starts) so far. */
  modelLoads: number;
  /** The last model load: seconds in the worker (binding + model), and from process start to ready. */
  lastColdStart?: { loadSec: number; startSec: number; library: string };
  /** VAD's view of the last segment, when VAD is on. */
  lastSpeech?: SpeechInfo;
}

async function readPcm(audio: SegmentAudio, signal: AbortSignal, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of audio.openPcm()) {
    if (signal.aborted) throw abortError(signal, label);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export class WhisperCppBackend implements TranscriptionBackend {
  readonly id: string;
  readonly model: string;
  readonly capabilities: BackendCapabilities;
  readonly fingerprint: Record<string, unknown>;
  readonly #settings: ResolvedWhisperCppSettings;
  readonly #englishOnly: boolean;
  readonly #pool: WorkerPool;
  #lastSpeech: SpeechInfo | undefined;
  #lastColdStart: WhisperCppStats['lastColdStart'];

  constructor(settings: ResolvedWhisperCppSettings, instanceId: string) {
    this.id = instanceId;
    this.#settings = settings;
    this.model = basename(settings.modelPath).replace(/\.bin$/i, '');
    this.#englishOnly = isEnglishOnlyModel(settings.modelPath);
    this.capabilities = { wordTimestamps: settings.wordTimestamps, languages: this.#englishOnly ? ['en'] : '*', costPerAudioMinuteUsd: 0, maxConcurrency: settings.maxWorkers };
    this.fingerprint = {
      model: { path: settings.modelPath, ...settings.modelFile },
      language: this.#englishOnly ? 'en' : settings.language,
      translate: settings.translate,
      wordTimestamps: settings.wordTimestamps,
      vad: settings.vadModelPath ? { path: settings.vadModelPath, ...settings.vad } : false,
    };
    this.#pool = new WorkerPool({
      label: `backend "${instanceId}"`,
      maxWorkers: settings.maxWorkers,
      init: {
        type: 'init',
        modelPath: settings.modelPath,
        useGpu: settings.useGpu,
        gpuLibrary: settings.gpuLibrary,
        threads: settings.threads,
        ...(settings.vadModelPath ? { vadModelPath: settings.vadModelPath } : {}),
      },
    });
  }

  stats(): WhisperCppStats {
    return {
      workerPids: this.#pool.pids(),
      modelLoads: this.#pool.loads,
      ...(this.#lastColdStart ? { lastColdStart: this.#lastColdStart } : {}),
      ...(this.#lastSpeech ? { lastSpeech: this.#lastSpeech } : {}),
    };
  }

  /** Model load and RTF by model size (priors.ts), until this backend's history refines them. */
  latencyPrior(): LatencyPrior {
    const { modelPath, modelFile, threads, maxWorkers, useGpu } = this.#settings;
    return whispercppPrior({ modelPath, modelBytes: modelFile.sizeBytes, threads, maxWorkers, useGpu });
  }

  /** Checks the model file, then loads it in a first worker, which stays warm for the job. */

  async check(signal: AbortSignal): Promise<void> {
    const problem = modelFileProblem(this.#settings.modelPath);
    if (problem) {
      throw new ParascribeError('BACKEND_UNAVAILABLE', `backend "${this.id}": whisper.cpp model ${this.#settings.modelPath} ${problem} (${MODEL_HINT})`);
    }
    await this.#pool.warm(signal);
  }

  #language(requested: string | undefined, warnings: BackendWarning[]): string {
    const language = requested?.toLowerCase().split(/[-_]/)[0] ?? this.#settings.language.toLowerCase();
    if (!this.#englishOnly) return language;
    if (language !== 'auto' && language !== 'en') {
      throw new ParascribeError(
        'UNSUPPORTED_LANGUAGE',
        `backend "${this.id}": ${this.model} is an English-only model, not for "${requested ?? language}" (use a multilingual model such as ggml-large-v3-turbo.bin)`,
      );
    }
    if (this.#settings.translate) warnings.push({ type: 'unsupported-option', message: `${this.model} is English-only: translate has no effect` });
    return 'en';
  }

  async transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    const warnings: BackendWarning[] = [];
    const language = this.#language(request.language, warnings);
    for (const key of Object.keys(request.options ?? {})) {
      warnings.push({ type: 'unsupported-option', message: `whispercpp ignores option "${key}"` });
    }
    const pcm = await readPcm(request.audio, request.signal, `backend "${this.id}"`);
    const timeoutMs = (this.#settings.timeoutSec ?? 300 + 10 * request.audio.durationSec) * 1000;
    const job = {
      pcm,
      language,
      translate: this.#settings.translate,
      threads: this.#settings.threads,
      wordTimestamps: this.#settings.wordTimestamps,
      vad: this.#settings.vad,
      ...(request.prompt ? { prompt: request.prompt } : {}),
    };
    const { result, cold } = await this.#pool.run(job, request.signal, timeoutMs);
    if (result.speech) this.#lastSpeech = result.speech;
    if (cold) this.#lastColdStart = { loadSec: cold.loadMs / 1000, startSec: cold.startMs / 1000, library: cold.library };
    for (const message of cold?.warnings ?? []) warnings.push({ type: 'gpu-unavailable', message });
    return {
      text: result.utterances.map((u) => u.text).join(' '),
      ...(result.language || language !== 'auto' ? { language: result.language ?? language } : {}),
      utterances: result.utterances,
      computeSec: result.computeMs / 1000,
      coldStart: cold !== undefined,
      warnings,
    };
  }

  /** Kills every worker process. */
  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Builds a backend from checked settings; the environment or the model store may supply the model path. */
export function createFromSettings(settings: WhisperCppSettings, instanceId = 'whispercpp', env: Env = process.env, context: BackendContext = {}): WhisperCppBackend {
  return new WhisperCppBackend(resolveSettings(settings, env, instanceId, context.models), instanceId);
}

export const whispercppFactory: BackendFactory<typeof whispercppSettingsSchema> = {
  id: 'whispercpp',
  description: 'whisper.cpp in warm worker processes (@fugood/whisper.node); needs a ggml model file',
  settingsSchema: whispercppSettingsSchema,
  create: (settings, instanceId, context) => createFromSettings(settings, instanceId, process.env, context),
};

/** Convenience for code and tests: validates raw settings first (INVALID_CONFIG on failure). */
export function createWhisperCpp(settings: WhisperCppSettingsInput = {}, instanceId?: string, env: Env = process.env, context: BackendContext = {}): WhisperCppBackend {
  return createFromSettings(parseBackendSettings(whispercppSettingsSchema, settings, instanceId ?? 'whispercpp'), instanceId, env, context);
}
