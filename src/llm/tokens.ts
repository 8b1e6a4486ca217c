/**
 * Token estimates for when a server reports no usage, and for budgeting a prompt before it is sent
 * (the server's tokenizer is not known here). About 4 characters per token is the usual figure for
 * English with BPE tokenizers (OpenAI's own rule of thumb); budgets keep a margin for text that
 * tokenizes worse (src/ask/strategy.ts).
 */
import type { ChatMessage } from './client.js';

export const CHARS_PER_TOKEN = 4;
/** Role and separators around each message (OpenAI's cookbook counts 3 to 4). */
export const MESSAGE_OVERHEAD_TOKENS = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + MESSAGE_OVERHEAD_TOKENS + estimateTokens(m.content), 0);
}
