import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Transcript, Utterance } from '../transcript.js';
import { OUTPUT_FORMATS, type OutputDocument } from './formats.js';
import { fromJsonTranscript, type JsonTranscript } from './json.js';
import { speakerName } from './speakers.js';
import { utterance, wordsOver } from '../../test/helpers/transcripts.js';

const said = (speaker: string, u: Utterance): Utterance => ({ ...u, speaker, words: u.words.map((w) => ({ ...w, speaker })) });

const utterances = [
  said('SPEAKER_1', utterance(0.5, 2.5, 'Hello there.', wordsOver(0.5, 2.5, ['Hello', 'there.']))),
  said('SPEAKER_2', utterance(3, 4.5, 'Hi.', wordsOver(3, 4.5, ['Hi.']))),
  said('SPEAKER_2', utterance(4.6, 6, 'How are you?', wordsOver(4.6, 6, ['How', 'are', 'you?']))),
  said('SPEAKER_1', utterance(6.5, 8, 'Fine.', wordsOver(6.5, 8, ['Fine.']))),
];
const transcript: Transcript = { text: utterances.map((u) => u.text).join(' '), language: 'en', durationSec: 8.4, utterances, words: utterances.flatMap((u) => u.words) };
const DOC: OutputDocument = { job: { id: 'j', source: '/x/call.wav', backend: 'pocketsphinx', model: 'en-us', createdAt: '2024-05-01T10:00:00.000Z' }, transcript };

test('speaker labels appear in every format', () => {
  assert.equal(OUTPUT_FORMATS.txt.render(DOC), 'Speaker 1: Hello there.\n\nSpeaker 2: Hi. How are you?\n\nSpeaker 1: Fine.\n');
  assert.equal(
    OUTPUT_FORMATS.srt.render(DOC),
    [
      '1\n00:00:00,500 --> 00:00:02,500\n[SPEAKER_1] Hello there.',
      '2\n00:00:03,000 --> 00:00:04,500\n[SPEAKER_2] Hi.',
      '3\n00:00:04,600 --> 00:00:06,000\n[SPEAKER_2] How are you?',
      '4\n00:00:06,500 --> 00:00:08,000\n[SPEAKER_1] Fine.\n',
    ].join('\n\n'),
  );
  assert.equal(
    OUTPUT_FORMATS.vtt.render(DOC),
    'WEBVTT\n\n' +
      [
        '00:00:00.500 --> 00:00:02.500\n<v Speaker 1>Hello there.',
        '00:00:03.000 --> 00:00:04.500\n<v Speaker 2>Hi.',
        '00:00:04.600 --> 00:00:06.000\n<v Speaker 2>How are you?',
        '00:00:06.500 --> 00:00:08.000\n<v Speaker 1>Fine.\n',
      ].join('\n\n'),
  );
  assert.equal(
    OUTPUT_FORMATS.md.render(DOC).split('\n\n').slice(2).join('\n\n'),
    '[00:00:00] **Speaker 1:** Hello there.\n\n[00:00:03] **Speaker 2:** Hi. How are you?\n\n[00:00:06] **Speaker 1:** Fine.\n',
  );
  const json = JSON.parse(OUTPUT_FORMATS.json.render(DOC)) as JsonTranscript;
  assert.deepEqual(json.utterances.map((u) => u.speaker), ['SPEAKER_1', 'SPEAKER_2', 'SPEAKER_2', 'SPEAKER_1']);
  assert.deepEqual(json.words.map((w) => w.speaker), ['SPEAKER_1', 'SPEAKER_1', 'SPEAKER_2', 'SPEAKER_2', 'SPEAKER_2', 'SPEAKER_2', 'SPEAKER_1']);
  const back = fromJsonTranscript(json).transcript;
  assert.deepEqual([back.utterances.map((u) => u.speaker), back.words.map((w) => w.speaker)], [utterances.map((u) => u.speaker), transcript.words.map((w) => w.speaker)], 'json round-trips the speakers');
  const verbose = JSON.parse(OUTPUT_FORMATS.verbose_json.render(DOC)) as { segments: { speaker?: string }[]; words: { speaker?: string }[] };
  assert.deepEqual(verbose.segments.map((s) => s.speaker), ['SPEAKER_1', 'SPEAKER_2', 'SPEAKER_2', 'SPEAKER_1']);
  assert.equal(verbose.words[2]!.speaker, 'SPEAKER_2');
});

test('without speakers nothing changes: no speaker keys, no labels', () => {
  const plain = utterances.map(({ speaker: _s, ...u }) => ({ ...u, words: u.words.map(({ speaker: _w, ...w }) => w) }));
  const doc: OutputDocument = { ...DOC, transcript: { ...transcript, utterances: plain, words: plain.flatMap((u) => u.words) } };
  for (const format of ['json', 'verbose_json', 'srt', 'vtt', 'md', 'txt'] as const) {
    const out = OUTPUT_FORMATS[format].render(doc);
    assert.ok(!/speaker/i.test(out), `${format}: ${out}`);
  }
  assert.equal(speakerName('SPEAKER_12'), 'Speaker 12');
  assert.equal(speakerName('Alice'), 'Alice');
});
