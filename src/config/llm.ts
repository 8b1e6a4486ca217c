/**
 * The `llm` section: one OpenAI-compatible chat endpoint (`POST {baseURL}/chat/completions`, streamed)
 * for `ask`. OpenAI, Groq, Ollama, vLLM, llama.cpp's server and LiteLLM all speak it. Everything is
 * optional here, so that a config without it still loads: `ask` checks what it needs when it runs
 * (src/llm/settings.ts) and says which settings are missing.
 */
import { z } from 'zod';

export const ASK_STRATEGIES = ['auto', 'full', 'retrieve', 'map-reduce'] as const;
export type AskStrategy = (typeof ASK_STRATEGIES)[number];

export const llmSchema = z
  .object({
    /** e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1 (Ollama); `/chat/completions` is appended. */
    baseURL: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
    /** The key itself, or (better, in a file) `apiKeyEnv`: the name of the variable holding it. Local servers need none. */
    apiKey: z.string().min(1).optional(),
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    model: z.string().min(1).optional(),
    /** The model's context window in tokens: prompt + answer must fit (the strategy is chosen by it). */
    contextTokens: z.number().int().min(1024).max(10_000_000).default(8192),
    /** Longest answer asked for (`max_tokens`); reserved out of the window. */
    maxAnswerTokens: z.number().int().min(16).max(100_000).default(1024),
    /** Price per million tokens, for the cost each answer reports (0: a local model). */
    costPerMillionInputUsd: z.number().nonnegative().default(0),
    costPerMillionOutputUsd: z.number().nonnegative().default(0),
    /** A whole answer (one request, all its chunks) may take this long. */
    timeoutSec: z.number().positive().max(3600).default(300),
    /** Silence allowed before the first chunk and between chunks: a hung server is noticed long before timeoutSec. */
    idleTimeoutSec: z.number().positive().max(3600).default(60),
    /** Attempts per request (1 = no retry); only before the first token (src/llm/client.ts says why). */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** How a transcript longer than the window is handled; 'auto' chooses by size (src/ask/strategy.ts). */
    strategy: z.enum(ASK_STRATEGIES).default('auto'),
    /** map-reduce: at most this many map calls; a longer transcript is retrieved instead (cost bound). */
    maxMapCalls: z.number().int().min(2).max(100).default(8),
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();

export type LlmConfig = z.infer<typeof llmSchema>;
export const DEFAULT_LLM_CONFIG: LlmConfig = llmSchema.parse({});
