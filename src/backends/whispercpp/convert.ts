/**
 * Pure helpers of the whisper.cpp backend: cutting silence out of a segment before inference (and
 * mapping times back), and turning whisper.cpp's segments or tokens into utterances and words.
 * The binding reports segment/token t0 and t1 in milliseconds (it multiplies whisper.cpp's 10 ms
 * units by 10) and VAD regions in whisper.cpp's own 10 ms units.
 */
import type { Utterance, Word } from '../../transcript.js';

export const SAMPLE_RATE = 16_000;

/** A stretch of source audio copied verbatim into the audio handed to whisper. */
export interface SpeechPiece {
  srcStartSec: number;
  dstStartSec: number;
  durationSec: number;
}

export interface SpeechPlan {
  pieces: SpeechPiece[];
  /** Length of the composed audio. */
  totalSec: number;
}

/** What the binding returns per segment (or per token, with maxLen 1): times in ms. */
export interface RawSegment {
  text: string;
  t0: number;
  t1: number;
}

/**
 * Speech regions (seconds, from VAD) to the pieces of a composed signal, as whisper.cpp's built-in
 * VAD does: each region but the last runs on by `overlapSec`, and `gapSec` of silence separates them.
 */
export function planSpeech(regions: ReadonlyArray<readonly [number, number]>, audioSec: number, overlapSec = 0.1, gapSec = 0.1): SpeechPlan {
  const spans: Array<[number, number]> = [];
  const sorted = [...regions].sort((a, b) => a[0] - b[0]);
  sorted.forEach(([start, end], i) => {
    const s = Math.max(0, Math.min(start, audioSec));
    const e = Math.max(s, Math.min(audioSec, i < sorted.length - 1 ? end + overlapSec : end));
    const last = spans.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else if (e > s) spans.push([s, e]);
  });
  const pieces: SpeechPiece[] = [];
  let dst = 0;
  for (const [s, e] of spans) {
    if (pieces.length > 0) dst += gapSec;
    pieces.push({ srcStartSec: s, dstStartSec: dst, durationSec: e - s });
    dst += e - s;
  }
  return { pieces, totalSec: dst };
}

/** Builds the composed signal: the pieces' samples with zeros in the gaps. */
export function composeSpeech(pcm: Int16Array, plan: SpeechPlan): Int16Array {
  const at = (sec: number): number => Math.round(sec * SAMPLE_RATE);
  const out = new Int16Array(at(plan.totalSec));
  for (const piece of plan.pieces) {
    const from = Math.min(pcm.length, at(piece.srcStartSec));
    const to = Math.min(pcm.length, from + at(piece.durationSec));
    out.set(pcm.subarray(from, to).subarray(0, Math.max(0, out.length - at(piece.dstStartSec))), at(piece.dstStartSec));
  }
  return out;
}

/** Maps a time in the composed signal back to the segment: exact inside a piece, linear across a gap. */
export function toSourceSec(plan: SpeechPlan, sec: number): number {
  const { pieces } = plan;
  if (pieces.length === 0) return sec;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    const end = p.dstStartSec + p.durationSec;
    if (sec < p.dstStartSec) return p.srcStartSec; // before the first piece (cannot happen after a gap: handled below)
    if (sec <= end) return p.srcStartSec + (sec - p.dstStartSec);
    const next = pieces[i + 1];
    if (next && sec < next.dstStartSec) {
      const fraction = (sec - end) / (next.dstStartSec - end);
      const srcEnd = p.srcStartSec + p.durationSec;
      return srcEnd + fraction * (next.srcStartSec - srcEnd);
    }
  }
  const last = pieces.at(-1)!;
  return last.srcStartSec + last.durationSec;
}

/** whisper.cpp's non-speech markers such as [BLANK_AUDIO]. */
const NON_SPEECH = /^\s*\[[A-Z_ ]+\]\s*$/;

type TimeMap = (sec: number) => number;

const clampTo = (durationSec: number, map: TimeMap) => (ms: number): number =>
  Math.min(durationSec, Math.max(0, Number(map(ms / 1000).toFixed(3))));

/** One utterance per whisper segment, with no words (whisper gives segment times only). */
export function segmentsToUtterances(segments: readonly RawSegment[], durationSec: number, map: TimeMap = (s) => s): Utterance[] {
  const time = clampTo(durationSec, map);
  return segments
    .filter((s) => s.text.trim() !== '' && !NON_SPEECH.test(s.text))
    .map((s) => ({ startSec: time(s.t0), endSec: Math.max(time(s.t0), time(s.t1)), text: s.text.trim(), words: [] }));
}

/**
 * Per-token segments (maxLen 1 + tokenTimestamps) to words and utterances. A token that starts with
 * a space starts a word; others (word pieces, punctuation) extend the current one. An utterance ends
 * after a word ending in . ? ! or before a pause of at least `pauseSec`.
 */
export function tokensToUtterances(tokens: readonly RawSegment[], durationSec: number, map: TimeMap = (s) => s, pauseSec = 1): Utterance[] {
  const time = clampTo(durationSec, map);
  const words: Word[] = [];
  for (const token of tokens) {
    if (token.text === '' || NON_SPEECH.test(token.text)) continue;
    const last = words.at(-1);
    const startsWord = /^\s/.test(token.text) || !last;
    if (startsWord) {
      const word = token.text.trim();
      if (word === '') continue;
      words.push({ word, startSec: time(token.t0), endSec: Math.max(time(token.t0), time(token.t1)) });
    } else {
      last.word += token.text;
      last.endSec = Math.max(last.endSec, time(token.t1));
    }
  }
  const utterances: Utterance[] = [];
  let current: Word[] = [];
  const flush = () => {
    if (current.length === 0) return;
    utterances.push({ startSec: current[0]!.startSec, endSec: current.at(-1)!.endSec, text: current.map((w) => w.word).join(' '), words: current });
    current = [];
  };
  for (const word of words) {
    const previous = current.at(-1);
    if (previous && word.startSec - previous.endSec >= pauseSec) flush();
    current.push(word);
    if (/[.?!]["')\]]*$/.test(word.word)) flush();
  }
  flush();
  return utterances;
}
