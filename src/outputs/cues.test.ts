import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Utterance } from '../transcript.js';
import { buildCues, MAX_CUE_CHARS, MAX_CUE_SEC, MAX_LINE_CHARS, wrapLines } from './cues.js';
import { roundToMs } from './time.js';
import { utterance, wordsOver } from '../../test/helpers/transcripts.js';


test('long utterances split into cues at word boundaries', () => {
  const twelveWords = Array.from({ length: 12 }, (_, i) => `w${i + 1}`);
  const longWords = Array.from({ length: 20 }, (_, i) => `word${String(i).padStart(2, '0')}`); // 6 chars each
  const cases: { name: string; u: Utterance; expected: { startSec: number; endSec: number; text: string }[] }[] = [
    {
      name: '12 s of speech → two balanced 6-word cues',
      u: utterance(0, 12, twelveWords.join(' '), wordsOver(0, 12, twelveWords)),
      expected: [
        { startSec: 0, endSec: 5.9, text: 'w1 w2 w3 w4 w5 w6' },
        { startSec: 6, endSec: 11.9, text: 'w7 w8 w9 w10 w11 w12' },
      ],
    },
    {
      name: '139 characters in 5 s → split by length',
      u: utterance(0, 5, longWords.join(' '), wordsOver(0, 5, longWords)),
      expected: [
        { startSec: 0, endSec: 2.475, text: longWords.slice(0, 10).join(' ') },
        { startSec: 2.5, endSec: 4.975, text: longWords.slice(10).join(' ') },
      ],
    },
    {
      name: 'no word times → one cue',
      u: utterance(0, 12, twelveWords.join(' ')),
      expected: [{ startSec: 0, endSec: 12, text: twelveWords.join(' ') }],
    },
    {
      name: 'short utterance keeps its own text and times',
      u: utterance(1, 3, 'Fine.', wordsOver(1.2, 2.8, ['Fine'])),
      expected: [{ startSec: 1, endSec: 3, text: 'Fine.' }],
    },
  ];
  for (const { name, u, expected } of cases) {
    const cues = buildCues([u]).map((c) => ({
      startSec: roundToMs(c.startSec),
      endSec: roundToMs(c.endSec),
      text: c.lines.join(' '),
    }));
    assert.deepEqual(cues, expected, name);
  }
});

test('split cues respect the time, length and line limits', () => {
  const texts = Array.from({ length: 120 }, (_, i) => ['alpha', 'be', 'gamma,', 'delta.', 'epsilonic'][i % 5] as string);
  const cues = buildCues([utterance(0, 50, texts.join(' '), wordsOver(0, 50, texts))]);
  assert.ok(cues.length > 1);
  for (const cue of cues) {
    assert.ok(cue.endSec - cue.startSec <= MAX_CUE_SEC + 1e-9, `duration ${cue.endSec - cue.startSec}`);
    assert.ok(cue.lines.join(' ').length <= MAX_CUE_CHARS, cue.lines.join(' '));
    assert.ok(cue.lines.length <= 2 && cue.lines.every((l) => l.length <= MAX_LINE_CHARS), cue.lines.join('|'));
  }
  assert.equal(cues.map((c) => c.lines.join(' ')).join(' '), texts.join(' '), 'no words lost or reordered');
});

test('cue text wraps into at most 2 balanced lines of ≤ 42 chars where possible', () => {
  const cases: { text: string; expected: string[] }[] = [
    { text: 'Short line.', expected: ['Short line.'] },
    {
      text: 'This sentence is a little too long to fit on a single line.',
      expected: ['This sentence is a little too', 'long to fit on a single line.'],
    },
    { text: 'x'.repeat(50), expected: ['x'.repeat(50)] },
    { text: `${'a'.repeat(40)} ${'b'.repeat(40)} ${'c'.repeat(10)}`, expected: ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(10)] },
  ];
  for (const { text, expected } of cases) assert.deepEqual(wrapLines(text), expected, text);
});
