/**
 * Subtitle cues: one per utterance, long utterances split at word boundaries, text wrapped into lines.
 * Limits follow common broadcast guidelines (≤ 2 lines of ≤ 42 characters, ≤ 7 s on screen).
 */
import type { Utterance, Word } from '../transcript.js';
import { toWholeMs } from './time.js';

export const MAX_CUE_SEC = 7;
export const MAX_LINE_CHARS = 42;
export const MAX_CUE_CHARS = 2 * MAX_LINE_CHARS;

export interface Cue {
  startSec: number;
  endSec: number;
  /** One or more lines, no blank ones. */
  lines: string[];
}

/** Collapses newlines and runs of spaces: a blank line inside a cue would end it early. */
function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function fitsOneCue(durationSec: number, chars: number): boolean {
  return toWholeMs(durationSec) <= MAX_CUE_SEC * 1000 && chars <= MAX_CUE_CHARS;
}

/**
 * Splits words into the fewest cues that respect the limits and, among those, the most even ones
 * (squared fill penalises a 7 s + 1 s split against 4 s + 4 s), preferring breaks after punctuation.
 * A single word that alone exceeds a limit gets a cue of its own.
 */
function splitWords(words: readonly { text: string; startSec: number; endSec: number }[]): Cue[] {
  const n = words.length;
  // charsBefore[i] = characters of words[0..i) joined by single spaces, plus one trailing space.
  const charsBefore = [0];
  for (const w of words) charsBefore.push((charsBefore.at(-1) as number) + w.text.length + 1);
  const best: { count: number; cost: number; from: number }[] = [{ count: 0, cost: 0, from: 0 }];

  for (let end = 1; end <= n; end++) {
    let choice = { count: Infinity, cost: Infinity, from: end - 1 };
    for (let start = end - 1; start >= 0; start--) {
      const first = words[start] as (typeof words)[number];
      const last = words[end - 1] as (typeof words)[number];
      const chars = (charsBefore[end] as number) - (charsBefore[start] as number) - 1;
      const durationSec = last.endSec - first.startSec;
      if (end - start > 1 && !fitsOneCue(durationSec, chars)) break; // longer spans only get worse
      const prev = best[start] as (typeof best)[number];
      const fill = (chars / MAX_CUE_CHARS) ** 2 + (durationSec / MAX_CUE_SEC) ** 2;
      const punctuationBonus = end < n && /[.!?,;:]$/.test(last.text) ? 0.5 : 0;
      const candidate = { count: prev.count + 1, cost: prev.cost + fill - punctuationBonus, from: start };
      if (candidate.count < choice.count || (candidate.count === choice.count && candidate.cost < choice.cost)) {
        choice = candidate;
      }
    }
    best.push(choice);
  }

  const cues: Cue[] = [];
  for (let end = n; end > 0; end = (best[end] as (typeof best)[number]).from) {
    const start = (best[end] as (typeof best)[number]).from;
    const part = words.slice(start, end);
    const text = part.map((w) => w.text).join(' ');
    cues.unshift({ startSec: part[0]!.startSec, endSec: part.at(-1)!.endSec, lines: wrapLines(text) });
  }
  return cues;
}

function usableWords(words: readonly Word[]): { text: string; startSec: number; endSec: number }[] {
  return words
    .map((w) => ({ text: normalise(w.word), startSec: w.startSec, endSec: w.endSec }))
    .filter((w) => w.text !== '');
}

/** Cues for all utterances, in order; utterances without text produce none. */
export function buildCues(utterances: readonly Utterance[]): Cue[] {
  const cues: Cue[] = [];
  for (const utterance of utterances) {
    const text = normalise(utterance.text);
    if (text === '') continue;
    const words = usableWords(utterance.words);
    const parts = fitsOneCue(utterance.endSec - utterance.startSec, text.length) ? [] : splitWords(words);
    // One part (no words, or a single over-long word) means no split: keep the utterance's text and times.
    if (parts.length > 1) cues.push(...parts);
    else cues.push({ startSec: utterance.startSec, endSec: utterance.endSec, lines: wrapLines(text) });
  }
  return cues;
}

/**
 * Wraps text into at most 2 balanced lines of ≤ maxChars where possible; otherwise (text too long or a
 * single huge word) greedily into as many lines as needed, never breaking inside a word.
 */
export function wrapLines(text: string, maxChars: number = MAX_LINE_CHARS): string[] {
  if (text.length <= maxChars) return [text];
  let bestSplit: { lines: string[]; longest: number } | undefined;
  for (let i = text.indexOf(' '); i !== -1; i = text.indexOf(' ', i + 1)) {
    const top = text.slice(0, i);
    const bottom = text.slice(i + 1);
    const longest = Math.max(top.length, bottom.length);
    if (longest <= maxChars && (!bestSplit || longest < bestSplit.longest)) {
      bestSplit = { lines: [top, bottom], longest };
    }
  }
  if (bestSplit) return bestSplit.lines;

  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
