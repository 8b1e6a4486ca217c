import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Utterance } from '../transcript.js';
import { buildCues, DEFAULT_CUE_LIMITS, lineCount, wrapLines, type Cue, type CueLimits } from './cues.js';
import { roundToMs } from './time.js';
import { utterance, wordsOver } from '../../test/helpers/transcripts.js';
import { assertWithinLimits } from '../../test/helpers/cues.js';

const NO_CPS: CueLimits = { ...DEFAULT_CUE_LIMITS, maxCps: 100 };
const rounded = (cues: Cue[]) => cues.map((c) => ({ startSec: roundToMs(c.startSec), endSec: roundToMs(c.endSec), text: c.lines.join(' ') }));

test('long utterances split into cues at word times', () => {
  const twelveWords = Array.from({ length: 12 }, (_, i) => `w${i + 1}`);
  const longWords = Array.from({ length: 20 }, (_, i) => `word${String(i).padStart(2, '0')}`); // 6 chars each
  const cases: { name: string; u: Utterance; limits?: CueLimits; expected: { startSec: number; endSec: number; text: string }[] }[] = [
    {
      name: '12 s of speech → two balanced 6-word cues',
      u: utterance(0, 12, twelveWords.join(' '), wordsOver(0, 12, twelveWords)),
      expected: [
        { startSec: 0, endSec: 5.9, text: 'w1 w2 w3 w4 w5 w6' },
        { startSec: 6, endSec: 11.9, text: 'w7 w8 w9 w10 w11 w12' },
      ],
    },
    {
      name: '139 characters in 5 s → split by length (reading speed off)',
      u: utterance(0, 5, longWords.join(' '), wordsOver(0, 5, longWords)),
      limits: NO_CPS,
      expected: [
        { startSec: 0, endSec: 2.475, text: longWords.slice(0, 10).join(' ') },
        { startSec: 2.5, endSec: 4.975, text: longWords.slice(10).join(' ') },
      ],
    },
    {
      name: '… at 20 cps the first cue is held until the second starts, the last for 69/20 s',
      u: utterance(0, 5, longWords.join(' '), wordsOver(0, 5, longWords)),
      expected: [
        { startSec: 0, endSec: 2.5, text: longWords.slice(0, 10).join(' ') },
        { startSec: 2.5, endSec: 5.95, text: longWords.slice(10).join(' ') },
      ],
    },
    {
      name: 'no word times → split at times estimated by characters',
      u: utterance(0, 12, twelveWords.join(' ')),
      expected: [
        { startSec: 0, endSec: 6.154, text: 'w1 w2 w3 w4 w5 w6 w7' },
        { startSec: 6.462, endSec: 11.692, text: 'w8 w9 w10 w11 w12' },
      ],
    },
    {
      name: 'short utterance keeps its own text and times',
      u: utterance(1, 3, 'Fine.', wordsOver(1.2, 2.8, ['Fine'])),
      expected: [{ startSec: 1, endSec: 3, text: 'Fine.' }],
    },
    {
      name: 'one line of 20 characters, 3 s: split at the punctuation where the count allows',
      u: utterance(0, 3, 'Yes, we can do it. Now go.', wordsOver(0, 3, ['Yes,', 'we', 'can', 'do', 'it.', 'Now', 'go.'])),
      limits: { maxLineChars: 20, maxLines: 1, maxCueSec: 3, maxCps: 100 },
      expected: [
        { startSec: 0, endSec: 2.1, text: 'Yes, we can do it.' },
        { startSec: 2.143, endSec: 2.957, text: 'Now go.' },
      ],
    },
  ];
  for (const { name, u, limits, expected } of cases) {
    const cues = buildCues([u], limits);
    assert.deepEqual(rounded(cues), expected, name);
    assertWithinLimits(cues, limits ?? DEFAULT_CUE_LIMITS, name);
  }
});

