/**
 * Character error rate, on the same normalisation as WER (wer.ts `normaliseForWer`): the normalised
 * words joined by single spaces, so case, punctuation and pocketsphinx markup never count, and a
 * space between words is a character like any other. Levenshtein distance over code points in two
 * rows of memory (O(n·m) time, O(m) memory, no size limit: a 2-hour file, ~110k characters a side,
 * takes seconds).
 */
import { normaliseForWer } from './wer.js';

export interface CerResult {
  /** editDistance / referenceChars; 0 when both are empty, Infinity when only the reference is. */
  cer: number;
  editDistance: number;
  referenceChars: number;
}

/** The characters CER compares: the normalised words joined by single spaces. */
export function normaliseForCer(text: string): string {
  return normaliseForWer(text).join(' ');
}

export function editDistance(a: readonly number[] | Int32Array, b: readonly number[] | Int32Array): number {
  const m = b.length;
  let prev = new Uint32Array(m + 1);
  let curr = new Uint32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    const ai = a[i - 1]!;
    for (let j = 1; j <= m; j++) {
      const substitute = prev[j - 1]! + (ai === b[j - 1]! ? 0 : 1);
      const remove = prev[j]! + 1;
      const insert = curr[j - 1]! + 1;
      curr[j] = substitute < remove ? (substitute < insert ? substitute : insert) : remove < insert ? remove : insert;
    }
    [prev, curr] = [curr, prev];
  }
  return prev[m]!;
}

const codePoints = (text: string): Int32Array => Int32Array.from(text, (c) => c.codePointAt(0)!);

export function characterErrorRate(reference: string, hypothesis: string): CerResult {
  const ref = codePoints(normaliseForCer(reference));
  const hyp = codePoints(normaliseForCer(hypothesis));
  const distance = editDistance(ref, hyp);
  const cer = ref.length === 0 ? (distance === 0 ? 0 : Infinity) : distance / ref.length;
  return { cer, editDistance: distance, referenceChars: ref.length };
}
