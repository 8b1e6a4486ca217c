import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Utterance } from '../transcript.js';
import { linkSpeakers } from './speakers.js';
import { stitch, type StitchPart } from './stitcher.js';

/** A part from [start, end] (absolute) with utterances given in absolute times [from, to, label, text]. */
function part(startSec: number, endSec: number, said: [number, number, string | undefined, string][]): StitchPart {
  const utterances: Utterance[] = said.map(([from, to, speaker, text]) => ({
    startSec: from - startSec,
    endSec: to - startSec,
    text,
    words: [],
    ...(speaker !== undefined ? { speaker } : {}),
  }));
  return { startSec, endSec, transcript: { text: said.map((s) => s[3]).join(' '), utterances } };
}

const labels = (parts: StitchPart[]) => parts.map((p) => p.transcript.utterances.map((u) => u.speaker ?? '-').join(' '));

test('per-segment labels become job-wide ids, linked only where segments overlap', () => {
  const cases: { name: string; parts: StitchPart[]; expected: string[] }[] = [
    {
      name: 'one segment: ids by first appearance',
      parts: [part(0, 30, [[0, 5, 'B', 'hi'], [6, 9, 'A', 'hello'], [10, 12, 'B', 'bye']])],
      expected: ['SPEAKER_1 SPEAKER_2 SPEAKER_1'],
    },
    {
      name: 'a cut at a pause (no shared audio): the second segment\'s labels are new speakers',
      parts: [part(0, 30, [[0, 5, 'A', 'a'], [6, 9, 'B', 'b']]), part(30, 60, [[31, 35, 'A', 'c'], [36, 40, 'B', 'd']])],
      expected: ['SPEAKER_1 SPEAKER_2', 'SPEAKER_3 SPEAKER_4'],
    },
    {
      name: 'a hard cut: the speaker heard in both sides of the overlap is linked, the other is new',
      parts: [
        part(0, 60, [[10, 20, 'A', 'a'], [55, 60, 'B', 'b']]),
        part(58.5, 120, [[58.5, 61, 'A', 'b again'], [70, 80, 'B', 'c']]),
      ],
      expected: ['SPEAKER_1 SPEAKER_2', 'SPEAKER_2 SPEAKER_3'],
    },
    {
      name: 'one to one: the larger overlap wins; an overlap under 0.2 s links nothing',
      parts: [
        part(0, 60, [[50, 60, 'A', 'a']]),
        part(57, 120, [[57, 58.9, 'A', 'x'], [59, 60, 'B', 'y']]),
        part(119.9, 150, [[119.9, 125, 'A', 'z']]),
      ],
      expected: ['SPEAKER_1', 'SPEAKER_1 SPEAKER_2', 'SPEAKER_3'],
    },
    {
      name: 'utterances without a label stay without one',
      parts: [part(0, 30, [[0, 5, undefined, 'x'], [6, 8, 'A', 'y']])],
      expected: ['- SPEAKER_1'],
    },
  ];
  for (const { name, parts, expected } of cases) assert.deepEqual(labels(linkSpeakers(parts)), expected, name);
  const plain = [part(0, 30, [[0, 5, undefined, 'x']])];
  assert.deepEqual(linkSpeakers(plain), plain, 'no speakers: unchanged');
});

test('stitch links labels and gives words their utterance\'s speaker', () => {
  const withWords = (p: StitchPart): StitchPart => ({
    ...p,
    transcript: { ...p.transcript, utterances: p.transcript.utterances.map((u) => ({ ...u, words: [{ word: u.text, startSec: u.startSec, endSec: u.endSec }] })) },
  });
  const transcript = stitch([withWords(part(0, 30, [[1, 5, 'A', 'one'], [6, 9, 'B', 'two']])), withWords(part(30, 60, [[31, 35, 'A', 'three']]))], { durationSec: 60, language: 'en' });
  assert.deepEqual(transcript.utterances.map((u) => [u.text, u.speaker]), [['one', 'SPEAKER_1'], ['two', 'SPEAKER_2'], ['three', 'SPEAKER_3']]);
  assert.deepEqual(transcript.words.map((w) => w.speaker), ['SPEAKER_1', 'SPEAKER_2', 'SPEAKER_3']);
});
