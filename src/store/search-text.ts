/**
 * Transcript search, the text side: one tokeniser for what is indexed, what is asked and what is
 * marked in a snippet, so that SQLite (FTS5) and PostgreSQL (tsvector) index exactly the same terms.
 *
 * Neither engine tokenises anything itself: parascribe turns a segment's text into terms here and
 * hands them over ready-made (FTS5's `ascii` tokenizer only splits the space-separated terms; on
 * PostgreSQL they become a tsvector literal with their positions, no text search configuration
 * involved). A query becomes an FTS5 MATCH string of quoted terms and a tsquery literal of quoted
 * lexemes, so user input can never be read as either engine's query syntax.
 *
 * A term: a run of letters, digits and combining marks (apostrophes inside a word are dropped, so
 * "budget's" is "budgets"), lower-cased, Latin diacritics removed ("naïve" → "naive"), then, if it is
 * plain a–z, reduced by the Porter stemmer ("budgets", "budgeting", "budgeted" → "budget"). No stop
 * words: "the" is searchable.
 */
import { ParascribeError } from '../errors.js';

/** What a word of the text is (its span in the original text) and the term(s) it indexes as. */
export interface Token {
  term: string;
  /** The span in the original text of the word this term came from (several terms may share one). */
  start: number;
  end: number;
}

/** A word (letters, digits, marks; apostrophes inside it) as written in the text. */
const WORD = /[\p{L}\p{N}\p{M}]+(?:['’ʼ][\p{L}\p{N}\p{M}]+)*/gu;
const APOSTROPHES = /['’ʼ]/g;
const COMBINING_DIACRITICS = /[\u0300-\u036f]/g;
const NOT_TERM_CHAR = /[^\p{L}\p{N}\p{M}]+/u;
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Longer "words" (a script written without spaces, a run of digits) are not indexed, on either store. */
export const MAX_TERM_CHARS = 64;
/** PostgreSQL keeps positions up to 16383; the rest of a (very long) segment is not indexed on either store. */
export const MAX_TERMS_PER_SEGMENT = 16_383;
/** A query longer than this is refused (INVALID_ARGUMENT). */
export const MAX_QUERY_CHARS = 500;
/** Terms in one query, phrases counted by their words. */
export const MAX_QUERY_TERMS = 32;

/** The terms one word of text indexes as (usually one; none for a word of marks only). */
export function termsOfWord(word: string): string[] {
  const folded = word.normalize('NFKD').replace(COMBINING_DIACRITICS, '').toLowerCase().replace(APOSTROPHES, '').normalize('NFC');
  const terms: string[] = [];
  for (const part of folded.split(NOT_TERM_CHAR)) {
    if (part.length === 0 || part.length > MAX_TERM_CHARS || !HAS_LETTER_OR_DIGIT.test(part)) continue;
    terms.push(/^[a-z]+$/.test(part) ? porterStem(part) : part);
  }
  return terms;
}

/** Every term of a text, in order, each with the span of the word it came from. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    for (const term of termsOfWord(match[0])) tokens.push({ term, start: match.index, end: match.index + match[0].length });
  }
  return tokens;
}

/** The indexed form of a segment's text: its terms (at most MAX_TERMS_PER_SEGMENT), space-separated. */
export function indexTerms(text: string): string[] {
  return tokenize(text)
    .slice(0, MAX_TERMS_PER_SEGMENT)
    .map((t) => t.term);
}

/** A stored segment result's text (`result_json`), or undefined when it has none. */
export function textOfResult(resultJson: string | null | undefined): string | undefined {
  if (!resultJson) return undefined;
  try {
    const text = (JSON.parse(resultJson) as { text?: unknown }).text;
    return typeof text === 'string' && text.trim() !== '' ? text : undefined;
  } catch {
    return undefined;
  }
}

/** A PostgreSQL tsvector literal of these terms at positions 1, 2, … (no parser, no configuration). */
export function tsvectorLiteral(terms: readonly string[]): string {
  const positions = new Map<string, number[]>();
  terms.forEach((term, i) => {
    const list = positions.get(term);
    if (list) list.push(i + 1);
    else positions.set(term, [i + 1]);
  });
  return [...positions].map(([term, at]) => `${quoteLexeme(term)}:${at.join(',')}`).join(' ');
}

const quoteLexeme = (term: string): string => `'${term.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** One thing a query asks for: a term, or a phrase (terms in this order, next to each other). */
export type QueryItem = readonly string[];

export interface SearchQuery {
  /** Every item must match (AND); an item of one term is a term, of several a phrase. */
  items: QueryItem[];
}

/**
 * Plain words (all of them must occur) and "quoted phrases" (these words in this order). Nothing else
 * is syntax: `OR`, `-`, `*`, `:`, parentheses are punctuation or plain words. A query with no word in
 * it is INVALID_ARGUMENT.
 */
export function parseSearchQuery(raw: string): SearchQuery {
  const q = raw.trim();
  if (q.length === 0) throw new ParascribeError('INVALID_ARGUMENT', 'the search query is empty: give one or more words, or a "quoted phrase"');
  if (q.length > MAX_QUERY_CHARS) throw new ParascribeError('INVALID_ARGUMENT', `the search query is ${q.length} characters long; at most ${MAX_QUERY_CHARS}`);
  const items: QueryItem[] = [];
  const seen = new Set<string>();
  const add = (item: QueryItem) => {
    const key = item.join(' ');
    if (item.length > 0 && !seen.has(key)) {
      seen.add(key);
      items.push(item);
    }
  };
  // Straight or curly double quotes; an unclosed quote runs to the end.
  const parts = q.split(/["“”„]/);
  parts.forEach((part, i) => {
    const terms = tokenize(part).map((t) => t.term);
    if (i % 2 === 1) add(terms);
    else for (const term of terms) add([term]);
  });
  if (items.length === 0) throw new ParascribeError('INVALID_ARGUMENT', `the search query ${JSON.stringify(q)} has no words to search for (letters or digits)`);
  const count = items.reduce((n, item) => n + item.length, 0);
  if (count > MAX_QUERY_TERMS) throw new ParascribeError('INVALID_ARGUMENT', `the search query has ${count} words; at most ${MAX_QUERY_TERMS}`);
  return { items };
}

/** The query as an FTS5 MATCH expression: each item a quoted string, all of them required. */
export function fts5Match(query: SearchQuery): string {
  return query.items.map((item) => `"${item.join(' ').replace(/"/g, '""')}"`).join(' AND ');
}

