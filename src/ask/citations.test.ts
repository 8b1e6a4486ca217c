import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCitations, CitationFilter, parseMarker } from './citations.js';

const given = [
  { startSec: 12.7, endSec: 58.2 },
  { startSec: 754, endSec: 790.5 },
];
const transcript = [...given, { startSec: 300, endSec: 340 }];

const markerCases: Array<[string, number | undefined]> = [
  ['[00:12:34]', 754],
  ['[1:02:03]', 3723],
  ['[12:34]', 754],
  ['[00:61:00]', undefined],
  ['[00:00:60]', undefined],
  ['[12]', undefined],
  ['[a:b]', undefined],
];
for (const [marker, sec] of markerCases) test(`parseMarker ${marker}`, () => assert.equal(parseMarker(marker), sec));

const checkCases: Array<{ name: string; text: string; out: string; valid: string[]; dropped: Array<[string, RegExp]> }> = [
  { name: 'a marker truncated to the second still points at its passage', text: 'It starts [00:00:12].', out: 'It starts [00:00:12].', valid: ['[00:00:12]'], dropped: [] },
  { name: 'the last second of a passage is covered', text: 'see [00:13:10]', out: 'see [00:13:10]', valid: ['[00:13:10]'], dropped: [] },
  { name: 'a made-up time is dropped', text: 'Budget [02:00:00] approved [12:34].', out: 'Budget  approved [12:34].', valid: ['[12:34]'], dropped: [['[02:00:00]', /no part of the transcript/]] },
  { name: 'a time from a passage left out of the context is dropped', text: 'Earlier [00:05:10].', out: 'Earlier .', valid: [], dropped: [['[00:05:10]', /not in the context/]] },
  { name: 'brackets that are not times pass untouched', text: 'a [note] and [1] and [00:1x]', out: 'a [note] and [1] and [00:1x]', valid: [], dropped: [] },
  { name: 'a bracket left open at the end is shown', text: 'ends with [00:1', out: 'ends with [00:1', valid: [], dropped: [] },
];
for (const c of checkCases) {
  test(`checkCitations: ${c.name}`, () => {
    const result = checkCitations(c.text, given, transcript);
    assert.equal(result.text, c.out);
    assert.deepEqual(result.valid.map((v) => v.marker), c.valid);
    assert.deepEqual(result.dropped.map((d) => d.marker), c.dropped.map(([m]) => m));
    c.dropped.forEach(([, reason], i) => assert.match(result.dropped[i]!.reason, reason));
  });
}

test('CitationFilter: the same result however the stream is cut, and a bad citation is never shown', () => {
  const text = 'Yes [00:12:40] and [[00:00:20]] but not [09:00:00], see [00:13:00].';
  const whole = checkCitations(text, given, transcript);
  for (let size = 1; size <= 7; size++) {
    const filter = new CitationFilter(given, transcript);
    let shown = '';
    for (let i = 0; i < text.length; i += size) {
      shown += filter.push(text.slice(i, i + size));
      assert.ok(!shown.includes('09:00'), 'the dropped time never reached the output');
    }
    shown += filter.end();
    assert.equal(shown, whole.text);
    assert.deepEqual(filter.valid, whole.valid);
    assert.deepEqual(filter.dropped, whole.dropped);
  }
  assert.equal(whole.text, 'Yes [00:12:40] and [[00:00:20]] but not , see [00:13:00].');
  assert.equal(whole.valid.length, 3);
});
