/**
 * What the chat client needs, resolved from the `llm` section and the environment once, when `ask`
 * first runs (not when the config loads: a config without `llm` is fine for everything else).
 */
import type { LlmConfig } from '../config/llm.js';
import { ParascribeError } from '../errors.js';

export interface LlmSettings {
  /** Without a trailing slash; requests go to `${baseURL}/chat/completions`. */
  baseURL: string;
  model: string;
  apiKey: string | undefined;
  contextTokens: number;
  maxAnswerTokens: number;
  costPerMillionInputUsd: number;
  costPerMillionOutputUsd: number;
  timeoutMs: number;
  idleTimeoutMs: number;
  maxAttempts: number;
  temperature: number | undefined;
}

/** Throws LLM_NOT_CONFIGURED, naming every missing setting in one line, when `ask` cannot run. */
export function resolveLlmSettings(config: LlmConfig, env: NodeJS.ProcessEnv = process.env): LlmSettings {
  const missing: string[] = [];
  if (!config.baseURL) missing.push('PARASCRIBE_LLM_BASE_URL (llm.baseURL)');
  if (!config.model) missing.push('PARASCRIBE_LLM_MODEL (llm.model)');
  let apiKey = config.apiKey;
  if (!apiKey && config.apiKeyEnv) {
    apiKey = env[config.apiKeyEnv] || undefined;
    if (!apiKey) missing.push(`${config.apiKeyEnv} (named by llm.apiKeyEnv)`);
  }
  if (missing.length > 0) {
    throw new ParascribeError(
      'LLM_NOT_CONFIGURED',
      `no LLM configured for ask: set ${missing.join(' and ')}; PARASCRIBE_LLM_API_KEY too if the server needs a key (any OpenAI-compatible chat endpoint: OpenAI, Groq, Ollama, vLLM, llama.cpp, LiteLLM)`,
    );
  }
  return {
    baseURL: config.baseURL!.replace(/\/+$/, ''),
    model: config.model!,
    apiKey,
    contextTokens: config.contextTokens,
    // Never more than half the window: the transcript needs the room.
    maxAnswerTokens: Math.min(config.maxAnswerTokens, Math.floor(config.contextTokens / 2)),
    costPerMillionInputUsd: config.costPerMillionInputUsd,
    costPerMillionOutputUsd: config.costPerMillionOutputUsd,
    timeoutMs: config.timeoutSec * 1000,
    idleTimeoutMs: config.idleTimeoutSec * 1000,
    maxAttempts: config.maxAttempts,
    temperature: config.temperature,
  };
}

/** Dollars for one answer's tokens at the configured prices. */
export function costUsd(settings: Pick<LlmSettings, 'costPerMillionInputUsd' | 'costPerMillionOutputUsd'>, inputTokens: number, outputTokens: number): number {
  return (inputTokens * settings.costPerMillionInputUsd + outputTokens * settings.costPerMillionOutputUsd) / 1_000_000;
}
