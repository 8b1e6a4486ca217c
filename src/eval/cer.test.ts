import { test } from 'node:test';
import assert from 'node:assert/strict';
import { characterErrorRate, editDistance, normaliseForCer } from './cer.js';

test('editDistance: the classic cases', () => {
  const cp = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);
  assert.equal(editDistance(cp('kitten'), cp('sitting')), 3);
  assert.equal(editDistance(cp(''), cp('abc')), 3);
  assert.equal(editDistance(cp('abc'), cp('')), 3);
  assert.equal(editDistance(cp('flaw'), cp('lawn')), 2);
  assert.equal(editDistance(cp('same'), cp('same')), 0);
});

test('characterErrorRate: normalised like WER, spaces count, markup does not', () => {
  assert.equal(normaliseForCer("Don't  STOP, <s> [noise] go(2)!"), 'dont stop go');
  assert.deepEqual(characterErrorRate('And so, my fellow Americans', 'and so my fellow americans'), { cer: 0, editDistance: 0, referenceChars: 26 });
  // "ask not" → "asknot": one space dropped out of 7 characters.
  assert.equal(characterErrorRate('ask not', 'asknot').editDistance, 1);
  assert.equal(characterErrorRate('ask not', 'asknot').cer, 1 / 7);
  assert.equal(characterErrorRate('', '').cer, 0);
  assert.equal(characterErrorRate('', 'x').cer, Infinity);
  assert.equal(characterErrorRate('abc', '').cer, 1);
  // Code points, not UTF-16 units: one emoji-free accented word differs by one character.
  assert.equal(characterErrorRate('café', 'cafe').editDistance, 1);
});
