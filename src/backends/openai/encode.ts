/**
 * Turns a segment's 16 kHz mono PCM into the bytes to upload, in memory (a 60 s segment is ~1 MB of
 * FLAC), so there is no temp file to clean up. WAV is the PCM behind a header. FLAC is encoded
 * in-process (src/audio/flac, no subprocess: an ffmpeg spawn per segment cost more than the encoding
 * itself), the signal checked between chunks. Opus pipes the PCM through ffmpeg's stdin and collects
 * its stdout; the signal kills ffmpeg.
 */
import { pipeline } from 'node:stream/promises';
import type { SegmentAudio } from '../../audio/segment-audio.js';
import { wavHeader } from '../../audio/segment-audio.js';
import { encodeFlac } from '../../audio/flac/encoder.js';
import { spawnBound } from '../../audio/process.js';
import { isParascribeError, ParascribeError } from '../../errors.js';
import type { UploadFormat } from './settings.js';

export interface EncodedUpload {
  bytes: Buffer;
  filename: string;
  contentType: string;
  encodeMs: number;
}

/** Opus bit rate: speech at 16 kHz mono; see docs/backends-openai.md for the measurement. */
export const OPUS_BITRATE = '24k';

/**
 * Bytes per audio second to plan segment lengths with, per format (16 kHz mono). WAV is exact; FLAC
 * compresses speech to about 45–60 % of the PCM (the GPL preamble: 17.9 kB/s, 56 %), so 60 % is
 * planned and a noisier segment that comes out larger is re-encoded as Opus; Opus is 24 kbit/s plus
 * Ogg framing.
 */
export const PLANNING_BYTES_PER_AUDIO_SEC: Record<UploadFormat, number> = { wav: 32_000, flac: 19_200, opus: 3_300 };

/** The longest segment planned to fit an upload limit in this format (a second of margin for headers). */
export function maxSegmentSecFor(maxUploadBytes: number, format: UploadFormat): number {
  return Math.max(1, Math.floor(maxUploadBytes / PLANNING_BYTES_PER_AUDIO_SEC[format]) - 1);
}

/** What ffmpeg is asked for (Opus only: FLAC and WAV need no subprocess). */
const FFMPEG_FORMATS: Record<Exclude<UploadFormat, 'wav' | 'flac'>, { args: string[]; filename: string; contentType: string }> = {
  opus: {
    args: ['-c:a', 'libopus', '-b:a', OPUS_BITRATE, '-application', 'voip', '-f', 'ogg'],
    filename: 'segment.ogg',
    contentType: 'audio/ogg',
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

export async function encodeSegment(audio: SegmentAudio, format: UploadFormat, signal: AbortSignal): Promise<EncodedUpload> {
  const started = performance.now();
  if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
  if (format === 'wav') {
    const pcm = await readAll(audio.openPcm());
    return { bytes: Buffer.concat([wavHeader(pcm.length, audio.sampleRate), pcm]), filename: 'segment.wav', contentType: 'audio/wav', encodeMs: performance.now() - started };
  }
  if (format === 'flac') {
    let bytes: Buffer;
    try {
      bytes = await encodeFlac(audio.openPcm(), { sampleRate: audio.sampleRate, channels: 1 }, signal);
    } catch (error) {
      if (isParascribeError(error)) throw error; // ABORTED
      throw new ParascribeError('BACKEND_FAILED', `could not encode the segment as flac: ${(error as Error).message}`, {
        isRetryable: false,
        cause: error,
      });
    }
    return { bytes, filename: 'segment.flac', contentType: 'audio/flac', encodeMs: performance.now() - started };
  }
  const spec = FFMPEG_FORMATS[format];
  const args = ['-hide_banner', '-v', 'error', '-f', 's16le', '-ar', String(audio.sampleRate), '-ac', '1', '-i', 'pipe:0', ...spec.args, 'pipe:1'];
  const timeoutMs = 30_000 + audio.durationSec * 1_000;
  const { child, done } = spawnBound('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'], signal, timeoutMs });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 8 * 1024) stderr += chunk.toString('utf8');
  });
  // EPIPE when ffmpeg dies early: its exit status tells the story.
  const feeding = pipeline(audio.openPcm(), child.stdin!).catch(() => undefined);
  const [bytes, exit] = await Promise.all([readAll(child.stdout!), done, feeding]).then(([b, e]) => [b, e] as const);
  if (exit.reason === 'aborted') throw new ParascribeError('ABORTED', 'aborted while encoding the segment');
  if (exit.reason === 'timeout') throw new ParascribeError('SEGMENT_TIMEOUT', `encoding the segment as ${format} timed out`);
  if (exit.exitCode !== 0 || bytes.length === 0) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    throw new ParascribeError('BACKEND_FAILED', `ffmpeg could not encode the segment as ${format}${last ? `: ${last}` : ''}`, {
      isRetryable: false,
    });
  }
  return { bytes, filename: spec.filename, contentType: spec.contentType, encodeMs: performance.now() - started };
}
