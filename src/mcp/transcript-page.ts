/**
 * What `get_transcript` returns of a transcript: optionally only a time range of it, rendered in one
 * of the output formats, then one page of that text. Pure functions, tested by table.
 */
import type { OutputDocument } from '../outputs/document.js';
import type { Transcript } from '../transcript.js';

/**
 * The utterances that overlap [startSec, endSec) (and their words), with their absolute times kept, so that
 * srt/vtt cues and md markers still point into the whole recording. A transcript whose backend gave
 * no utterances has nothing to cut by: a range of it is empty.
 */
export function sliceTranscript(transcript: Transcript, startSec = 0, endSec = Number.POSITIVE_INFINITY): Transcript {
  const overlaps = (item: { startSec: number; endSec: number }): boolean => item.endSec > startSec && item.startSec < endSec;
  const utterances = transcript.utterances.filter(overlaps);
  // The words of the utterances kept (they are contiguous in time): whole utterances, words and all.
  const from = utterances.reduce((min, u) => Math.min(min, u.startSec), Number.POSITIVE_INFINITY);
  const to = utterances.reduce((max, u) => Math.max(max, u.endSec), Number.NEGATIVE_INFINITY);
  return {
    ...transcript,
    text: utterances.map((u) => u.text.trim()).filter(Boolean).join(' '),
    utterances,
    words: utterances.length === 0 ? [] : transcript.words.filter((w) => w.endSec > from && w.startSec < to),
  };
}

export function sliceDocument(doc: OutputDocument, startSec?: number, endSec?: number): OutputDocument {
  if (startSec === undefined && endSec === undefined) return doc;
  return { ...doc, transcript: sliceTranscript(doc.transcript, startSec, endSec) };
}

export interface TextPage {
  text: string;
  offset: number;
  /** Where the next page starts, or null on the last page. */
  nextOffset: number | null;
  totalChars: number;
}

/**
 * Characters [offset, offset + maxChars) of `text`, ended at the last line break of that window when
 * one lies in its second half (so a paragraph, cue or JSON line is not cut mid-way); a window with no
 * such break is cut where it ends. The pages, concatenated, are the text.
 */
export function pageOf(text: string, offset: number, maxChars: number): TextPage {
  const start = Math.min(Math.max(0, offset), text.length);
  let end = Math.min(text.length, start + maxChars);
  if (end < text.length) {
    const lineEnd = text.lastIndexOf('\n', end - 1);
    if (lineEnd >= start + Math.floor(maxChars / 2)) end = lineEnd + 1;
  }
  return { text: text.slice(start, end), offset: start, nextOffset: end < text.length ? end : null, totalChars: text.length };
}
