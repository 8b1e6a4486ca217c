import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Transcript, Utterance } from '../transcript.js';
import { mergeTracks } from './tracks.js';
import { utterance, wordsOver } from '../../test/helpers/transcripts.js';

function transcript(utterances: Utterance[], durationSec: number, language = 'en'): Transcript {
  return { text: utterances.map((u) => u.text).join(' '), language, durationSec, utterances, words: utterances.flatMap((u) => u.words) };
}
const u = (start: number, end: number, text: string) => utterance(start, end, text, wordsOver(start, end, text.split(' ')));

test('tracks merge by time, each utterance and word labelled with its track\'s speaker', () => {
  const cases: { name: string; tracks: Transcript[]; expected: [string, number, string][]; words?: string[] }[] = [
    {
      name: 'alternating turns',
      tracks: [transcript([u(0, 2, 'hello there'), u(5, 6, 'fine thanks')], 7), transcript([u(2.5, 4.5, 'hi how are you')], 6.5)],
      expected: [['SPEAKER_1', 0, 'hello there'], ['SPEAKER_2', 2.5, 'hi how are you'], ['SPEAKER_1', 5, 'fine thanks']],
    },
    {
      name: 'overlapping speech interleaves by start; words by time',
      tracks: [transcript([u(0, 4, 'a b c d')], 4), transcript([u(1, 3, 'x y')], 4)],
      expected: [['SPEAKER_1', 0, 'a b c d'], ['SPEAKER_2', 1, 'x y']],
      words: ['a', 'b', 'x', 'c', 'y', 'd'],
    },
    {
      name: 'same start: track order',
      tracks: [transcript([u(1, 2, 'left')], 2), transcript([u(1, 2, 'right')], 2)],
      expected: [['SPEAKER_1', 1, 'left'], ['SPEAKER_2', 1, 'right']],
    },
    { name: 'a silent track adds nothing', tracks: [transcript([u(0, 1, 'only me')], 3), transcript([], 3)], expected: [['SPEAKER_1', 0, 'only me']] },
  ];
  for (const { name, tracks, expected, words } of cases) {
    const merged = mergeTracks(tracks.map((t, i) => ({ speaker: `SPEAKER_${i + 1}`, transcript: t })));
    assert.deepEqual(merged.utterances.map((x) => [x.speaker, x.startSec, x.text]), expected, name);
    assert.ok(merged.utterances.every((x) => x.words.every((w) => w.speaker === x.speaker)), `${name}: words carry the speaker`);
    assert.equal(merged.text, expected.map((e) => e[2]).join(' '), name);
    assert.equal(merged.durationSec, Math.max(...tracks.map((t) => t.durationSec)), name);
    if (words) assert.deepEqual(merged.words.map((w) => w.word), words, name);
  }
});

test('the merged language is the one most words are in', () => {
  const merged = mergeTracks([
    { speaker: 'SPEAKER_1', transcript: transcript([u(0, 1, 'ja')], 1, 'de') },
    { speaker: 'SPEAKER_2', transcript: transcript([u(1, 3, 'yes of course')], 3, 'en') },
  ]);
  assert.equal(merged.language, 'en');
  assert.deepEqual(mergeTracks([]), { text: '', language: 'und', durationSec: 0, utterances: [], words: [] });
});
