/** JSON formats: our own schema (`json`) and OpenAI's `verbose_json` shape. */
import type { JobTelemetry } from '../telemetry/summary.js';
import type { Transcript, Utterance, Word } from '../transcript.js';
import type { OutputDocument } from './document.js';
import { languageName } from './languages.js';
import { roundToMs } from './time.js';

export const TRANSCRIPT_SCHEMA = 'parascribe.transcript/v1';

export interface JsonWord {
  word: string;
  startSec: number;
  endSec: number;
  confidence?: number;
  /** Only when the transcript has speakers (docs/speakers.md). */
  speaker?: string;
}

export interface JsonUtterance {
  startSec: number;
  endSec: number;
  text: string;
  words: JsonWord[];
  /** Backend quality signals (e.g. whisper avg_logprob), only when the backend reported some. */
  signals?: Record<string, number>;
  /** `SPEAKER_1`…, only when the transcript has speakers. */
  speaker?: string;
}

export interface JsonTranscript {
  schema: typeof TRANSCRIPT_SCHEMA;
  job: OutputDocument['job'];
  language: string;
  durationSec: number;
  text: string;
  utterances: JsonUtterance[];
  words: JsonWord[];
  /** null (not absent) when the job has none, so consumers can rely on the key. */
  telemetry: JobTelemetry | null;
}

function jsonWord(w: Word): JsonWord {
  const word: JsonWord = { word: w.word, startSec: roundToMs(w.startSec), endSec: roundToMs(w.endSec) };
  if (w.confidence !== undefined) word.confidence = w.confidence;
  if (w.speaker !== undefined) word.speaker = w.speaker;
  return word;
}

function jsonUtterance(u: Utterance): JsonUtterance {
  const utterance: JsonUtterance = {
    startSec: roundToMs(u.startSec),
    endSec: roundToMs(u.endSec),
    text: u.text,
    words: u.words.map(jsonWord),
  };
  if (u.signals !== undefined && Object.keys(u.signals).length > 0) utterance.signals = { ...u.signals };
  if (u.speaker !== undefined) utterance.speaker = u.speaker;
  return utterance;
}

export function toJsonTranscript(doc: OutputDocument): JsonTranscript {
  const { transcript } = doc;
  return {
    schema: TRANSCRIPT_SCHEMA,
    job: { ...doc.job },
    language: transcript.language,
    durationSec: roundToMs(transcript.durationSec),
    text: transcript.text,
    utterances: transcript.utterances.map(jsonUtterance),
    words: transcript.words.map(jsonWord),
    telemetry: doc.telemetry ?? null,
  };
}

export function renderJson(doc: OutputDocument): string {
  return `${JSON.stringify(toJsonTranscript(doc), null, 2)}\n`;
}

/** OpenAI's `verbose_json` transcription response, key for key. */
export interface VerboseJson {
  task: 'transcribe';
  language: string;
  duration: number;
  text: string;
  segments: VerboseSegment[];
  words: { word: string; start: number; end: number; speaker?: string }[];
}

export interface VerboseSegment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
  /** Not in OpenAI's verbose_json; present when the transcript has speakers (as in its diarized_json). */
  speaker?: string;
}

/** A backend signal when it reported a usable number, else OpenAI's neutral value. */
function signal(u: Utterance, name: string, fallback: number): number {
  const value = u.signals?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** OpenAI's segments are phrases of up to ~30 s; engines that give one utterance per minute are split to match. */
const VERBOSE_MAX_SEC = 30;
const VERBOSE_PAUSE_SEC = 0.6;

/** Splits an utterance at pauses between words (and before it grows past 30 s); text is rebuilt from the words. */
export function phrases(u: Utterance): Utterance[] {
  if (u.words.length < 2 || (u.endSec - u.startSec <= VERBOSE_MAX_SEC && !u.words.some((w, i) => i > 0 && w.startSec - u.words[i - 1]!.endSec >= VERBOSE_PAUSE_SEC))) return [u];
  const groups: Word[][] = [[u.words[0]!]];
  for (let i = 1; i < u.words.length; i++) {
    const word = u.words[i]!;
    const group = groups.at(-1)!;
    const pause = word.startSec - group.at(-1)!.endSec >= VERBOSE_PAUSE_SEC;
    if (pause || word.endSec - group[0]!.startSec > VERBOSE_MAX_SEC) groups.push([word]);
    else group.push(word);
  }
  return groups.map((words) => ({
    startSec: words[0]!.startSec,
    endSec: words.at(-1)!.endSec,
    text: words.map((w) => w.word).join(' '),
    words,
    ...(u.signals ? { signals: u.signals } : {}),
    ...(u.speaker !== undefined ? { speaker: u.speaker } : {}),
  }));
}

export function toVerboseJson(doc: OutputDocument): VerboseJson {
  const { transcript } = doc;
  const segments = transcript.utterances.flatMap(phrases);
  return {
    task: 'transcribe',
    language: languageName(transcript.language),
    duration: roundToMs(transcript.durationSec),
    text: transcript.text,
    segments: segments.map((u, id) => ({
      id,
      seek: 0,
      start: roundToMs(u.startSec),
      end: roundToMs(u.endSec),
      text: u.text,
      tokens: [],
      temperature: 0,
      avg_logprob: signal(u, 'avg_logprob', 0),
      compression_ratio: signal(u, 'compression_ratio', 1),
      no_speech_prob: signal(u, 'no_speech_prob', 0),
      ...(u.speaker !== undefined ? { speaker: u.speaker } : {}),
    })),
    words: transcript.words.map((w) => ({ word: w.word, start: roundToMs(w.startSec), end: roundToMs(w.endSec), ...(w.speaker !== undefined ? { speaker: w.speaker } : {}) })),
  };
}

export function renderVerboseJson(doc: OutputDocument): string {
  return `${JSON.stringify(toVerboseJson(doc), null, 2)}\n`;
}

/** Back from our `json` format to the transcript model (the service renders other formats from it). */
export function fromJsonTranscript(json: JsonTranscript): { transcript: Transcript; job: OutputDocument['job']; telemetry: JobTelemetry | null } {
  const word = (w: JsonWord): Word => ({
    word: w.word,
    startSec: w.startSec,
    endSec: w.endSec,
    ...(w.confidence !== undefined ? { confidence: w.confidence } : {}),
    ...(w.speaker !== undefined ? { speaker: w.speaker } : {}),
  });
  const utterances: Utterance[] = json.utterances.map((u) => ({
    startSec: u.startSec,
    endSec: u.endSec,
    text: u.text,
    words: u.words.map(word),
    ...(u.signals ? { signals: u.signals } : {}),
    ...(u.speaker !== undefined ? { speaker: u.speaker } : {}),
  }));
  return {
    transcript: { text: json.text, language: json.language, durationSec: json.durationSec, utterances, words: json.words.map(word) },
    job: json.job,
    telemetry: json.telemetry,
  };
}