/** The query as a PostgreSQL tsquery literal: quoted lexemes, `<->` inside a phrase, `&` between items. */
export function tsqueryLiteral(query: SearchQuery): string {
  return query.items.map((item) => (item.length === 1 ? quoteLexeme(item[0]!) : `(${item.map(quoteLexeme).join(' <-> ')})`)).join(' & ');
}

/** Words of context a snippet shows. */
export const SNIPPET_WORDS = 24;
export const MARK_OPEN = '«';
export const MARK_CLOSE = '»';

/**
 * A short passage of `text` around its best match, the matched words marked «like this», "…" where
 * the text goes on. Computed here for both stores, so the snippets are identical. The window of
 * SNIPPET_WORDS terms shows as many of the query's items as it can, then as many matched words,
 * then the earliest.
 */
export function makeSnippet(text: string, query: SearchQuery, words = SNIPPET_WORDS): string {
  const tokens = tokenize(text);
  const n = tokens.length;
  if (n === 0) return collapse(text).slice(0, 200);
  const matched = new Uint8Array(n);
  const hits: Array<{ at: number; length: number; item: number }> = [];
  query.items.forEach((item, k) => {
    for (let i = 0; i + item.length <= n; i++) {
      if (item.every((term, j) => tokens[i + j]!.term === term)) {
        hits.push({ at: i, length: item.length, item: k });
        matched.fill(1, i, i + item.length);
      }
    }
  });
  const width = Math.min(words, n);
  let best = { start: 0, items: -1, marked: -1 };
  const context = Math.floor(width / 4);
  for (const hit of hits) {
    const start = Math.max(0, Math.min(hit.at - context, n - width));
    const inside = hits.filter((h) => h.at >= start && h.at + h.length <= start + width);
    const items = new Set(inside.map((h) => h.item)).size;
    let marked = 0;
    for (let i = start; i < start + width; i++) marked += matched[i]!;
    if (items > best.items || (items === best.items && (marked > best.marked || (marked === best.marked && start < best.start)))) best = { start, items, marked };
  }
  const end = best.start + width;
  // The whole text's leading and trailing punctuation (a quote, the last full stop) when the window reaches it.
  let out = best.start > 0 ? '…' : collapse(text.slice(0, tokens[0]!.start)).trimStart();
  let previousEnd = -1;
  for (let i = best.start; i < end; ) {
    // A word that gave several terms is shown once, marked if any of them matched.
    const { start, end: wordEnd } = tokens[i]!;
    let wordMatched = false;
    for (; i < end && tokens[i]!.start === start; i++) wordMatched ||= matched[i] === 1;
    if (previousEnd >= 0) out += collapse(text.slice(previousEnd, start));
    const word = text.slice(start, wordEnd);
    out += wordMatched ? `${MARK_OPEN}${word}${MARK_CLOSE}` : word;
    previousEnd = wordEnd;
  }
  return end < n ? `${out}…` : `${out}${collapse(text.slice(previousEnd)).trimEnd()}`;
}

