/** get_transcript's pieces: a time range of a transcript, and pages of its rendered text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transcript, Utterance } from '../transcript.js';
import { pageOf, sliceTranscript } from './transcript-page.js';

const utterance = (startSec: number, endSec: number, text: string): Utterance => ({
  startSec,
  endSec,
  text,
  words: text.split(' ').map((word, i, all) => ({ word, startSec: startSec + ((endSec - startSec) * i) / all.length, endSec: startSec + ((endSec - startSec) * (i + 1)) / all.length })),
});

const transcript: Transcript = {
  text: 'one two three four five six',
  language: 'en',
  durationSec: 30,
  utterances: [utterance(0, 5, 'one two'), utterance(10, 15, 'three four'), utterance(20, 25, 'five six')],
  words: [],
};
transcript.words = transcript.utterances.flatMap((u) => u.words);

test('sliceTranscript: utterances overlapping [start, end), absolute times kept', () => {
  const cases: Array<[number | undefined, number | undefined, string]> = [
    [undefined, undefined, 'one two three four five six'],
    [0, 5, 'one two'],
    [5, 10, ''],
    [4, 11, 'one two three four'],
    [12, undefined, 'three four five six'],
    [undefined, 10, 'one two'],
    [25, 30, ''],
  ];
  for (const [start, end, text] of cases) {
    const slice = sliceTranscript(transcript, start, end);
    assert.equal(slice.text, text, `${start}..${end}`);
    assert.equal(slice.words.map((w) => w.word).join(' '), text, `${start}..${end} words`);
    assert.equal(slice.durationSec, 30);
  }
  assert.equal(sliceTranscript(transcript, 12).utterances[0]!.startSec, 10);
});

test('pageOf: pages end at a line break in their second half, and concatenate to the text', () => {
  const text = Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(i % 7)}`).join('\n') + '\n';
  for (const max of [10, 25, 64, 100, text.length, text.length + 5]) {
    let offset = 0;
    let joined = '';
    let pages = 0;
    for (;;) {
      const page = pageOf(text, offset, max);
      assert.ok(page.text.length <= max, `page of ${page.text.length} > ${max}`);
      assert.equal(page.totalChars, text.length);
      joined += page.text;
      pages++;
      if (page.nextOffset === null) break;
      if (max >= 25) assert.ok(page.text.endsWith('\n'), `max ${max}: a page ends at a line break`);
      offset = page.nextOffset;
    }
    assert.equal(joined, text, `max ${max}`);
    if (max >= text.length) assert.equal(pages, 1);
  }
  // No line break in the window's second half: cut where the window ends.
  assert.deepEqual(pageOf('a'.repeat(30), 0, 10), { text: 'a'.repeat(10), offset: 0, nextOffset: 10, totalChars: 30 });
  assert.deepEqual(pageOf('', 0, 10), { text: '', offset: 0, nextOffset: null, totalChars: 0 });
});
