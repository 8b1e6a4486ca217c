/**
 * FAKE server support (test code, not product code): real transcription behind the fake OpenAI
 * server. The uploaded file is decoded to 16 kHz mono PCM with ffmpeg and transcribed by pocketsphinx
 * through our own pocketsphinx backend; the result is rendered in OpenAI's dialects.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { runTool } from '../../src/audio/process.js';
import { sliceSegment } from '../../src/audio/segment-audio.js';
import { createPocketsphinx } from '../../src/backends/pocketsphinx/index.js';
import { ParascribeError } from '../../src/errors.js';
import type { Utterance } from '../../src/transcript.js';

export interface FakeTranscript {
  durationSec: number;
  utterances: Utterance[];
}

const pocketsphinx = createPocketsphinx({ calibrate: false });

/** Decodes any file ffmpeg reads and transcribes it; INVALID_ARGUMENT when ffmpeg cannot decode it. */
export async function transcribeFile(bytes: Uint8Array, filename: string, signal: AbortSignal): Promise<FakeTranscript> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-openai-'));
  try {
    const input = join(dir, `upload${extname(filename).replace(/[^.\w]/g, '') || '.bin'}`);
    const pcm = join(dir, 'audio.pcm');
    await writeFile(input, bytes);
    const args = ['-nostdin', '-v', 'error', '-i', input, '-vn', '-ac', '1', '-ar', '16000', '-f', 's16le', '-acodec', 'pcm_s16le', '-y', pcm];
    const decoded = await runTool('ffmpeg', args, { signal, timeoutMs: 120_000 });
    if (decoded.exitCode !== 0) {
      throw new ParascribeError('INVALID_ARGUMENT', `Invalid file format. ${decoded.stderr.trim().split('\n').at(-1) ?? ''}`.trim());
    }
    const { size } = await stat(pcm);
    const durationSec = size / 32_000;
    if (durationSec === 0) return { durationSec, utterances: [] };
    const result = await pocketsphinx.transcribe({ audio: sliceSegment(pcm, 0, durationSec), signal });
    return { durationSec, utterances: result.utterances };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Memoises by content: the same bytes always give the same transcript, so repeat runs are cheap. */
export class TranscriptCache {
  readonly #entries = new Map<string, Promise<FakeTranscript>>();

  get(bytes: Uint8Array, filename: string, signal: AbortSignal, enabled: boolean): Promise<FakeTranscript> {
    if (!enabled) return transcribeFile(bytes, filename, signal);
    const key = createHash('sha256').update(bytes).digest('hex');
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = transcribeFile(bytes, filename, signal);
      this.#entries.set(key, entry);
      entry.catch(() => this.#entries.delete(key));
    }
    return entry;
  }
}

/** One memo for every fake server in the process: tests that start several servers pay once per upload. */
export const sharedTranscripts = new TranscriptCache();

const round = (t: number) => Math.round(t * 100) / 100;

/** Whisper's compression ratio: text bytes over zlib-compressed bytes (repetitive text scores high). */
function compressionRatioOf(text: string): number {
  const raw = Buffer.from(text, 'utf8');
  return raw.length === 0 ? 0 : round(raw.length / deflateSync(raw).length);
}

export interface RenderOptions {
  language: string;
  words: boolean;
  segments: boolean;
  compressionRatio?: number | undefined;
}

export function transcriptText(t: FakeTranscript): string {
  return t.utterances.map((u) => u.text).join(' ');
}

/** OpenAI's verbose_json: segments with whisper's quality fields, words when asked for. */
export function renderVerbose(t: FakeTranscript, options: RenderOptions): Record<string, unknown> {
  const text = transcriptText(t);
  const body: Record<string, unknown> = { task: 'transcribe', language: options.language, duration: round(t.durationSec), text };
  if (options.segments) {
    body.segments = t.utterances.map((u, id) => {
      const confidences = u.words.map((w) => Math.max(1e-3, w.confidence ?? 1));
      const avgLogprob = confidences.length ? confidences.reduce((s, c) => s + Math.log(c), 0) / confidences.length : -1;
      return {
        id,
        seek: 0,
        start: round(u.startSec),
        end: round(u.endSec),
        text: ` ${u.text}`,
        tokens: [],
        temperature: 0,
        avg_logprob: Math.round(avgLogprob * 1e4) / 1e4,
        compression_ratio: options.compressionRatio ?? compressionRatioOf(u.text),
        no_speech_prob: u.words.length > 0 ? 0.01 : 0.9,
      };
    });
  }
  if (options.words) {
    body.words = t.utterances.flatMap((u) => u.words.map((w) => ({ word: w.word, start: round(w.startSec), end: round(w.endSec) })));
  }
  return body;
}

function stamp(t: number, separator: ',' | '.'): string {
  const ms = Math.round(t * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

export function renderSubtitles(t: FakeTranscript, format: 'srt' | 'vtt'): string {
  const sep = format === 'srt' ? ',' : '.';
  const cues = t.utterances.map((u, i) => `${format === 'srt' ? `${i + 1}\n` : ''}${stamp(u.startSec, sep)} --> ${stamp(u.endSec, sep)}\n${u.text}\n`);
  return `${format === 'vtt' ? 'WEBVTT\n\n' : ''}${cues.join('\n')}`;
}
