/**
 * How a transcript meets a model's window — a stated strategy, never silent truncation:
 *
 * - full: every passage. Only when it fits.
 * - retrieve: the passages BM25 ranks highest for the question, added best first while they fit,
 *   then their neighbours, all put back in time order (a model follows a conversation better in order).
 * - map-reduce: consecutive chunks that each fit; each is asked for notes, the notes are answered
 *   from. It reads everything, at chunks + 1 calls.
 *
 * 'auto' chooses by size: full when it fits; otherwise retrieve, except when the question shares no
 * term with the transcript ("summarise this"): retrieval would then rank nothing, so map-reduce, as
 * long as it needs at most `maxMapCalls` chunks (its cost bound).
 */
import type { AskStrategy } from '../config/llm.js';
import { ParascribeError } from '../errors.js';
import { bm25Scores } from './bm25.js';
import { totalTokens, type Passage } from './passages.js';

export type ResolvedStrategy = Exclude<AskStrategy, 'auto'>;

export type AskPlan =
  | { strategy: 'full'; passages: Passage[]; reason: string }
  | { strategy: 'retrieve'; passages: Passage[]; reason: string }
  | { strategy: 'map-reduce'; chunks: Passage[][]; reason: string };

/**
 * Share of the window counted on: prompts are budgeted with an estimate (~4 characters per token) and
 * text with many numbers or names tokenizes worse, so 10 % stays free.
 */
export const WINDOW_SAFETY = 0.9;

/** Tokens left for transcript text once the answer and the fixed part of the prompt are set aside. */
export function transcriptBudget(window: { contextTokens: number; maxAnswerTokens: number }, fixedPromptTokens: number): number {
  return Math.max(0, Math.floor((window.contextTokens - window.maxAnswerTokens) * WINDOW_SAFETY) - fixedPromptTokens);
}

/**
 * Passages that match the question, best first, while they fit; then their neighbours (the passage
 * before and after each, so an answer has the turn it belongs to) while they fit; returned in time
 * order. Passages that match nothing are not padding: they cost tokens and say nothing. When nothing
 * matches at all, the earliest passages that fit (the plan's reason says so).
 */
export function retrieve(passages: readonly Passage[], question: string, budgetTokens: number): Passage[] {
  const scores = bm25Scores(question, passages.map((p) => p.text));
  const ranked = passages.map((p, i) => ({ p, i, score: scores[i]! })).filter((r) => r.score > 0);
  ranked.sort((a, b) => b.score - a.score || a.i - b.i);
  const chosen = new Map<number, Passage>();
  let used = 0;
  const add = (i: number) => {
    const p = passages[i];
    if (!p || chosen.has(i) || used + p.tokens > budgetTokens) return; // one that does not fit may leave room for shorter ones
    chosen.set(i, p);
    used += p.tokens;
  };
  for (const r of ranked) add(r.i);
  for (const r of ranked) {
    add(r.i - 1);
    add(r.i + 1);
  }
  if (ranked.length === 0) passages.forEach((_, i) => add(i));
  return [...chosen.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
}

/** Consecutive chunks of at most `budgetTokens` each (a passage over the budget is alone in its chunk). */
export function chunk(passages: readonly Passage[], budgetTokens: number): Passage[][] {
  const chunks: Passage[][] = [];
  let current: Passage[] = [];
  let used = 0;
  for (const p of passages) {
    if (current.length > 0 && used + p.tokens > budgetTokens) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(p);
    used += p.tokens;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface PlanInput {
  passages: readonly Passage[];
  question: string;
  requested: AskStrategy;
  /** Transcript tokens one answer call may hold (transcriptBudget of the answer prompt). */
  budgetTokens: number;
  /** The same for a map call (its prompt differs a little). */
  mapBudgetTokens: number;
  maxMapCalls: number;
}

export function planAsk(input: PlanInput): AskPlan {
  const { passages, question, requested, budgetTokens, mapBudgetTokens, maxMapCalls } = input;
  const size = totalTokens(passages);
  const fits = size <= budgetTokens;
  const sizes = `~${size} transcript tokens, ${budgetTokens} fit the window`;
  if (requested === 'full') {
    if (!fits) throw new ParascribeError('INVALID_ARGUMENT', `the transcript (${sizes}) does not fit the model's window whole: use --strategy retrieve, map-reduce or auto`);
    return { strategy: 'full', passages: [...passages], reason: `full (asked; ${sizes})` };
  }
  if (requested === 'retrieve') return { strategy: 'retrieve', passages: retrieve(passages, question, budgetTokens), reason: `retrieve (asked; ${sizes})` };
  if (requested === 'map-reduce') {
    const chunks = chunk(passages, mapBudgetTokens);
    if (chunks.length > maxMapCalls) {
      throw new ParascribeError('INVALID_ARGUMENT', `map-reduce would take ${chunks.length} calls (${sizes}); llm.maxMapCalls is ${maxMapCalls}: use --strategy retrieve`);
    }
    return { strategy: 'map-reduce', chunks, reason: `map-reduce (asked; ${chunks.length} chunks, ${sizes})` };
  }
  if (fits) return { strategy: 'full', passages: [...passages], reason: `auto → full (${sizes})` };
  const matched = bm25Scores(question, passages.map((p) => p.text)).some((s) => s > 0);
  if (!matched) {
    const chunks = chunk(passages, mapBudgetTokens);
    if (chunks.length <= maxMapCalls) {
      return { strategy: 'map-reduce', chunks, reason: `auto → map-reduce (too long for the window, and no term of the question occurs to retrieve by; ${chunks.length} chunks, ${sizes})` };
    }
  }
  return { strategy: 'retrieve', passages: retrieve(passages, question, budgetTokens), reason: `auto → retrieve (too long for the window; ${sizes})` };
}

/** The passages a plan gives the model: what citations are checked against. */
export function planPassages(plan: AskPlan): Passage[] {
  return plan.strategy === 'map-reduce' ? plan.chunks.flat() : plan.passages;
}
