import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stitch, type StitchPart } from './stitcher.js';
import type { SegmentTranscript } from '../transcript.js';

/** Builds a segment transcript from "word@start-end" tokens (relative seconds), one utterance per group. */
function seg(...groups: string[]): SegmentTranscript {
  const utterances = groups.map((group) => {
    const words = group.split(' ').map((token) => {
      const [word, times] = token.split('@') as [string, string];
      const [s, e] = times.split('-').map(Number) as [number, number];
      return { word, startSec: s, endSec: e };
    });
    return { startSec: words[0]!.startSec, endSec: words.at(-1)!.endSec, text: words.map((w) => w.word).join(' '), words };
  });
  return { text: utterances.map((u) => u.text).join(' '), utterances };
}

interface Case {
  name: string;
  parts: StitchPart[];
  text: string;
  /** Optional: expected absolute start of each stitched word. */
  starts?: number[];
}

const cases: Case[] = [
  { name: 'no parts', parts: [], text: '' },
  {
    name: 'pause cuts: times shifted, text joined',
    parts: [
      { startSec: 0, endSec: 10, transcript: seg('hello@1-1.5 world@1.6-2') },
      { startSec: 10, endSec: 20, transcript: seg('good@0.5-1 night@1.1-1.6') },
    ],
    text: 'hello world good night',
    starts: [1, 1.6, 10.5, 11.1],
  },
  {
    name: 'hard cut: word heard by both sides kept once (anchor match)',
    parts: [
      { startSec: 0, endSec: 11, transcript: seg('one@8-8.5 two@9-9.5 three@10-10.6') },
      // next starts at 9: "two" at abs 9.0, "three" at abs 10.05, "four" at abs 11.5
      { startSec: 9, endSec: 20, transcript: seg('two@0-0.5 three@1.05-1.6 four@2.5-3') },
    ],
    text: 'one two three four',
    starts: [8, 9, 10, 11.5],
  },
  {
    name: 'hard cut: word cut off at the edge of the earlier side is taken from the later side',
    parts: [
      // "three" is truncated at the segment end and misheard as "tree" by the first side
      { startSec: 0, endSec: 11, transcript: seg('one@8-8.5 two@9.2-9.6 tree@10.5-11') },
      { startSec: 9, endSec: 20, transcript: seg('two@0.2-0.6 three@1.4-2 four@2.5-3') },
    ],
    text: 'one two three four',
  },
  {
    name: 'hard cut without any shared word: split at the middle of the zone',
    parts: [
      { startSec: 0, endSec: 11, transcript: seg('alpha@8-8.5 beta@9-9.8 gamma@10.4-10.9') },
      { startSec: 9, endSec: 20, transcript: seg('delta@0.3-0.9 epsilon@1.5-2 zeta@3-3.5') },
    ],
    // zone 9..11, middle 10: beta (centre 9.4) from the left, epsilon (centre 10.75) and zeta from the right
    text: 'alpha beta epsilon zeta',
  },
  {
    name: 'repeated word spoken twice is not collapsed outside the zone',
    parts: [
      { startSec: 0, endSec: 10, transcript: seg('very@7-7.4 very@7.5-7.9') },
      { startSec: 10, endSec: 20, transcript: seg('good@0.1-0.5') },
    ],
    text: 'very very good',
  },
  {
    name: 'utterance split across the zone keeps its surviving words and gets new text',
    parts: [
      { startSec: 0, endSec: 31, transcript: seg('a@1-1.2 b@2-2.2', 'c@28-28.5 d@29.2-29.6 e@30.5-30.9') },
      { startSec: 29, endSec: 60, transcript: seg('d@0.25-0.6 e@1.5-1.9 f@2.5-3') },
    ],
    text: 'a b c d e f',
  },
  {
    name: 'empty segment in the middle (silence)',
    parts: [
      { startSec: 0, endSec: 10, transcript: seg('x@1-2') },
      { startSec: 10, endSec: 20, transcript: { text: '', utterances: [] } },
      { startSec: 20, endSec: 30, transcript: seg('y@1-2') },
    ],
    text: 'x y',
    starts: [1, 21],
  },
  {
    name: 'parts given out of order are sorted',
    parts: [
      { startSec: 10, endSec: 20, transcript: seg('second@1-2') },
      { startSec: 0, endSec: 10, transcript: seg('first@1-2') },
    ],
    text: 'first second',
  },
];

for (const c of cases) {
  test(`stitcher: ${c.name}`, () => {
    const out = stitch(c.parts, { durationSec: 60, language: 'en' });
    assert.equal(out.text, c.text);
    assert.equal(out.words.map((w) => w.word).join(' '), c.text);
    if (c.starts) assert.deepEqual(out.words.map((w) => Math.round(w.startSec * 100) / 100), c.starts);
    for (let i = 1; i < out.words.length; i++) {
      assert.ok(out.words[i]!.startSec >= out.words[i - 1]!.startSec, 'words are in time order');
    }
  });
}

test('stitcher: word times are clamped into their segment', () => {
  const out = stitch([{ startSec: 100, endSec: 110, transcript: seg('late@9.5-10.4') }], { durationSec: 110, language: 'en' });
  assert.deepEqual([out.words[0]!.startSec, out.words[0]!.endSec], [109.5, 110]);
});
