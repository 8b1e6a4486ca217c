/**
 * Transcript text as the job page shows it: paragraphs (a timestamp each) of words with times. Word
 * times come from the backend; an utterance without them gets its words spread over its span by
 * length. Everything here is data: the page renders it as text, never as HTML.
 */
import type { ApiUtterance, SegmentEvent, TranscriptJson } from '../types';

export interface Word {
  text: string;
  start: number;
  end: number;
}

export interface Paragraph {
  start: number;
  words: Word[];
}

export interface Utterance {
  start: number;
  end: number;
  text: string;
  words: Word[];
}

/** A paragraph ends at a pause this long, or once it holds this many words. */
const PAUSE_SEC = 2;
const MAX_WORDS = 80;

export function spreadWords(u: { start: number; end: number; text: string }): Word[] {
  const tokens = u.text.split(/\s+/).filter(Boolean);
  const total = tokens.reduce((sum, t) => sum + t.length + 1, 0) || 1;
  const span = Math.max(0, u.end - u.start);
  let at = u.start;
  return tokens.map((text) => {
    const length = (span * (text.length + 1)) / total;
    const word = { text, start: at, end: at + length };
    at += length;
    return word;
  });
}

export function fromApi(u: ApiUtterance): Utterance {
  const words = (u.words ?? []).map((w) => ({ text: w.word, start: w.start_sec, end: w.end_sec }));
  const base = { start: u.start_sec, end: u.end_sec, text: u.text };
  return { ...base, words: words.length > 0 ? words : spreadWords(base) };
}

export function fromTranscriptJson(t: TranscriptJson): Utterance[] {
  return t.utterances.map((u) => {
    const base = { start: u.startSec, end: u.endSec, text: u.text };
    const words = u.words.map((w) => ({ text: w.word, start: w.startSec, end: w.endSec }));
    return { ...base, words: words.length > 0 ? words : spreadWords(base) };
  });
}

export function toParagraphs(utterances: readonly Utterance[]): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  let current: Paragraph | null = null;
  let lastEnd = -Infinity;
  for (const u of utterances) {
    if (u.words.length === 0) continue;
    if (!current || u.start - lastEnd >= PAUSE_SEC || current.words.length >= MAX_WORDS) {
      current = { start: u.words[0]!.start, words: [] };
      paragraphs.push(current);
    }
    current.words.push(...u.words);
    lastEnd = u.end;
  }
  return paragraphs;
}

export interface Block {
  key: string;
  paragraphs: Paragraph[];
  /** First word's start and last word's end (seconds): where the block sits in the recording. */
  start: number;
  end: number;
}

function makeBlock(key: string, paragraphs: Paragraph[]): Block {
  const words = paragraphs.flatMap((p) => p.words);
  return { key, paragraphs, start: words[0]?.start ?? 0, end: words.at(-1)?.end ?? 0 };
}

const segmentBlocks = new WeakMap<SegmentEvent, Block>();

/**
 * While the job runs: a block per segment, as the SSE stream delivered it (in order). The same segment
 * always gives the same block object, so a rendered block is not rendered again.
 */
export function liveBlocks(segments: readonly SegmentEvent[]): Block[] {
  return segments.map((s) => {
    let block = segmentBlocks.get(s);
    if (!block) {
      block = makeBlock(`s${s.index}`, toParagraphs(s.utterances.map(fromApi)));
      segmentBlocks.set(s, block);
    }
    return block;
  });
}

/** Words per block of the finished transcript: a block is rendered in one go, so it stays small. */
const BLOCK_WORDS = 150;

/** The finished, stitched transcript: blocks of whole paragraphs, about 150 words each (each renders once). */
export function finalBlocks(utterances: readonly Utterance[]): Block[] {
  const groups: Paragraph[][] = [];
  let words = BLOCK_WORDS;
  for (const paragraph of toParagraphs(utterances)) {
    if (words >= BLOCK_WORDS) {
      groups.push([]);
      words = 0;
    }
    groups.at(-1)!.push(paragraph);
    words += paragraph.words.length;
  }
  return groups.map((paragraphs, i) => makeBlock(`f${i}`, paragraphs));
}