test('table: every limit setting holds on long speech, with and without word times and labels', () => {
  const vocabulary = ['alpha', 'be', 'gamma,', 'delta.', 'epsilonic', 'zeta', 'eta?', 'thetaland'];
  const texts = Array.from({ length: 150 }, (_, i) => vocabulary[i % vocabulary.length]!);
  const settings: CueLimits[] = [
    DEFAULT_CUE_LIMITS,
    { maxLineChars: 32, maxLines: 1, maxCueSec: 4, maxCps: 15 },
    { maxLineChars: 20, maxLines: 3, maxCueSec: 10, maxCps: 12 },
    { maxLineChars: 60, maxLines: 2, maxCueSec: 5, maxCps: 25 },
    { maxLineChars: 37, maxLines: 2, maxCueSec: 6, maxCps: 17 },
  ];
  const speeches: { name: string; utterances: Utterance[] }[] = [
    { name: 'one 60 s utterance with word times', utterances: [utterance(0, 60, texts.join(' '), wordsOver(0, 60, texts))] },
    { name: 'fast speech (150 words in 30 s)', utterances: [utterance(0, 30, texts.join(' '), wordsOver(0, 30, texts))] },
    { name: 'no word times', utterances: [utterance(0, 60, texts.join(' '))] },
    {
      name: 'two speakers, labelled',
      utterances: [
        { ...utterance(0, 20, texts.slice(0, 50).join(' '), wordsOver(0, 20, texts.slice(0, 50))), speaker: 'SPEAKER_1' },
        { ...utterance(21, 50, texts.slice(50).join(' '), wordsOver(21, 50, texts.slice(50))), speaker: 'SPEAKER_2' },
      ],
    },
  ];
  for (const limits of settings) {
    for (const { name, utterances } of speeches) {
      const label = `${name} @ ${JSON.stringify(limits)}`;
      const cues = buildCues(utterances, limits, { label: (speaker) => `[${speaker}] ` });
      assert.ok(cues.length > 1, label);
      assertWithinLimits(cues, limits, label);
      const words = cues.map((c) => c.lines.join(' ').replace(/\[SPEAKER_\d\] /, '')).join(' ');
      assert.equal(words, utterances.map((u) => u.text).join(' '), `${label}: no words lost or reordered`);
      if (name.includes('speakers')) assert.ok(cues.every((c) => c.lines.join(' ').startsWith(`[${c.speaker}] `)), `${label}: every cue labelled`);
    }
  }
});

test('what cannot hold: a huge word gets its own cue; speech faster than the reading speed keeps its times', () => {
  const huge = 'x'.repeat(60);
  const cues = buildCues([utterance(0, 10, `a ${huge} b`, wordsOver(0, 10, ['a', huge, 'b']))]);
  assert.deepEqual(cues.map((c) => c.lines), [['a'], [huge], ['b']]);
  const fast = buildCues([utterance(0, 1, 'abcdefghij abcdefghij abcdefghij', wordsOver(0, 1, ['abcdefghij', 'abcdefghij', 'abcdefghij'])), utterance(1.2, 2, 'next', wordsOver(1.2, 2, ['next']))]);
  assert.equal(fast[0]!.endSec, 1.2, 'held only until the next cue');
});

test('lines: the fewest that fit, balanced; the top line shorter on a tie', () => {
  const cases: { text: string; max?: number; expected: string[] }[] = [
    { text: 'Short line.', expected: ['Short line.'] },
    { text: 'This sentence is a little too long to fit on a single line.', expected: ['This sentence is a little too', 'long to fit on a single line.'] },
    { text: 'x'.repeat(50), expected: ['x'.repeat(50)] },
    { text: `${'a'.repeat(40)} ${'b'.repeat(40)} ${'c'.repeat(10)}`, expected: ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(10)] },
    { text: 'one two three four five six seven eight nine ten', max: 16, expected: ['one two three', 'four five six', 'seven eight', 'nine ten'] },
    { text: 'aa bb cc dd', max: 5, expected: ['aa bb', 'cc dd'] },
    { text: 'aa bbb cc', max: 6, expected: ['aa', 'bbb cc'] },
  ];
  for (const { text, max, expected } of cases) {
    const lines = wrapLines(text, max);
    assert.deepEqual(lines, expected, text);
    assert.equal(lines.length, lineCount(text, max ?? 42), `${text}: as few lines as greedy filling`);
  }
});
