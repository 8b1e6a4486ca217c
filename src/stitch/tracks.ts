/**
 * Merging tracks: transcripts of the same recording heard separately (one per channel of a stereo
 * call, one speaker each) become one transcript, by time. A pure function: each utterance and word
 * gets its track's speaker; utterances are ordered by start (a tie keeps track order), so that
 * overlapping speech interleaves as it was spoken.
 */
import type { Transcript, Utterance } from '../transcript.js';

export interface Track {
  speaker: string;
  transcript: Transcript;
}

export function mergeTracks(tracks: readonly Track[]): Transcript {
  const labelled: { utterance: Utterance; track: number }[] = [];
  tracks.forEach(({ speaker, transcript }, track) => {
    for (const u of transcript.utterances) {
      labelled.push({ utterance: { ...u, speaker, words: u.words.map((w) => ({ ...w, speaker })) }, track });
    }
  });
  labelled.sort((a, b) => a.utterance.startSec - b.utterance.startSec || a.track - b.track);
  const utterances = labelled.map((l) => l.utterance);
  const words = utterances.flatMap((u) => u.words).sort((a, b) => a.startSec - b.startSec);
  // The language most of the speech is in (by words), else the first track's.
  const counts = new Map<string, number>();
  for (const { transcript } of tracks) counts.set(transcript.language, (counts.get(transcript.language) ?? 0) + transcript.words.length);
  const language = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? tracks[0]?.transcript.language ?? 'und';
  return {
    text: utterances.map((u) => u.text.trim()).filter(Boolean).join(' '),
    language,
    durationSec: Math.max(0, ...tracks.map((t) => t.transcript.durationSec)),
    utterances,
    words,
  };
}
