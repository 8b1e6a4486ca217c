/** Builders for transcript fixtures in unit tests. */
import type { Utterance, Word } from '../../src/transcript.js';

export function utterance(startSec: number, endSec: number, text: string, words: Word[] = []): Utterance {
  return { startSec, endSec, text, words };
}

/** Evenly spaced words over [startSec, endSec), each lasting 90% of its slot. */
export function wordsOver(startSec: number, endSec: number, texts: string[]): Word[] {
  const slotSec = (endSec - startSec) / texts.length;
  return texts.map((word, i) => ({
    word,
    startSec: startSec + i * slotSec,
    endSec: startSec + i * slotSec + 0.9 * slotSec,
  }));
}
