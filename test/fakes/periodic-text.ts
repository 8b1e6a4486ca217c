/**
 * FAKE server support (benchmark code, not product code): real text for uploads cut from a long file
 * that repeats one recording back to back (scripts/make-long-audio.sh), without transcribing each
 * upload again. One period of the long file is transcribed for real once (pocketsphinx); each upload
 * is decoded, located in the period by an exact sample match (uploads are FLAC or WAV, both lossless,
 * and the copies in the long file are bit-identical), and answered with the words of that real
 * transcription that fall in its span, moved to the upload's time. An upload that is not found
 * (another file, a lossy format) gets the fallback: by default, the memoised real transcription.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { runTool } from '../../src/audio/process.js';
import { ParascribeError } from '../../src/errors.js';
import type { Utterance } from '../../src/transcript.js';
import { sharedTranscripts, type FakeTranscript } from './fake-transcribe.js';

const SAMPLE_RATE = 16_000;
/** Samples compared per anchor; anchors sit on loud samples, where a window this long is unique. */
const WINDOW = 32;

/** Decodes any upload ffmpeg reads to 16 kHz mono s16 samples. */
export async function decodeToSamples(bytes: Uint8Array, filename: string, signal: AbortSignal): Promise<Int16Array> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-periodic-'));
  try {
    const input = join(dir, `upload${extname(filename).replace(/[^.\w]/g, '') || '.bin'}`);
    const pcm = join(dir, 'audio.pcm');
    await writeFile(input, bytes);
    const args = ['-nostdin', '-v', 'error', '-i', input, '-vn', '-ac', '1', '-ar', String(SAMPLE_RATE), '-f', 's16le', '-acodec', 'pcm_s16le', '-y', pcm];
    const decoded = await runTool('ffmpeg', args, { signal, timeoutMs: 120_000 });
    if (decoded.exitCode !== 0) throw new ParascribeError('INVALID_ARGUMENT', `Invalid file format. ${decoded.stderr.trim().split('\n').at(-1) ?? ''}`.trim());
    const buffer = await readFile(pcm);
    return toSamples(buffer);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export class PeriodicTranscriber {
  readonly counts = { aligned: 0, fallback: 0 };
  readonly #period: Int16Array;
  readonly #transcript: FakeTranscript;
  readonly #fallback: (bytes: Uint8Array, filename: string, signal: AbortSignal) => Promise<FakeTranscript>;

  /** `period`: one period of the long file (16 kHz mono samples); `transcript`: its real transcription. */
  constructor(period: Int16Array, transcript: FakeTranscript, fallback?: (bytes: Uint8Array, filename: string, signal: AbortSignal) => Promise<FakeTranscript>) {
    if (period.length < WINDOW * 4) throw new Error('PeriodicTranscriber: the period is too short');
    this.#period = period;
    this.#transcript = transcript;
    this.#fallback = fallback ?? ((bytes, filename, signal) => sharedTranscripts.get(bytes, filename, signal, true));
  }

  /** Fits FakeServerOptions.transcriber. */
  readonly transcribe = async (bytes: Uint8Array, filename: string, signal: AbortSignal): Promise<FakeTranscript> => {
    const samples = await decodeToSamples(bytes, filename, signal);
    const offset = this.locate(samples);
    if (offset === undefined) {
      this.counts.fallback++;
      return this.#fallback(bytes, filename, signal);
    }
    this.counts.aligned++;
    return { durationSec: samples.length / SAMPLE_RATE, utterances: this.window(offset, samples.length) };
  };

  /** Where `samples[0]` sits in the period (in samples), if every sample of `samples` repeats the period from there. */
  locate(samples: Int16Array): number | undefined {
    const P = this.#period.length;
    const anchor = loudest(samples, Math.min(samples.length - WINDOW, 10 * SAMPLE_RATE));
    if (anchor === undefined) return undefined;
    const first = samples[anchor]!;
    for (let i = 0; i < P; i++) {
      if (this.#period[i] !== first) continue;
      const offset = (((i - anchor) % P) + P) % P;
      if (this.#matches(samples, offset, anchor, anchor + WINDOW) && this.#matches(samples, offset, 0, samples.length)) return offset;
    }
    return undefined;
  }

  #matches(samples: Int16Array, offset: number, from: number, to: number): boolean {
    const P = this.#period.length;
    for (let j = from, k = (offset + from) % P; j < to; j++, k = k + 1 === P ? 0 : k + 1) if (samples[j] !== this.#period[k]) return false;
    return true;
  }

  /** The period's utterances over [offset, offset + length) samples, in that span's time; a word belongs where its middle is. */
  window(offset: number, length: number): Utterance[] {
    const periodSec = this.#period.length / SAMPLE_RATE;
    const startSec = offset / SAMPLE_RATE;
    const endSec = startSec + length / SAMPLE_RATE;
    const out: Utterance[] = [];
    for (let copy = 0; copy * periodSec < endSec; copy++) {
      const shift = copy * periodSec - startSec;
      for (const u of this.#transcript.utterances) {
        const inside = (a: number, b: number) => (a + b) / 2 + shift >= 0 && (a + b) / 2 + shift < endSec - startSec;
        const words = u.words.filter((w) => inside(w.startSec, w.endSec)).map((w) => ({ ...w, startSec: w.startSec + shift, endSec: w.endSec + shift }));
        if (words.length === 0 && !(u.words.length === 0 && inside(u.startSec, u.endSec))) continue;
        const whole = words.length === u.words.length;
        out.push({
          ...u,
          startSec: whole ? u.startSec + shift : words[0]!.startSec,
          endSec: whole ? u.endSec + shift : words.at(-1)!.endSec,
          text: whole ? u.text : words.map((w) => w.word).join(' '),
          words,
        });
      }
    }
    return out;
  }
}

/** s16le bytes as samples (copied when the buffer is not 2-byte aligned). */
export function toSamples(buffer: Buffer): Int16Array {
  const aligned = buffer.byteOffset % 2 === 0 ? buffer : new Uint8Array(buffer);
  return new Int16Array(aligned.buffer, aligned.byteOffset, aligned.length >> 1);
}

/** The first sample with the largest magnitude in [0, limit): a place where a short window is distinctive. */
function loudest(samples: Int16Array, limit: number): number | undefined {
  let best: number | undefined;
  let bestAbs = 0;
  for (let i = 0; i < limit; i++) {
    const abs = Math.abs(samples[i]!);
    if (abs > bestAbs) [best, bestAbs] = [i, abs];
  }
  return bestAbs >= 64 ? best : undefined;
}
