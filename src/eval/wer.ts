/**
 * Word error rate with a full Levenshtein word alignment, for benchmarks and accuracy tests.
 *
 * Time is O(n·m). Memory is two cost rows plus a one-byte-per-cell backtrace (n·m bytes), so a
 * 10-minute file (~1,700 × 1,700 words) needs ~3 MB; alignments over MAX_ALIGNMENT_CELLS are refused
 * rather than silently eating gigabytes. Pass `{ alignment: false }` to get the counts of any size in
 * O(m) memory (each cell carries its own sub/del/ins counts instead of a backtrace).
 */

export type AlignmentOp = {
  op: 'ok' | 'sub' | 'del' | 'ins';
  /** The reference word (ok, sub, del). */
  ref?: string;
  /** The hypothesis word (ok, sub, ins). */
  hyp?: string;
  /** Index of `hyp` in `normaliseForWer(hypothesis)`, to map errors back to timings. */
  hypIndex?: number;
};

export interface WerResult {
  /** (substitutions + deletions + insertions) / referenceWords; 0 when both are empty, Infinity when only the reference is. */
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
  /** In reference order; empty when called with `{ alignment: false }`. */
  alignment: AlignmentOp[];
}

export interface WerOptions {
  /** Build the word-by-word alignment (default true). False: counts only, O(m) memory, no size limit. */
  alignment?: boolean;
}

/** 200M cells = 200 MB of backtrace: more than any single benchmark file here needs (2 h ≈ 20k words is too big). */
export const MAX_ALIGNMENT_CELLS = 200_000_000;

// Backtrace codes, one byte per cell.
const OK = 0;
const SUB = 1;
const DEL = 2;
const INS = 3;

/**
 * Lowercases, turns everything but letters, digits and apostrophes into spaces, then drops the
 * apostrophes ("Don't" → "dont") and splits on whitespace. Pocketsphinx markup is removed first so it
 * never counts as words: `<s>`, `</s>`, `<sil>`, fillers such as `[noise]`, and alternate-pronunciation
 * suffixes such as `and(2)`.
 */
export function normaliseForWer(text: string): string[] {
  const cleaned = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/<\/?[a-z_]+>/g, ' ')
    .replace(/\[[^\]\s]*\]/g, ' ')
    .replace(/(?<=[\p{L}\p{N}'])\(\d+\)/gu, '')
    .replace(/[^\p{L}\p{N}'’\s]+/gu, ' ')
    .replace(/['’]/g, '');
  return cleaned.split(/\s+/).filter((word) => word.length > 0);
}

export function wordErrorRate(reference: string, hypothesis: string, options: WerOptions = {}): WerResult {
  const ref = normaliseForWer(reference);
  const hyp = normaliseForWer(hypothesis);
  const counts = options.alignment === false ? countOnly(ref, hyp) : align(ref, hyp);
  const errors = counts.substitutions + counts.deletions + counts.insertions;
  const wer = ref.length === 0 ? (errors === 0 ? 0 : Infinity) : errors / ref.length;
  return { wer, ...counts, referenceWords: ref.length, alignment: counts.alignment ?? [] };
}

type Counts = { substitutions: number; deletions: number; insertions: number; alignment?: AlignmentOp[] };

/** Interns words as integers so the inner loop compares numbers, not strings. */
function toIds(ref: string[], hyp: string[]): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const idOf = (word: string): number => {
    let id = ids.get(word);
    if (id === undefined) ids.set(word, (id = ids.size));
    return id;
  };
  return [Int32Array.from(ref, idOf), Int32Array.from(hyp, idOf)];
}

function align(ref: string[], hyp: string[]): Counts {
  const n = ref.length;
  const m = hyp.length;
  if (n * m > MAX_ALIGNMENT_CELLS) {
    throw new RangeError(
      `wordErrorRate: aligning ${n} reference × ${m} hypothesis words needs ${n * m} cells, over the ` +
        `limit of ${MAX_ALIGNMENT_CELLS}; score shorter pieces or pass { alignment: false } for counts only`,
    );
  }
  const [r, h] = toIds(ref, hyp);
  // back[(i-1)*m + (j-1)] is the last step on a cheapest path to cell (i, j); row 0 and column 0 are implicit.
  const back = new Uint8Array(n * m);
  let prev = new Uint32Array(m + 1);
  let curr = new Uint32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    curr[0] = i;
    const refId = r[i - 1]!;
    const rowBase = (i - 1) * m;
    for (let j = 1; j <= m; j++) {
      const same = refId === h[j - 1]!;
      // Ties prefer the diagonal, then deletion, then insertion: a stable, conventional alignment.
      let cost = prev[j - 1]! + (same ? 0 : 1);
      let step = same ? OK : SUB;
      const del = prev[j]! + 1;
      if (del < cost) (cost = del), (step = DEL);
      const ins = curr[j - 1]! + 1;
      if (ins < cost) (cost = ins), (step = INS);
      curr[j] = cost;
      back[rowBase + j - 1] = step;
    }
    [prev, curr] = [curr, prev];
  }

  const ops: AlignmentOp[] = [];
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const step = i === 0 ? INS : j === 0 ? DEL : back[(i - 1) * m + (j - 1)]!;
    if (step === OK || step === SUB) {
      if (step === SUB) substitutions++;
      ops.push({ op: step === OK ? 'ok' : 'sub', ref: ref[i - 1]!, hyp: hyp[j - 1]!, hypIndex: j - 1 });
      i--, j--;
    } else if (step === DEL) {
      deletions++;
      ops.push({ op: 'del', ref: ref[i - 1]! });
      i--;
    } else {
      insertions++;
      ops.push({ op: 'ins', hyp: hyp[j - 1]!, hypIndex: j - 1 });
      j--;
    }
  }
  ops.reverse();
  return { substitutions, deletions, insertions, alignment: ops };
}

/** Same recurrence and tie-breaking as `align`, carrying each cell's (sub, del, ins) counts instead of a backtrace. */
function countOnly(ref: string[], hyp: string[]): Counts {
  const n = ref.length;
  const m = hyp.length;
  const [r, h] = toIds(ref, hyp);
  const row = () => ({ cost: new Uint32Array(m + 1), sub: new Uint32Array(m + 1), del: new Uint32Array(m + 1), ins: new Uint32Array(m + 1) });
  let prev = row();
  let curr = row();
  for (let j = 0; j <= m; j++) (prev.cost[j] = j), (prev.ins[j] = j);
  for (let i = 1; i <= n; i++) {
    curr.cost[0] = i;
    curr.sub[0] = 0;
    curr.del[0] = i;
    curr.ins[0] = 0;
    const refId = r[i - 1]!;
    for (let j = 1; j <= m; j++) {
      const same = refId === h[j - 1]!;
      let cost = prev.cost[j - 1]! + (same ? 0 : 1);
      let from = prev;
      let at = j - 1;
      let step = same ? OK : SUB;
      const del = prev.cost[j]! + 1;
      if (del < cost) (cost = del), (from = prev), (at = j), (step = DEL);
      const ins = curr.cost[j - 1]! + 1;
      if (ins < cost) (cost = ins), (from = curr), (at = j - 1), (step = INS);
      curr.cost[j] = cost;
      curr.sub[j] = from.sub[at]! + (step === SUB ? 1 : 0);
      curr.del[j] = from.del[at]! + (step === DEL ? 1 : 0);
      curr.ins[j] = from.ins[at]! + (step === INS ? 1 : 0);
    }
    [prev, curr] = [curr, prev];
  }
  return { substitutions: prev.sub[m]!, deletions: prev.del[m]!, insertions: prev.ins[m]! };
}
