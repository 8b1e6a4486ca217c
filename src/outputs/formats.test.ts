import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Transcript, Utterance } from '../transcript.js';
import { isOutputFormat, OUTPUT_FORMAT_IDS, OUTPUT_FORMATS, type OutputDocument } from './formats.js';
import { phrases } from './json.js';
import { formatDuration, formatMarker, formatTimestamp, roundToMs } from './time.js';
import { utterance, wordsOver } from '../../test/helpers/transcripts.js';

const JOB: OutputDocument['job'] = {
  id: 'job-1',
  source: '/media/talks/Weekly Sync.mp3',
  backend: 'pocketsphinx',
  model: 'en-us',
  createdAt: '2024-05-01T10:00:00.000Z',
};


function doc(utterances: Utterance[], durationSec = 8.4, language = 'en'): OutputDocument {
  const words = utterances.flatMap((u) => u.words);
  const text = utterances.map((u) => u.text).join(' ');
  const transcript: Transcript = { text, language, durationSec, utterances, words };
  return { job: JOB, transcript };
}

const TWO_UTTERANCES = doc([
  utterance(0.5, 2.5, 'Hello world.', [
    { word: 'Hello', startSec: 0.5, endSec: 1.0, confidence: 0.9 },
    { word: 'world.', startSec: 1.1, endSec: 2.5 },
  ]),
  utterance(5.0, 7.25, 'This is a test.', wordsOver(5.0, 7.25, ['This', 'is', 'a', 'test.'])),
]);

const EMPTY = doc([], 0, '');

test('text and subtitle formats render a 2-utterance transcript exactly', () => {
  const cases: { format: 'txt' | 'srt' | 'vtt' | 'md'; expected: string }[] = [
    { format: 'txt', expected: 'Hello world.\n\nThis is a test.\n' },
    {
      format: 'srt',
      expected:
        '1\n00:00:00,500 --> 00:00:02,500\nHello world.\n\n' + '2\n00:00:05,000 --> 00:00:07,250\nThis is a test.\n',
    },
    {
      format: 'vtt',
      expected:
        'WEBVTT\n\n00:00:00.500 --> 00:00:02.500\nHello world.\n\n' + '00:00:05.000 --> 00:00:07.250\nThis is a test.\n',
    },
    {
      format: 'md',
      expected:
        '# Weekly Sync\n\nDuration: 0:00:08 · Language: en · Backend: pocketsphinx\n\n' +
        '[00:00:00] Hello world.\n\n[00:00:05] This is a test.\n',
    },
  ];
  for (const { format, expected } of cases) {
    assert.equal(OUTPUT_FORMATS[format].render(TWO_UTTERANCES), expected, format);
  }
});

test('paragraphs break at gaps of 2 s or more, judged on whole milliseconds', () => {
  const cases: { name: string; secondStartSec: number; expected: string }[] = [
    { name: 'gap 1.999 s joins', secondStartSec: 4.099, expected: 'One. Two.\n' },
    { name: 'gap exactly 2 s breaks', secondStartSec: 4.1, expected: 'One.\n\nTwo.\n' },
    { name: 'gap 2.5 s breaks', secondStartSec: 4.6, expected: 'One.\n\nTwo.\n' },
  ];
  for (const { name, secondStartSec, expected } of cases) {
    // 4.1 - 2.1 is 1.9999999999999996 in floating point: must still count as 2 s.
    const d = doc([utterance(0, 2.1, 'One.'), utterance(secondStartSec, secondStartSec + 1, 'Two.')]);
    assert.equal(OUTPUT_FORMATS.txt.render(d), expected, name);
  }
});

test('md starts a new paragraph at least every 60 s of audio', () => {
  // 13 utterances, 10 s apart, 0.5 s gaps: only the 60 s rule can break them.
  const utterances = Array.from({ length: 13 }, (_, i) => utterance(i * 10, i * 10 + 9.5, `U${i}.`));
  const md = OUTPUT_FORMATS.md.render(doc(utterances, 3725, 'de'));
  const expected =
    '# Weekly Sync\n\nDuration: 1:02:05 · Language: de · Backend: pocketsphinx\n\n' +
    '[00:00:00] U0. U1. U2. U3. U4. U5.\n\n[00:01:00] U6. U7. U8. U9. U10. U11.\n\n[00:02:00] U12.\n';
  assert.equal(md, expected);
});

