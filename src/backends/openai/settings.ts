/**
 * Settings of the `openai` backend type: any OpenAI-compatible `POST {baseURL}/audio/transcriptions`.
 * `baseURL` and `apiKey` may come from the environment; it is read when a backend is created (through
 * an injectable `env`), never at module load.
 */
import { z } from 'zod';

export const UPLOAD_FORMATS = ['flac', 'opus', 'wav'] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** OpenAI's limit on an uploaded file (26214400 bytes). */
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
export const BASE_URL_ENV = ['PARASCRIBE_OPENAI_BASE_URL', 'OPENAI_BASE_URL'] as const;
export const API_KEY_ENV = ['PARASCRIBE_OPENAI_API_KEY', 'OPENAI_API_KEY'] as const;

export const openaiSettingsSchema = z
  .object({
    /** e.g. https://api.openai.com/v1, https://api.groq.com/openai/v1, http://gpu-box:8000/v1. */
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    /** Bearer token; optional for loopback servers. Never logged, never in the fingerprint. */
    apiKey: z.string().min(1).optional(),
    /**
     * Read the key from this environment variable instead (e.g. GROQ_API_KEY), so that the secret
     * stays out of the config file and an OpenAI key is never sent to another provider.
     */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    model: z.string().min(1).default('whisper-1'),
    /** Default language (ISO-639-1) when the job sets none. */
    language: z.string().min(2).optional(),
    /** Default prompt (vocabulary, spelling hints) when the request has none. */
    prompt: z.string().optional(),
    /** Requests in flight at once against this endpoint (the provider's k). */
    maxConcurrentRequests: z.number().int().min(1).max(1024).default(4),
    /** Limit per HTTP attempt, upload to last byte of the answer. */
    timeoutSec: z.number().positive().max(3600).default(120),
    costPerAudioMinuteUsd: z.number().nonnegative().default(0.006),
    /** How a segment travels; see docs/backends-openai.md for the measurement behind the default. */
    uploadFormat: z.enum(UPLOAD_FORMATS).default('flac'),
    /**
     * The endpoint's upload limit (OpenAI: 25 MiB). Segments are planned to fit it; one that still
     * encodes larger goes as Opus instead, and one too large even then fails before it is sent.
     */
    maxUploadBytes: z.number().int().min(64 * 1024).default(DEFAULT_MAX_UPLOAD_BYTES),
    /**
     * verbose_json: segments with word times; json: text only; diarized_json: segments with speaker
     * labels (OpenAI's gpt-4o-transcribe-diarize; no word times, no prompt; docs/speakers.md).
     */
    responseFormat: z.enum(['verbose_json', 'json', 'diarized_json']).default('verbose_json'),
  })
  .strict();

export type OpenAISettings = z.infer<typeof openaiSettingsSchema>;
export type OpenAISettingsInput = z.input<typeof openaiSettingsSchema>;

/** Settings after the environment filled in `baseURL` and `apiKey`. */
export interface ResolvedOpenAISettings extends Omit<OpenAISettings, 'baseURL'> {
  baseURL: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

function firstSet(env: Env, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

export function resolveSettings(settings: OpenAISettings, env: Env): ResolvedOpenAISettings {
  const baseURL = (settings.baseURL ?? firstSet(env, BASE_URL_ENV) ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const apiKey = settings.apiKey ?? firstSet(env, settings.apiKeyEnv ? [settings.apiKeyEnv] : API_KEY_ENV);
  const { apiKey: _ignored, ...rest } = settings;
  return { ...rest, baseURL, ...(apiKey ? { apiKey } : {}) };
}

/** True for localhost, 127.0.0.0/8 and ::1: servers that usually need no key. */
export function isLoopback(baseURL: string): boolean {
  let host: string;
  try {
    host = new URL(baseURL).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function missingKeyMessage(instanceId: string, baseURL: string, apiKeyEnv?: string): string {
  const where = apiKeyEnv
    ? `${apiKeyEnv} in the environment (named by backends.${instanceId}.apiKeyEnv, which replaces ${API_KEY_ENV[0]} and ${API_KEY_ENV[1]})`
    : `${API_KEY_ENV[0]} or ${API_KEY_ENV[1]} in the environment`;
  return `backend "${instanceId}": no API key for ${baseURL} (set backends.${instanceId}.apiKey in the config file, or ${where})`;
}
