/**
 * What a model is given of a transcript: the `md` format's paragraphs (src/outputs/text.ts), each one
 * line under its `[hh:mm:ss]` marker. They are the units of retrieval and of citation checking: a
 * paragraph is at most ~60 s of speech, cut at pauses, so a retrieved one is a coherent passage and a
 * cited marker points at one.
 */
import { estimateTokens } from '../llm/tokens.js';
import { mdParagraphLine, mdParagraphs } from '../outputs/text.js';
import type { Transcript } from '../transcript.js';

export interface Passage {
  index: number;
  startSec: number;
  endSec: number;
  text: string;
  /** As the model sees it: `[hh:mm:ss] text`. */
  line: string;
  /** Estimated tokens of the line and the blank line after it. */
  tokens: number;
}

/**
 * A paragraph longer than this (a backend that gave text without utterances: one paragraph for the
 * whole recording) is split at word boundaries so that retrieval and map-reduce can still place it.
 */
export const MAX_PASSAGE_CHARS = 4000;

export function passagesOf(transcript: Transcript): Passage[] {
  const passages: Passage[] = [];
  for (const paragraph of mdParagraphs(transcript)) {
    for (const text of splitLong(paragraph.text, MAX_PASSAGE_CHARS)) {
      const line = mdParagraphLine({ startSec: paragraph.startSec, text, ...(paragraph.speaker !== undefined ? { speaker: paragraph.speaker } : {}) });
      passages.push({ index: passages.length, startSec: paragraph.startSec, endSec: paragraph.endSec, text, line, tokens: estimateTokens(line) + 1 });
    }
  }
  return passages;
}

function splitLong(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf(' ', max);
    const at = cut > max / 2 ? cut : max;
    pieces.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

/** The passages as one context text, in the order given. */
export function contextText(passages: readonly Passage[]): string {
  return passages.map((p) => p.line).join('\n\n');
}

export const totalTokens = (passages: readonly Passage[]): number => passages.reduce((sum, p) => sum + p.tokens, 0);