test('md title is the source base name without extension', () => {
  const cases: [string, string][] = [
    ['/a/b/talk.final.mp3', 'talk.final'],
    ['C:\\audio\\call.wav', 'call'],
    ['podcast', 'podcast'],
    ['.hidden', '.hidden'],
  ];
  for (const [source, title] of cases) {
    const md = OUTPUT_FORMATS.md.render({ ...EMPTY, job: { ...JOB, source } });
    assert.equal(md.split('\n')[0], `# ${title}`, source);
  }
});

test('timestamps: hours, rounding carry, clamping', () => {
  const cases: { sec: number; srt: string; vtt: string }[] = [
    { sec: 0, srt: '00:00:00,000', vtt: '00:00:00.000' },
    { sec: 3723.456, srt: '01:02:03,456', vtt: '01:02:03.456' },
    { sec: 59.9996, srt: '00:01:00,000', vtt: '00:01:00.000' },
    { sec: 3599.9995, srt: '01:00:00,000', vtt: '01:00:00.000' },
    { sec: 1.0005, srt: '00:00:01,001', vtt: '00:00:01.001' },
    { sec: 360_000, srt: '100:00:00,000', vtt: '100:00:00.000' },
    { sec: -0.2, srt: '00:00:00,000', vtt: '00:00:00.000' },
  ];
  for (const { sec, srt, vtt } of cases) {
    assert.equal(formatTimestamp(sec, ','), srt, `srt ${sec}`);
    assert.equal(formatTimestamp(sec, '.'), vtt, `vtt ${sec}`);
  }
  assert.equal(formatMarker(3723.9), '01:02:03');
  assert.equal(formatMarker(59.9996), '00:01:00');
  assert.equal(formatDuration(3723.5), '1:02:04');
  assert.equal(roundToMs(1.23456789), 1.235);
  assert.ok(Object.is(roundToMs(-0.0001), 0));
});

test('a cue on a rounding edge does not print a 60th second', () => {
  const srt = OUTPUT_FORMATS.srt.render(doc([utterance(58.5, 59.9996, 'Edge.')]));
  assert.equal(srt, '1\n00:00:58,500 --> 00:01:00,000\nEdge.\n');
});

test('vtt escapes markup characters; srt and vtt collapse newlines inside utterances', () => {
  const d = doc([utterance(0, 1, 'a < b &\n\nc --> d')]);
  assert.equal(OUTPUT_FORMATS.vtt.render(d), 'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\na &lt; b &amp; c --&gt; d\n');
  assert.equal(OUTPUT_FORMATS.srt.render(d), '1\n00:00:00,000 --> 00:00:01,000\na < b & c --> d\n');
});

test('empty transcript renders valid output in every format', () => {
  const expected: Record<string, (out: string) => void> = {
    txt: (out) => assert.equal(out, ''),
    srt: (out) => assert.equal(out, ''),
    vtt: (out) => assert.equal(out, 'WEBVTT\n'),
    md: (out) => assert.equal(out, '# Weekly Sync\n\nDuration: 0:00:00 · Language: unknown · Backend: pocketsphinx\n'),
    json: (out) => {
      const parsed = JSON.parse(out);
      assert.deepEqual([parsed.utterances, parsed.words, parsed.text, parsed.telemetry], [[], [], '', null]);
    },
    verbose_json: (out) => {
      const parsed = JSON.parse(out);
      assert.deepEqual([parsed.segments, parsed.words, parsed.text, parsed.duration], [[], [], '', 0]);
    },
  };
  for (const id of OUTPUT_FORMAT_IDS) {
    const check = expected[id];
    assert.ok(check, `missing case for ${id}`);
    check(OUTPUT_FORMATS[id].render(EMPTY));
  }
});

test('json: our schema, times rounded to ms, optional confidence, telemetry embedded', () => {
  const telemetry = {
    durationSec: 8.4, wallSec: 2, computeSec: 3, parallelism: 1.5, segments: 1, segmentsReused: 0,
    overheadPerSegmentSec: 0.1, realTimeFactor: 0.24, coldStarts: 1, cacheHit: false, prepareComputeSec: 0, costUsd: 0, costPerAudioMinuteUsd: 0,
  };
  const d = doc([utterance(0.1234567, 1.9876543, 'Hi.', [{ word: 'Hi.', startSec: 0.1234567, endSec: 1.9876543 }])]);
  const parsed = JSON.parse(OUTPUT_FORMATS.json.render({ ...d, telemetry }));
  assert.deepEqual(Object.keys(parsed), ['schema', 'job', 'language', 'durationSec', 'text', 'utterances', 'words', 'telemetry']);
  assert.equal(parsed.schema, 'parascribe.transcript/v1');
  assert.deepEqual(parsed.job, JOB);
  assert.deepEqual(parsed.utterances, [
    { startSec: 0.123, endSec: 1.988, text: 'Hi.', words: [{ word: 'Hi.', startSec: 0.123, endSec: 1.988 }] },
  ]);
  assert.deepEqual(parsed.telemetry, telemetry);
  const two = JSON.parse(OUTPUT_FORMATS.json.render(TWO_UTTERANCES));
  assert.deepEqual(two.words[0], { word: 'Hello', startSec: 0.5, endSec: 1, confidence: 0.9 });
  assert.ok(OUTPUT_FORMATS.json.render(TWO_UTTERANCES).includes('\n  "schema"'), '2-space indent');
});

