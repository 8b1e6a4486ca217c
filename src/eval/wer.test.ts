import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ALIGNMENT_CELLS, normaliseForWer, wordErrorRate, type AlignmentOp } from './wer.js';

describe('normaliseForWer', () => {
  const cases: Array<{ name: string; text: string; words: string[] }> = [
    { name: 'lowercases and splits on any whitespace', text: ' The  GNU\tGeneral\nPublic ', words: ['the', 'gnu', 'general', 'public'] },
    { name: 'punctuation becomes a word break', text: 'free, copyleft; (license)!', words: ['free', 'copyleft', 'license'] },
    { name: 'hyphens split words', text: 'non-free software', words: ['non', 'free', 'software'] },
    { name: 'apostrophes are dropped, not split', text: "Don't you're it’s", words: ['dont', 'youre', 'its'] },
    { name: 'digits are kept', text: 'GPL-3, version 29 June 2007', words: ['gpl', '3', 'version', '29', 'june', '2007'] },
    { name: 'non-ASCII letters are letters', text: 'Café NAÏVE', words: ['café', 'naïve'] },
    { name: 'pocketsphinx markup is not words', text: '<s> and(2) the [noise] <sil> end </s>', words: ['and', 'the', 'end'] },
    { name: 'empty and blank text', text: '  \n ', words: [] },
    { name: 'only punctuation', text: '... -- !?', words: [] },
  ];
  for (const { name, text, words } of cases) {
    it(name, () => assert.deepEqual(normaliseForWer(text), words));
  }
});

describe('wordErrorRate', () => {
  const cases: Array<{
    name: string;
    ref: string;
    hyp: string;
    wer: number;
    sub: number;
    del: number;
    ins: number;
    ops?: AlignmentOp['op'][];
  }> = [
    { name: 'identical → 0', ref: 'the cat sat', hyp: 'the cat sat', wer: 0, sub: 0, del: 0, ins: 0, ops: ['ok', 'ok', 'ok'] },
    { name: 'identical after normalisation → 0', ref: 'the cat sat', hyp: 'The CAT, sat.', wer: 0, sub: 0, del: 0, ins: 0 },
    { name: 'one substitution', ref: 'the cat sat', hyp: 'the hat sat', wer: 1 / 3, sub: 1, del: 0, ins: 0, ops: ['ok', 'sub', 'ok'] },
    { name: 'one deletion', ref: 'the cat sat', hyp: 'the sat', wer: 1 / 3, sub: 0, del: 1, ins: 0, ops: ['ok', 'del', 'ok'] },
    { name: 'one insertion', ref: 'the cat sat', hyp: 'the fat cat sat', wer: 1 / 3, sub: 0, del: 0, ins: 1, ops: ['ok', 'ins', 'ok', 'ok'] },
    { name: 'insertion at the end', ref: 'a b', hyp: 'a b c', wer: 0.5, sub: 0, del: 0, ins: 1, ops: ['ok', 'ok', 'ins'] },
    { name: 'deletion at the start', ref: 'a b c', hyp: 'b c', wer: 1 / 3, sub: 0, del: 1, ins: 0, ops: ['del', 'ok', 'ok'] },
    { name: 'completely different', ref: 'a b', hyp: 'c d', wer: 1, sub: 2, del: 0, ins: 0 },
    { name: 'WER can exceed 1', ref: 'a', hyp: 'b c d', wer: 3, sub: 1, del: 0, ins: 2 },
    { name: 'both empty → 0', ref: '', hyp: ' ', wer: 0, sub: 0, del: 0, ins: 0, ops: [] },
    { name: 'empty hypothesis → all deletions', ref: 'a b c', hyp: '', wer: 1, sub: 0, del: 3, ins: 0, ops: ['del', 'del', 'del'] },
    { name: 'empty reference → Infinity', ref: '', hyp: 'a b', wer: Infinity, sub: 0, del: 0, ins: 2, ops: ['ins', 'ins'] },
  ];
  for (const { name, ref, hyp, wer, sub, del, ins, ops } of cases) {
    it(name, () => {
      const result = wordErrorRate(ref, hyp);
      assert.ok(Math.abs(result.wer - wer) < 1e-12 || result.wer === wer, `wer ${result.wer} ≠ ${wer}`);
      assert.deepEqual(
        [result.substitutions, result.deletions, result.insertions, result.referenceWords],
        [sub, del, ins, normaliseForWer(ref).length],
      );
      if (ops) assert.deepEqual(result.alignment.map((op) => op.op), ops);
      const countsOnly = wordErrorRate(ref, hyp, { alignment: false });
      assert.deepEqual(countsOnly, { ...result, alignment: [] });
    });
  }

  it('alignment carries the words and hypothesis indexes', () => {
    const { alignment } = wordErrorRate('the cat sat down', 'the hat sat on down');
    assert.deepEqual(alignment, [
      { op: 'ok', ref: 'the', hyp: 'the', hypIndex: 0 },
      { op: 'sub', ref: 'cat', hyp: 'hat', hypIndex: 1 },
      { op: 'ok', ref: 'sat', hyp: 'sat', hypIndex: 2 },
      { op: 'ins', hyp: 'on', hypIndex: 3 },
      { op: 'ok', ref: 'down', hyp: 'down', hypIndex: 4 },
    ]);
  });

  it('alignment replays to both word sequences and agrees with the counts', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const vocabulary = ['a', 'b', 'c', 'd'];
    for (let trial = 0; trial < 200; trial++) {
      const words = (length: number) => Array.from({ length }, () => vocabulary[Math.floor(random() * 4)]!);
      const ref = words(Math.floor(random() * 12));
      const hyp = words(Math.floor(random() * 12));
      const result = wordErrorRate(ref.join(' '), hyp.join(' '));
      assert.deepEqual(result.alignment.filter((op) => op.op !== 'ins').map((op) => op.ref), ref);
      assert.deepEqual(result.alignment.filter((op) => op.op !== 'del').map((op) => op.hyp), hyp);
      const count = (kind: AlignmentOp['op']) => result.alignment.filter((op) => op.op === kind).length;
      assert.deepEqual([count('sub'), count('del'), count('ins')], [result.substitutions, result.deletions, result.insertions]);
      assert.ok(result.alignment.every((op) => op.op !== 'ok' || op.ref === op.hyp));
      assert.ok(result.alignment.every((op) => op.op !== 'sub' || op.ref !== op.hyp));
      const countsOnly = wordErrorRate(ref.join(' '), hyp.join(' '), { alignment: false });
      assert.equal(countsOnly.substitutions + countsOnly.deletions + countsOnly.insertions, count('sub') + count('del') + count('ins'));
    }
  });

  it('refuses alignments over the cell limit, but counts them without one', () => {
    const side = Math.ceil(Math.sqrt(MAX_ALIGNMENT_CELLS)) + 1;
    const ref = 'w '.repeat(side);
    assert.throws(() => wordErrorRate(ref, ref), /alignment: false/);
    // Counting only is O(m) memory; keep it quick by making one side short.
    const counts = wordErrorRate('w '.repeat(3), ref, { alignment: false });
    assert.deepEqual([counts.substitutions, counts.deletions, counts.insertions], [0, 0, side - 3]);
  });

  it('handles a 2,000 × 2,000-word alignment quickly', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `w${i % 97}`);
    const hyp = words.map((w, i) => (i % 10 === 0 ? 'x' : w));
    const started = performance.now();
    const result = wordErrorRate(words.join(' '), hyp.join(' '));
    assert.equal(result.substitutions, 200);
    assert.equal(result.wer, 0.1);
    assert.ok(performance.now() - started < 5000);
  });
});
