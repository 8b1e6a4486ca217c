/**
 * Speaker labels across segments. A diarizing backend labels the speakers of each request on its own
 * ("A", "B"… in every segment), so the same letter in two segments need not be the same person.
 * Where two adjacent segments overlap (a hard cut: both heard the same stretch of speech), a label of
 * the later one is linked to the earlier one's label it overlaps most in time there (one to one, at
 * least 0.2 s). Every label without such evidence is a new speaker: a cut at a pause, where the two
 * segments share no audio, starts new labels. A pure function; ids become SPEAKER_1… in order of
 * first appearance. Parts without speaker labels pass through unchanged.
 */
import { speakerId } from '../outputs/speakers.js';
import type { StitchPart } from './stitcher.js';

const MIN_LINK_SEC = 0.2;

/** The parts in start order, relabelled. */
export function linkSpeakers(parts: readonly StitchPart[]): StitchPart[] {
  const sorted = [...parts].sort((a, b) => a.startSec - b.startSec);
  if (!parts.some((p) => p.transcript.utterances.some((u) => u.speaker !== undefined))) return sorted;
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(key, root);
    return root;
  };
  const keyOf = (part: number, label: string) => `${part}\u0000${label}`;

  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    const zoneStart = cur.startSec;
    const zoneEnd = prev.endSec;
    if (!(zoneEnd > zoneStart)) continue;
    const weights = new Map<string, { a: string; b: string; sec: number }>();
    for (const u of prev.transcript.utterances) {
      if (u.speaker === undefined) continue;
      for (const v of cur.transcript.utterances) {
        if (v.speaker === undefined) continue;
        const from = Math.max(zoneStart, prev.startSec + u.startSec, cur.startSec + v.startSec);
        const to = Math.min(zoneEnd, prev.startSec + u.endSec, cur.startSec + v.endSec);
        if (to <= from) continue;
        const pair = `${u.speaker}\u0000${v.speaker}`;
        const entry = weights.get(pair) ?? { a: u.speaker, b: v.speaker, sec: 0 };
        entry.sec += to - from;
        weights.set(pair, entry);
      }
    }
    const linkedA = new Set<string>();
    const linkedB = new Set<string>();
    for (const { a, b, sec } of [...weights.values()].sort((x, y) => y.sec - x.sec)) {
      if (sec < MIN_LINK_SEC || linkedA.has(a) || linkedB.has(b)) continue;
      linkedA.add(a);
      linkedB.add(b);
      parent.set(find(keyOf(i, b)), find(keyOf(i - 1, a)));
    }
  }

  const ids = new Map<string, string>();
  return sorted.map((part, i) => {
    const relabel = (label: string | undefined): string | undefined => {
      if (label === undefined) return undefined;
      const root = find(keyOf(i, label));
      if (!ids.has(root)) ids.set(root, speakerId(ids.size + 1));
      return ids.get(root)!;
    };
    const utterances = part.transcript.utterances.map((u) => {
      const speaker = relabel(u.speaker);
      if (speaker === undefined) return u;
      return { ...u, speaker, words: u.words.map((w) => ({ ...w, speaker })) };
    });
    return { ...part, transcript: { ...part.transcript, utterances } };
  });
}
