/**
 * The transcript model shared by backends, the stitcher, the store and the output formats.
 * Every time is in seconds; backend results are relative to their segment, stitched ones absolute.
 */

export interface Word {
  word: string;
  startSec: number;
  endSec: number;
  /** 0..1 where the engine reports one (pocketsphinx posterior, whisper probability). */
  confidence?: number;
  /** Who said it (`SPEAKER_1`…), where the input or the backend tells (docs/speakers.md). */
  speaker?: string;
}

export interface Utterance {
  startSec: number;
  endSec: number;
  text: string;
  words: Word[];
  /** Per-utterance quality signals where a backend reports them (whisper: avg_logprob etc.). */
  signals?: Record<string, number>;
  /** Who said it (`SPEAKER_1`…), where the input or the backend tells; its words carry the same. */
  speaker?: string;
}

/** What one backend returns for one segment (times relative to the segment start). */
export interface SegmentTranscript {
  text: string;
  language?: string;
  utterances: Utterance[];
}

/** A finished, stitched transcript (absolute times). */
export interface Transcript {
  text: string;
  language: string;
  durationSec: number;
  utterances: Utterance[];
  words: Word[];
}

export function joinWords(words: readonly Word[]): string {
  return words.map((w) => w.word).join(' ');
}

/** Applies `toTime` to every utterance and word time (e.g. segment-relative → absolute). */
export function mapUtteranceTimes(utterances: readonly Utterance[], toTime: (sec: number) => number): Utterance[] {
  return utterances.map((u) => ({
    ...u,
    startSec: toTime(u.startSec),
    endSec: toTime(u.endSec),
    words: u.words.map((w) => ({ ...w, startSec: toTime(w.startSec), endSec: toTime(w.endSec) })),
  }));
}

/** Only the transcript fields of a backend result (drops compute time, warnings and the like). */
export function toSegmentTranscript(result: SegmentTranscript): SegmentTranscript {
  return { text: result.text, utterances: result.utterances, ...(result.language ? { language: result.language } : {}) };
}
