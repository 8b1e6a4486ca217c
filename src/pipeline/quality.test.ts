import { test } from 'node:test';
import assert from 'node:assert/strict';
import { speechSecIn, suspiciousReason } from './quality.js';
import type { SegmentTranscript } from '../transcript.js';

const said = (text: string, signals?: Record<string, number>): SegmentTranscript => ({
  text,
  utterances: text ? [{ startSec: 0, endSec: 5, text, words: [], ...(signals ? { signals } : {}) }] : [],
});

test('quality guard: table of results', () => {
  const cases: Array<[SegmentTranscript, number, RegExp | null]> = [
    [said('hello there'), 30, null],
    [said('hello hello hello', { compression_ratio: 3.0 }), 30, /compression ratio 3\.00 > 2\.4/],
    [said('fine', { compression_ratio: 1.6, avg_logprob: -0.3, no_speech_prob: 0.01 }), 30, null],
    [said('mumble', { avg_logprob: -1.4, no_speech_prob: 0.1 }), 30, /avg log-probability/],
    [said('mumble', { avg_logprob: -1.4, no_speech_prob: 0.9 }), 30, null],
    [said(''), 30, /empty transcript for a segment with 30\.0 s of sound/],
    [said(''), 2, null],
  ];
  for (const [transcript, speechSec, expected] of cases) {
    const reason = suspiciousReason(transcript, speechSec);
    if (expected) assert.match(reason ?? '', expected);
    else assert.equal(reason, null);
  }
});

test('speech seconds: segment length minus the pauses inside it', () => {
  const pauses = [
    { startSec: 5, endSec: 7 },
    { startSec: 9, endSec: 12 },
    { startSec: 30, endSec: 31 },
  ];
  assert.equal(speechSecIn(pauses, 0, 10), 7);
  assert.equal(speechSecIn(pauses, 10, 20), 8);
  assert.equal(speechSecIn([], 0, 60), 60);
  assert.equal(speechSecIn([{ startSec: 0, endSec: 100 }], 10, 20), 0);
});
