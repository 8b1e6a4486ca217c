/**
 * FAKE server support (test and benchmark code, not product code): instant, deterministic text for
 * the fake OpenAI server's `transcriber` option, so that tests of routing (canary, shadow) spend no
 * CPU on real recognition. Two words per second of audio, picked from a small vocabulary by a PRNG
 * seeded with the upload's bytes: the same upload gets the same text from every fake server. With
 * `distortEvery: k`, every k-th word is replaced, so that such a server disagrees with a clean one by
 * a WER of 1/k. Uploads must be WAV (`uploadFormat: 'wav'`): the duration is read from the size.
 */
import { createHash } from 'node:crypto';
import type { FakeTranscript } from './fake-transcribe.js';
import { seededRandom } from '../../src/plan/latency/random.js';

const VOCABULARY = (
  'time year people way day man thing woman life child world school state family student group country problem hand part place case week company system program question work government number night point home water room mother area money story fact month lot right study book eye job word business issue side kind head house service friend father power hour game line end member law car city community name president team minute idea kid body information back parent face others level office door health person art war history party result change morning reason research girl guy moment air teacher force education'
).split(' ');

export function wordTranscriber(options: { distortEvery?: number } = {}): (bytes: Uint8Array) => Promise<FakeTranscript> {
  return async (bytes) => {
    const durationSec = Math.max(0, bytes.length - 44) / 32_000;
    const random = seededRandom(createHash('sha256').update(bytes).digest().readUInt32BE(0));
    const count = Math.max(1, Math.floor(durationSec * 2));
    const words = Array.from({ length: count }, (_, i) => {
      const word = VOCABULARY[Math.floor(random() * VOCABULARY.length)]!;
      return options.distortEvery && (i + 1) % options.distortEvery === 0 ? 'distorted' : word;
    });
    const perWordSec = durationSec / count;
    const utterances: FakeTranscript['utterances'] = [];
    for (let first = 0; first < count; first += 8) {
      const slice = words.slice(first, first + 8).map((word, k) => ({ word, startSec: (first + k) * perWordSec, endSec: (first + k + 1) * perWordSec, confidence: 0.9 }));
      utterances.push({ startSec: slice[0]!.startSec, endSec: slice.at(-1)!.endSec, text: slice.map((w) => w.word).join(' '), words: slice });
    }
    return { durationSec, utterances };
  };
}