test('verbose_json has the OpenAI shape', () => {
  const d = doc([
    { ...utterance(0, 2.0004, 'Hi there.'), signals: { avg_logprob: -0.25, compression_ratio: 1.4, no_speech_prob: 0.01 } },
    utterance(3, 4, 'Bye.', [{ word: 'Bye.', startSec: 3, endSec: 4 }]),
  ]);
  const parsed = JSON.parse(OUTPUT_FORMATS.verbose_json.render(d));
  assert.deepEqual(Object.keys(parsed), ['task', 'language', 'duration', 'text', 'segments', 'words']);
  assert.equal(parsed.task, 'transcribe');
  assert.equal(parsed.language, 'english');
  assert.equal(parsed.duration, 8.4);
  assert.deepEqual(parsed.segments[0], {
    id: 0, seek: 0, start: 0, end: 2, text: 'Hi there.', tokens: [], temperature: 0,
    avg_logprob: -0.25, compression_ratio: 1.4, no_speech_prob: 0.01,
  });
  assert.deepEqual(
    [parsed.segments[1].id, parsed.segments[1].avg_logprob, parsed.segments[1].compression_ratio, parsed.segments[1].no_speech_prob],
    [1, 0, 1, 0],
  );
  assert.deepEqual(parsed.words, [{ word: 'Bye.', start: 3, end: 4 }]);
});

test('verbose_json maps ISO-639-1 codes to lowercase names and passes others through', () => {
  const cases: [string, string][] = [['en', 'english'], ['DE', 'german'], ['pt-BR', 'portuguese'], ['zh', 'chinese'], ['xx', 'xx'], ['', '']];
  for (const [code, name] of cases) {
    assert.equal(JSON.parse(OUTPUT_FORMATS.verbose_json.render(doc([], 1, code))).language, name, code);
  }
});

test('registry: every id has a renderer and a distinct extension', () => {
  assert.deepEqual(Object.keys(OUTPUT_FORMATS).sort(), [...OUTPUT_FORMAT_IDS].sort());
  const extensions = OUTPUT_FORMAT_IDS.map((id) => OUTPUT_FORMATS[id].extension);
  assert.equal(new Set(extensions).size, extensions.length);
  assert.ok(isOutputFormat('srt') && !isOutputFormat('docx'));
});

test('verbose_json phrases: an utterance splits at pauses ≥ 0.6 s and never exceeds 30 s; short ones stay whole', () => {
  const cases: Array<{ name: string; words: ReturnType<typeof wordsOver>; expected: Array<[number, number, string]> }> = [
    { name: 'short, no pause', words: wordsOver(0, 3, ['a', 'b', 'c']), expected: [[0, 2.9, 'a b c']] },
    {
      name: 'a pause splits',
      words: [...wordsOver(0, 1, ['a', 'b']), ...wordsOver(2, 3, ['c', 'd'])],
      expected: [
        [0, 0.95, 'a b'],
        [2, 2.95, 'c d'],
      ],
    },
    {
      name: '70 s without pauses: chunks of at most 30 s',
      words: wordsOver(0, 70, Array.from({ length: 70 }, (_, i) => `w${i}`)),
      expected: [
        [0, 29.9, Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ')],
        [30, 59.9, Array.from({ length: 30 }, (_, i) => `w${i + 30}`).join(' ')],
        [60, 69.9, Array.from({ length: 10 }, (_, i) => `w${i + 60}`).join(' ')],
      ],
    },
  ];
  for (const { name, words, expected } of cases) {
    const u = utterance(words[0]!.startSec, words.at(-1)!.endSec, words.map((w) => w.word).join(' '), words);
    const got = phrases(u).map((p) => [Number(p.startSec.toFixed(3)), Number(p.endSec.toFixed(3)), p.text]);
    assert.deepEqual(got, expected, name);
  }
});
