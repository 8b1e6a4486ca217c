/**
 * Subtitle cues: one per utterance, long utterances split at word times, text wrapped into balanced
 * lines. The limits (src/config/outputs.ts: 42 characters × 2 lines, 7 s, 20 characters per second by
 * default, after common broadcast guidance) hold for every cue except where one word alone breaks
 * them (a 50-letter word, a word held for 9 s) or the speech itself is faster than the reading speed.
 * Utterances without word times are split at estimated times (their duration shared by characters).
 */
import { DEFAULT_SUBTITLES, type SubtitleOptions } from '../config/outputs.js';
import type { Utterance, Word } from '../transcript.js';
import { toWholeMs } from './time.js';

export type CueLimits = SubtitleOptions;
export const DEFAULT_CUE_LIMITS: CueLimits = DEFAULT_SUBTITLES;
export const MAX_CUE_SEC = DEFAULT_SUBTITLES.maxCueSec;
export const MAX_LINE_CHARS = DEFAULT_SUBTITLES.maxLineChars;
export const MAX_CUE_CHARS = DEFAULT_SUBTITLES.maxLines * DEFAULT_SUBTITLES.maxLineChars;

export interface Cue {
  startSec: number;
  endSec: number;
  /** One or more lines, no blank ones (a label prefix, when asked for, is part of the first). */
  lines: string[];
  /** The utterance's speaker, when it has one. */
  speaker?: string;
}

export interface CueOptions {
  /** Text put before a speaker's cue (SRT: `[SPEAKER_1] `); it counts against the line length. */
  label?: (speaker: string) => string;
}

interface TimedWord {
  text: string;
  startSec: number;
  endSec: number;
}

/** Collapses newlines and runs of spaces: a blank line inside a cue would end it early. */
function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The fewest lines of ≤ maxChars that hold the words (greedy filling is optimal for the count). */
export function lineCount(text: string, maxChars: number): number {
  let lines = 0;
  let length = -1;
  for (const word of text.split(' ')) {
    if (length >= 0 && length + 1 + word.length <= maxChars) length += 1 + word.length;
    else (lines++, (length = word.length));
  }
  return lines;
}

/** Whether text fits a cue's lines: as many as allowed, none over-long (so no word longer than a line). */
function fitsLines(text: string, limits: CueLimits): boolean {
  return lineCount(text, limits.maxLineChars) <= limits.maxLines && text.split(' ').every((w) => w.length <= limits.maxLineChars);
}

/**
 * Wraps text into the fewest lines of ≤ maxChars (never breaking a word), balanced: the longest line
 * as short as possible, ties going to a shorter top line.
 */
export function wrapLines(text: string, maxChars: number = MAX_LINE_CHARS): string[] {
  if (text.length <= maxChars) return [text];
  const words = text.split(' ');
  const k = lineCount(text, maxChars);
  const n = words.length;
  const span = (i: number, j: number) => words.slice(i, j).join(' ').length;
  // best[l][j]: the smallest longest line for words[0..j) in l lines, and where its last line starts.
  const best: { longest: number; from: number }[][] = [[{ longest: 0, from: 0 }, ...Array.from({ length: n }, () => ({ longest: Infinity, from: 0 }))]];
  for (let l = 1; l <= k; l++) {
    const row = Array.from({ length: n + 1 }, () => ({ longest: Infinity, from: 0 }));
    for (let j = 1; j <= n; j++) {
      for (let i = j - 1; i >= l - 1; i--) {
        const longest = Math.max(best[l - 1]![i]!.longest, span(i, j));
        if (longest <= row[j]!.longest) row[j] = { longest, from: i }; // i falls: on a tie, the longer last line
      }
    }
    best.push(row);
  }
  const lines: string[] = [];
  for (let l = k, j = n; l > 0; l--) {
    const { from } = best[l]![j]!;
    lines.unshift(words.slice(from, j).join(' '));
    j = from;
  }
  return lines;
}

/** Times for words of an utterance without word times: its duration shared by characters. */
function estimateWords(text: string, startSec: number, endSec: number): TimedWord[] {
  const tokens = text.split(' ');
  const total = tokens.reduce((sum, t) => sum + t.length + 1, 0);
  const perChar = (endSec - startSec) / total;
  let at = startSec;
  return tokens.map((t) => {
    const word = { text: t, startSec: at, endSec: at + t.length * perChar };
    at += (t.length + 1) * perChar;
    return word;
  });
}

