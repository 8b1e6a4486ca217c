import type { Utterance } from '../transcript.js';
import { toWholeMs } from './time.js';

export interface Paragraph {
  /** Start of the paragraph's first utterance. */
  startSec: number;
  /** End of its last utterance (what a citation of the paragraph may point into). */
  endSec: number;
  text: string;
  /** The speaker of every utterance in it, when the transcript has speakers (a change of speaker starts a paragraph). */
  speaker?: string;
}

export interface ParagraphRules {
  /** A silence at least this long between utterances starts a new paragraph. */
  minGapSec: number;
  /** Start a new paragraph once the current one spans this much audio (at the next utterance boundary). */
  maxSpanSec?: number;
}

/** A pause of 2 s usually marks a change of topic or speaker turn; shorter ones are breaths. */
export const PARAGRAPH_GAP_SEC = 2;

/**
 * Groups utterances into paragraphs; a new speaker starts a new one (a turn). Comparisons run on whole milliseconds so float noise
 * (5.1 - 3.1 = 1.9999…) cannot decide a break. Utterances without text are skipped.
 */
export function groupParagraphs(utterances: readonly Utterance[], rules: ParagraphRules): Paragraph[] {
  const minGapMs = toWholeMs(rules.minGapSec);
  const maxSpanMs = rules.maxSpanSec === undefined ? Infinity : toWholeMs(rules.maxSpanSec);
  const paragraphs: { startSec: number; endSec: number; texts: string[]; speaker: string | undefined }[] = [];
  let current: (typeof paragraphs)[number] | undefined;
  let previousEndSec = 0;

  for (const utterance of utterances) {
    const text = utterance.text.trim();
    if (text === '') continue;
    const gapMs = toWholeMs(utterance.startSec - previousEndSec);
    const spanMs = current ? toWholeMs(utterance.startSec - current.startSec) : 0;
    if (!current || gapMs >= minGapMs || spanMs >= maxSpanMs || utterance.speaker !== current.speaker) {
      current = { startSec: utterance.startSec, endSec: utterance.endSec, texts: [], speaker: utterance.speaker };
      paragraphs.push(current);
    }
    current.texts.push(text);
    current.endSec = Math.max(current.endSec, utterance.endSec);
    previousEndSec = Math.max(previousEndSec, utterance.endSec);
  }
  return paragraphs.map((p) => ({ startSec: p.startSec, endSec: p.endSec, text: p.texts.join(' '), ...(p.speaker !== undefined ? { speaker: p.speaker } : {}) }));
}
