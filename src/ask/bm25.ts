/**
 * BM25 (Okapi; k1 = 1.2, b = 0.75, Lucene's always-positive idf) over passage texts: which parts of a
 * transcript a question is about, when the whole does not fit the model's window. Terms are
 * lower-cased letter/digit runs without common English function words; a plural 's' is dropped so
 * "budgets" finds "budget". Nothing smarter: speech transcripts are noisy, and the model reads what
 * is retrieved.
 */

const STOPWORDS = new Set(
  'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its me my no not of on or our she so that the their them then there these they this those to was we were what when where which who whom why will with would you your about did said say says tell told'.split(' '),
);

export function terms(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu)) {
    let term = match[0].replace(/'s$/, '');
    if (STOPWORDS.has(term)) continue;
    if (term.length > 3 && term.endsWith('s') && !term.endsWith('ss')) term = term.slice(0, -1);
    out.push(term);
  }
  return out;
}

export interface Bm25Options {
  k1?: number;
  b?: number;
}

/** One score per document (0 where no query term occurs). */
export function bm25Scores(query: string, documents: readonly string[], options: Bm25Options = {}): number[] {
  const k1 = options.k1 ?? 1.2;
  const b = options.b ?? 0.75;
  const queryTerms = [...new Set(terms(query))];
  const docs = documents.map((d) => terms(d));
  const n = docs.length;
  if (n === 0 || queryTerms.length === 0) return docs.map(() => 0);
  const avgLength = docs.reduce((sum, d) => sum + d.length, 0) / n || 1;
  const df = new Map<string, number>();
  const tf = docs.map((d) => {
    const counts = new Map<string, number>();
    for (const t of d) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const t of queryTerms) if (counts.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
    return counts;
  });
  return tf.map((counts, i) => {
    let score = 0;
    for (const t of queryTerms) {
      const f = counts.get(t) ?? 0;
      if (f === 0) continue;
      const d = df.get(t) ?? 0;
      const idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
      score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * docs[i]!.length) / avgLength));
    }
    return score;
  });
}
