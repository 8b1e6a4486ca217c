/**
 * OpenAI's transcription JSON → our SegmentTranscript. The vendor shapes are declared and parsed
 * here and go no further. verbose_json: segments become utterances (with whisper's quality signals),
 * words go to the utterance whose time range holds their midpoint. json: one utterance over the
 * whole segment, no words.
 */
import { languageName } from '../../outputs/languages.js';
import type { SegmentTranscript, Utterance, Word } from '../../transcript.js';

interface VendorSegment {
  start?: unknown;
  end?: unknown;
  text?: unknown;
  /** diarized_json: the speaker label, consistent within one response only ("A", "B" or a known speaker's name). */
  speaker?: unknown;
  avg_logprob?: unknown;
  compression_ratio?: unknown;
  no_speech_prob?: unknown;
}

interface VendorWord {
  word?: unknown;
  start?: unknown;
  end?: unknown;
  probability?: unknown;
}

interface VendorBody {
  text?: unknown;
  language?: unknown;
  segments?: unknown;
  words?: unknown;
}

export type Mapped =
  | { kind: 'ok'; transcript: SegmentTranscript; words: number }
  /** verbose_json was asked for and a 200 came back without `segments`. */
  | { kind: 'no-segments'; text: string };

const SIGNALS = ['avg_logprob', 'compression_ratio', 'no_speech_prob'] as const;

// languages.ts maps code → name; invert it over the codes whisper's verbose_json commonly names.
const CODES = 'ar ca cs da de el en es fi fr he hi hu id it ja ko nl no pl pt ro ru sv th tr uk vi zh'.split(' ');
const CODE_BY_NAME = new Map(CODES.map((code) => [languageName(code), code]));

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** 'english' → 'en'; a code passes through; anything else → undefined. */
export function languageCode(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const lower = value.trim().toLowerCase();
  if (CODE_BY_NAME.has(lower)) return CODE_BY_NAME.get(lower);
  return /^[a-z]{2,3}(-[a-z0-9]{2,8})?$/.test(lower) ? lower : undefined;
}

function clampTo(durationSec: number) {
  return (t: number) => Math.min(Math.max(0, t), durationSec);
}

function toWords(raw: unknown, clamp: (t: number) => number): Word[] {
  if (!Array.isArray(raw)) return [];
  const words: Word[] = [];
  for (const item of raw as VendorWord[]) {
    const text = typeof item?.word === 'string' ? item.word.trim() : '';
    const start = num(item?.start);
    const end = num(item?.end);
    if (!text || start === undefined || end === undefined) continue;
    const probability = num(item.probability);
    words.push({
      word: text,
      startSec: clamp(start),
      endSec: clamp(Math.max(start, end)),
      ...(probability !== undefined ? { confidence: Math.min(1, Math.max(0, probability)) } : {}),
    });
  }
  return words.sort((a, b) => a.startSec - b.startSec);
}

/** Index of the utterance whose range holds the word's midpoint, else the nearest one. */
function owner(utterances: readonly Utterance[], word: Word): number {
  const mid = (word.startSec + word.endSec) / 2;
  let best = 0;
  let bestDistance = Infinity;
  for (let i = 0; i < utterances.length; i++) {
    const u = utterances[i]!;
    const distance = mid < u.startSec ? u.startSec - mid : mid > u.endSec ? mid - u.endSec : 0;
    if (distance < bestDistance) (best = i), (bestDistance = distance);
    if (distance === 0) break;
  }
  return best;
}

/** The vendor's timed segments as utterances in time order; `extra` adds what one response format carries. */
function toUtterances(
  segments: VendorSegment[],
  clamp: (sec: number) => number,
  extra: (segment: VendorSegment) => Partial<Utterance>,
): Utterance[] {
  const utterances: Utterance[] = [];
  for (const segment of segments) {
    const start = num(segment?.start);
    const end = num(segment?.end);
    const text = typeof segment?.text === 'string' ? segment.text.trim() : '';
    if (start === undefined || end === undefined || !text) continue;
    utterances.push({ startSec: clamp(start), endSec: clamp(Math.max(start, end)), text, words: [], ...extra(segment) });
  }
  return utterances.sort((a, b) => a.startSec - b.startSec);
}

export function mapVerbose(raw: unknown, durationSec: number, fallbackLanguage: string | undefined): Mapped {
  const body = (raw ?? {}) as VendorBody;
  const text = typeof body.text === 'string' ? body.text.trim() : '';
  if (!Array.isArray(body.segments)) return { kind: 'no-segments', text };
  const clamp = clampTo(durationSec);
  const utterances = toUtterances(body.segments as VendorSegment[], clamp, (segment) => {
    const signals: Record<string, number> = {};
    for (const key of SIGNALS) {
      const value = num(segment[key]);
      if (value !== undefined) signals[key] = value;
    }
    return Object.keys(signals).length > 0 ? { signals } : {};
  });
  const words = toWords(body.words, clamp);
  if (utterances.length > 0) for (const word of words) utterances[owner(utterances, word)]!.words.push(word);
  const language = languageCode(body.language) ?? fallbackLanguage;
  return {
    kind: 'ok',
    words: utterances.length > 0 ? words.length : 0,
    transcript: {
      text: text || utterances.map((u) => u.text).join(' '),
      ...(language ? { language } : {}),
      utterances,
    },
  };
}

/**
 * diarized_json (OpenAI's gpt-4o-transcribe-diarize): one utterance per segment, with the response's
 * own speaker label as it came; the job links labels across segments (stitch/speakers.ts). No word times.
 */
export function mapDiarized(raw: unknown, durationSec: number, fallbackLanguage: string | undefined): Mapped {
  const body = (raw ?? {}) as VendorBody;
  const text = typeof body.text === 'string' ? body.text.trim() : '';
  if (!Array.isArray(body.segments)) return { kind: 'no-segments', text };
  const utterances = toUtterances(body.segments as VendorSegment[], clampTo(durationSec), (segment) => {
    const speaker = typeof segment.speaker === 'string' && segment.speaker.trim() !== '' ? segment.speaker.trim() : undefined;
    return speaker ? { speaker } : {};
  });
  const language = languageCode(body.language) ?? fallbackLanguage;
  return { kind: 'ok', words: 0, transcript: { text: text || utterances.map((u) => u.text).join(' '), ...(language ? { language } : {}), utterances } };
}

/** Text only (json, or a verbose answer without segments): one utterance over the whole segment. */
export function mapTextOnly(raw: unknown, durationSec: number, language: string | undefined): SegmentTranscript {
  const body = (raw ?? {}) as VendorBody;
  const text = typeof body.text === 'string' ? body.text.trim() : '';
  const detected = languageCode(body.language) ?? language;
  return {
    text,
    ...(detected ? { language: detected } : {}),
    utterances: text ? [{ startSec: 0, endSec: durationSec, text, words: [] }] : [],
  };
}

/** True when a json body has no text at all (not even an empty string): the body is not a transcription. */
export function lacksText(raw: unknown): boolean {
  return typeof (raw as VendorBody | null)?.text !== 'string';
}