/**
 * Splits words into the fewest cues that respect the limits and, among those, the most even ones
 * (squared fill penalises a 7 s + 1 s split against 4 s + 4 s), preferring breaks after punctuation
 * and avoiding cues read faster than maxCps. A single word that alone exceeds a limit gets a cue of its own.
 */
function splitWords(words: readonly TimedWord[], limits: CueLimits, prefix: string): { startSec: number; endSec: number; text: string }[] {
  const n = words.length;
  const textOf = (start: number, end: number) => prefix + words.slice(start, end).map((w) => w.text).join(' ');
  const best: { count: number; cost: number; from: number }[] = [{ count: 0, cost: 0, from: 0 }];
  for (let end = 1; end <= n; end++) {
    let choice = { count: Infinity, cost: Infinity, from: end - 1 };
    for (let start = end - 1; start >= 0; start--) {
      const text = textOf(start, end);
      const durationSec = words[end - 1]!.endSec - words[start]!.startSec;
      const fits = toWholeMs(durationSec) <= limits.maxCueSec * 1000 && fitsLines(text, limits);
      if (end - start > 1 && !fits) break; // longer spans only get worse
      const prev = best[start]!;
      const fill = (text.length / (limits.maxLines * limits.maxLineChars)) ** 2 + (durationSec / limits.maxCueSec) ** 2;
      const tooFast = durationSec > 0 && text.length / durationSec > limits.maxCps ? 1 : 0;
      const punctuationBonus = end < n && /[.!?,;:]$/.test(words[end - 1]!.text) ? 0.5 : 0;
      const candidate = { count: prev.count + 1, cost: prev.cost + fill + tooFast - punctuationBonus, from: start };
      if (candidate.count < choice.count || (candidate.count === choice.count && candidate.cost < choice.cost)) choice = candidate;
    }
    best.push(choice);
  }
  const parts: { startSec: number; endSec: number; text: string }[] = [];
  for (let end = n; end > 0; end = best[end]!.from) {
    const start = best[end]!.from;
    parts.unshift({ startSec: words[start]!.startSec, endSec: words[end - 1]!.endSec, text: textOf(start, end) });
  }
  return parts;
}

function usableWords(words: readonly Word[]): TimedWord[] {
  return words.map((w) => ({ text: normalise(w.word), startSec: w.startSec, endSec: w.endSec })).filter((w) => w.text !== '');
}

/**
 * Holds cues read too fast on screen longer: the end moves into the silence after the cue, never past
 * the next cue's start or maxCueSec. Cues must be in start order.
 */
function holdForReading(cues: Cue[], limits: CueLimits): void {
  for (let i = 0; i < cues.length; i++) {
    const cue = cues[i]!;
    const chars = cue.lines.join(' ').length;
    const wanted = cue.startSec + chars / limits.maxCps;
    if (wanted <= cue.endSec) continue;
    const next = cues.slice(i + 1).find((c) => c.startSec >= cue.startSec)?.startSec ?? Infinity;
    cue.endSec = Math.max(cue.endSec, Math.min(wanted, next, cue.startSec + limits.maxCueSec));
  }
}

/** Cues for all utterances, in start order; utterances without text produce none. */
export function buildCues(utterances: readonly Utterance[], limits: CueLimits = DEFAULT_CUE_LIMITS, options: CueOptions = {}): Cue[] {
  const cues: Cue[] = [];
  for (const utterance of utterances) {
    const text = normalise(utterance.text);
    if (text === '') continue;
    const speaker = utterance.speaker;
    const prefix = speaker !== undefined && options.label ? options.label(speaker) : '';
    const at = (part: { startSec: number; endSec: number; text: string }): Cue => ({
      startSec: part.startSec,
      endSec: part.endSec,
      lines: wrapLines(part.text, limits.maxLineChars),
      ...(speaker !== undefined ? { speaker } : {}),
    });
    const whole = { startSec: utterance.startSec, endSec: utterance.endSec, text: prefix + text };
    const fits = toWholeMs(utterance.endSec - utterance.startSec) <= limits.maxCueSec * 1000 && fitsLines(whole.text, limits);
    if (fits) {
      cues.push(at(whole));
      continue;
    }
    const timed = usableWords(utterance.words);
    const words = timed.length > 0 ? timed : estimateWords(text, utterance.startSec, utterance.endSec);
    // One part (a single over-long word) means no split: keep the utterance's text and times.
    const parts = splitWords(words, limits, prefix);
    cues.push(...(parts.length > 1 ? parts.map(at) : [at(whole)]));
  }
  cues.sort((a, b) => a.startSec - b.startSec);
  holdForReading(cues, limits);
  return cues;
}
