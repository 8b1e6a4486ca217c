/**
 * Parses `pocketsphinx_continuous -time yes` output: for each utterance a hypothesis line, then one
 * `word start end posterior` line per token. Tokens like <s>, </s>, <sil>, [NOISE] and ++FILLER++ are
 * not words; alternate pronunciations (`and(2)`) are the plain word.
 */
import type { Utterance, Word } from '../../transcript.js';

const WORD_LINE = /^(\S+)\s+(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/i;

export function isFillerToken(token: string): boolean {
  return token.startsWith('<') || token.startsWith('[') || token.startsWith('+');
}

export function parsePocketsphinxOutput(stdout: string): Utterance[] {
  const utterances: Utterance[] = [];
  let words: Word[] | undefined;
  const flush = () => {
    if (words && words.length > 0) {
      utterances.push({
        startSec: words[0]!.startSec,
        endSec: words.at(-1)!.endSec,
        text: words.map((w) => w.word).join(' '),
        words,
      });
    }
  };
  for (const rawLine of stdout.split('\n')) {
    const line = rawLine.trim();
    const match = WORD_LINE.exec(line);
    if (!match) {
      // A hypothesis line (possibly empty) opens the next utterance.
      flush();
      words = [];
      continue;
    }
    const [, token, start, end, posterior] = match as unknown as [string, string, string, string, string];
    if (isFillerToken(token)) continue;
    words ??= [];
    words.push({
      word: token.replace(/\(\d+\)$/, ''),
      startSec: Number(start),
      endSec: Number(end),
      confidence: Math.min(1, Math.max(0, Number(posterior))),
    });
  }
  flush();
  return utterances;
}