const collapse = (s: string): string => s.replace(/\s+/g, ' ');

// ---------------------------------------------------------------------------------------------------
// The Porter stemmer (M.F. Porter, "An algorithm for suffix stripping", 1980), as in Porter's own
// reference implementations (including their two departures: -bli → -ble, -logi → -log).

const STEP2: Record<string, string> = {
  ational: 'ate', tional: 'tion', enci: 'ence', anci: 'ance', izer: 'ize', bli: 'ble', alli: 'al', entli: 'ent', eli: 'e', ousli: 'ous',
  ization: 'ize', ation: 'ate', ator: 'ate', alism: 'al', iveness: 'ive', fulness: 'ful', ousness: 'ous', aliti: 'al', iviti: 'ive', biliti: 'ble', logi: 'log',
};
const STEP3: Record<string, string> = { icate: 'ic', ative: '', alize: 'al', iciti: 'ic', ical: 'ic', ful: '', ness: '' };

const c = '[^aeiou]';
const v = '[aeiouy]';
const C = `${c}[^aeiouy]*`;
const V = `${v}[aeiou]*`;
const M_GT_0 = new RegExp(`^(${C})?${V}${C}`);
const M_EQ_1 = new RegExp(`^(${C})?${V}${C}(${V})?$`);
const M_GT_1 = new RegExp(`^(${C})?${V}${C}${V}${C}`);
const HAS_VOWEL = new RegExp(`^(${C})?${v}`);
const CVC = new RegExp(`^${C}${v}[^aeiouwxy]$`);

/** The Porter stem of a lower-case a–z word (shorter than 3 letters: unchanged). */
export function porterStem(word: string): string {
  if (word.length < 3) return word;
  let w = word;
  const initialY = w[0] === 'y';
  if (initialY) w = `Y${w.slice(1)}`;
  let m: RegExpExecArray | null;

  // Step 1a
  if ((m = /^(.+?)(ss|i)es$/.exec(w))) w = m[1]! + m[2]!;
  else if ((m = /^(.+?)([^s])s$/.exec(w))) w = m[1]! + m[2]!;

  // Step 1b
  if ((m = /^(.+?)eed$/.exec(w))) {
    if (M_GT_0.test(m[1]!)) w = w.slice(0, -1);
  } else if ((m = /^(.+?)(ed|ing)$/.exec(w))) {
    const stem = m[1]!;
    if (HAS_VOWEL.test(stem)) {
      w = stem;
      if (/(at|bl|iz)$/.test(w)) w += 'e';
      else if (/([^aeiouylsz])\1$/.test(w)) w = w.slice(0, -1);
      else if (CVC.test(w)) w += 'e';
    }
  }

  // Step 1c
  if ((m = /^(.+?)y$/.exec(w)) && HAS_VOWEL.test(m[1]!)) w = `${m[1]!}i`;

  // Step 2
  if ((m = /^(.+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$/.exec(w))) {
    if (M_GT_0.test(m[1]!)) w = m[1]! + STEP2[m[2]!]!;
  }

  // Step 3
  if ((m = /^(.+?)(icate|ative|alize|iciti|ical|ful|ness)$/.exec(w))) {
    if (M_GT_0.test(m[1]!)) w = m[1]! + STEP3[m[2]!]!;
  }

  // Step 4
  if ((m = /^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$/.exec(w))) {
    if (M_GT_1.test(m[1]!)) w = m[1]!;
  } else if ((m = /^(.+?)(s|t)(ion)$/.exec(w))) {
    const stem = m[1]! + m[2]!;
    if (M_GT_1.test(stem)) w = stem;
  }

  // Step 5
  if ((m = /^(.+?)e$/.exec(w))) {
    const stem = m[1]!;
    if (M_GT_1.test(stem) || (M_EQ_1.test(stem) && !CVC.test(stem))) w = stem;
  }
  if (/ll$/.test(w) && M_GT_1.test(w)) w = w.slice(0, -1);

  return initialY ? `y${w.slice(1)}` : w;
}
