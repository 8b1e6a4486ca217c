/**
 * The stitcher: a pure function from per-segment transcripts (relative times) to one transcript
 * (absolute times). Segments cut at a pause touch; segments cut hard overlap, and there the words
 * both sides heard are matched one by one so that none is dropped or doubled.
 */
import { joinWords, mapUtteranceTimes, type SegmentTranscript, type Transcript, type Utterance, type Word } from '../transcript.js';
import { linkSpeakers } from './speakers.js';

export interface StitchPart {
  startSec: number;
  endSec: number;
  transcript: SegmentTranscript;
}

export interface StitchOptions {
  durationSec: number;
  language: string;
  /** Two words with the same text whose starts differ by at most this are the same spoken word. */
  matchToleranceSec?: number;
}

const normalise = (word: string): string => word.toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');
const centreSec = (w: { startSec: number; endSec: number }): number => (w.startSec + w.endSec) / 2;

function shiftPart(part: StitchPart): Utterance[] {
  const offset = part.startSec;
  return mapUtteranceTimes(part.transcript.utterances, (t) => Math.min(part.endSec, Math.max(part.startSec, t + offset)));
}

/** Decides which words each side keeps in an overlap zone; returns predicates. */
function resolveOverlap(
  before: readonly Word[],
  after: readonly Word[],
  zoneStartSec: number,
  zoneEndSec: number,
  toleranceSec: number,
): { keepBefore: (w: Word) => boolean; keepAfter: (w: Word) => boolean } {
  const midSec = (zoneStartSec + zoneEndSec) / 2;
  const inZoneBefore = before.filter((w) => w.endSec > zoneStartSec);
  const inZoneAfter = after.filter((w) => w.startSec < zoneEndSec);
  // The anchor is the word both sides heard that lies nearest the middle of the zone.
  let anchor: { a: Word; b: Word } | undefined;
  for (const a of inZoneBefore) {
    for (const b of inZoneAfter) {
      if (normalise(a.word) !== normalise(b.word) || Math.abs(a.startSec - b.startSec) > toleranceSec) continue;
      if (!anchor || Math.abs(centreSec(a) - midSec) < Math.abs(centreSec(anchor.a) - midSec)) anchor = { a, b };
    }
  }
  if (anchor) {
    const { a, b } = anchor;
    return { keepBefore: (w) => w.startSec <= a.startSec, keepAfter: (w) => w.startSec > b.startSec };
  }
  // Nothing heard twice: each word belongs to the side whose half of the zone holds its centre.
  return { keepBefore: (w) => centreSec(w) < midSec, keepAfter: (w) => centreSec(w) >= midSec };
}

function filterUtterances(utterances: Utterance[], keepWord: (w: Word) => boolean, keepBare: (u: Utterance) => boolean): Utterance[] {
  const kept: Utterance[] = [];
  for (const u of utterances) {
    if (u.words.length === 0) {
      if (keepBare(u)) kept.push(u);
      continue;
    }
    const words = u.words.filter(keepWord);
    if (words.length === 0) continue;
    if (words.length === u.words.length) {
      kept.push(u);
      continue;
    }
    kept.push({ ...u, words, text: joinWords(words), startSec: words[0]!.startSec, endSec: words.at(-1)!.endSec });
  }
  return kept;
}

export function stitch(parts: readonly StitchPart[], options: StitchOptions): Transcript {
  const toleranceSec = options.matchToleranceSec ?? 0.5;
  // A diarizing backend's per-segment labels become job-wide ids first (stitch/speakers.ts).
  const sorted = linkSpeakers(parts);
  // One list per part: an overlap only ever touches the part just before it.
  const perPart: Utterance[][] = [];
  let previous: StitchPart | undefined;

  for (const part of sorted) {
    let incoming = shiftPart(part);
    const before = perPart.at(-1);
    if (previous && before && part.startSec < previous.endSec) {
      const zoneStartSec = part.startSec;
      const zoneEndSec = previous.endSec;
      const midSec = (zoneStartSec + zoneEndSec) / 2;
      const { keepBefore, keepAfter } = resolveOverlap(
        before.flatMap((u) => u.words),
        incoming.flatMap((u) => u.words),
        zoneStartSec,
        zoneEndSec,
        toleranceSec,
      );
      // Only words inside the zone are in question; everything outside it is settled.
      const settledBefore = (w: Word): boolean => w.endSec <= zoneStartSec || keepBefore(w);
      const settledAfter = (w: Word): boolean => w.startSec >= zoneEndSec || keepAfter(w);
      perPart[perPart.length - 1] = filterUtterances(before, settledBefore, (u) => u.endSec <= zoneStartSec || centreSec(u) < midSec);
      incoming = filterUtterances(incoming, settledAfter, (u) => u.startSec >= zoneEndSec || centreSec(u) >= midSec);
    }
    perPart.push(incoming);
    previous = part;
  }

  const utterances = perPart.flat().filter((u) => u.text.trim() !== '' || u.words.length > 0);
  return {
    text: utterances.map((u) => u.text.trim()).filter(Boolean).join(' '),
    language: options.language,
    durationSec: options.durationSec,
    utterances,
    words: utterances.flatMap((u) => u.words),
  };
}
