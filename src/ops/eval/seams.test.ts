import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transcript, Word } from '../../transcript.js';
import { checkSeams, cutPoints, timedTokens } from './seams.js';

/** One word a second: word i spans [i, i + 0.8]. */
const words = (text: string, times?: number[]): Word[] => text.split(' ').map((word, i) => ({ word, startSec: times?.[i] ?? i, endSec: (times?.[i] ?? i) + 0.8 }));
const transcript = (w: Word[]): Pick<Transcript, 'words' | 'utterances'> => ({ words: w, utterances: [] });

const WHOLE = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango';

test('cutPoints: touching segments cut where they meet; overlapping ones in the middle of the overlap', () => {
  assert.deepEqual(cutPoints([{ startSec: 0, endSec: 10 }, { startSec: 10, endSec: 20 }, { startSec: 19, endSec: 30 }]), [10, 19.5]);
  assert.deepEqual(cutPoints([{ startSec: 0, endSec: 10 }]), []);
});

test('timedTokens: normalised words with their centre; utterances spread evenly when there are no word times', () => {
  assert.deepEqual(timedTokens(transcript(words("Don't <sil> stop"))), [{ word: 'dont', sec: 0.4 }, { word: 'stop', sec: 2.4 }]);
  assert.deepEqual(timedTokens({ words: [], utterances: [{ startSec: 10, endSec: 12, text: 'Two words', words: [] }] }), [
    { word: 'two', sec: 10.5 },
    { word: 'words', sec: 11.5 },
  ]);
});

test('checkSeams: a doubled word at one cut, a dropped word at another; a difference far from cuts only in the overall rate', () => {
  const whole = words(WHOLE);
  // Cut at 5 s: "foxtrot" (t=5) heard twice; cut at 12 s: "mike" (t=12) lost; "bravo" → "brave" far from any cut.
  const segmentedText = WHOLE.replace('bravo', 'brave').replace('foxtrot', 'foxtrot foxtrot').replace(' mike', '');
  const times = [0, 1, 2, 3, 4, 5, 5.3, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19];
  const segmented = words(segmentedText, times);
  const plan = [
    { startSec: 0, endSec: 5 },
    { startSec: 5, endSec: 12 },
    { startSec: 12, endSec: 20 },
  ];
  const report = checkSeams(transcript(segmented), plan, transcript(whole), 'jwhole', 2);
  assert.deepEqual(
    [report.cuts, report.inserted, report.doubled, report.dropped, report.substituted],
    [2, 1, 1, 1, 0],
  );
  assert.equal(report.wholeJobId, 'jwhole');
  // Words of the whole file centred within 2 s of 5 s (3.4, 4.4, 5.4, 6.4) and of 12 s (10.4 … 13.4).
  assert.equal(report.wordsNearCuts, 8);
  assert.equal(report.nearCutDiffRate, 2 / 8);
  assert.equal(report.overallDiffRate, 3 / 20);
  assert.deepEqual(report.problems, [
    { atSec: 5, inserted: ['foxtrot'], dropped: [] },
    { atSec: 12, inserted: [], dropped: ['mike'] },
  ]);
});

test('checkSeams: identical transcripts have clean seams', () => {
  const same = transcript(words(WHOLE));
  const report = checkSeams(same, [{ startSec: 0, endSec: 10 }, { startSec: 10, endSec: 20 }], same, 'j');
  assert.deepEqual([report.inserted, report.dropped, report.substituted, report.nearCutDiffRate, report.overallDiffRate, report.problems], [0, 0, 0, 0, 0, []]);
});
