/**
 * Decodes any input ffmpeg reads to 16 kHz mono s16le, streamed to a PCM file on disk. Memory stays
 * flat whatever the length: the stream is piped with back-pressure, and taps (the pause detector,
 * the progress bar) see each chunk once as it passes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isDiskFull, ParascribeError, storageFull } from '../errors.js';
import { refusedDemuxer, restrictedInputArgs, toolReason, unsupportedFormatMessage } from './ffmpeg-input.js';
import type { AudioInfo } from './probe.js';
import { spawnBound } from './process.js';

export const SAMPLE_RATE = 16000;
export const BYTES_PER_SEC = SAMPLE_RATE * 2;

export interface DecodeOptions {
  signal?: AbortSignal;
  /** Called for every chunk of PCM in order (e.g. the pause detector). */
  onPcm?: (chunk: Buffer) => void;
  /** Called with the decoded length so far. */
  onProgress?: (decodedSec: number) => void;
  /**
   * Called with the bytes now in the PCM file, after each write has completed: a reader of any range
   * below it sees whole data (the streaming pipeline dispatches segments on it). The taps run before
   * the write, so they are ahead of this.
   */
  onWritten?: (bytes: number) => void;
  /**
   * Stop with AUDIO_TOO_LONG once the PCM would pass this many bytes: a container can lie about its
   * length (the probe's check is not enough), and the PCM file is disk the job holds.
   */
  maxBytes?: { bytes: number; reason: string };
  /** Stop with DECODE_TIMEOUT after this much wall-clock time: the work limit for input that decodes slowly. */
  maxDecodeMs?: { ms: number; reason: string };
  /** One channel only (0 = left), for recordings with a speaker per channel; default: all channels mixed down. */
  channel?: number;
}

export interface DecodeResult {
  pcmPath: string;
  durationSec: number;
  bytes: number;
}

export async function decodeToPcmFile(info: AudioInfo, pcmPath: string, options: DecodeOptions = {}): Promise<DecodeResult> {
  // A channel is picked with ffmpeg's pan filter (channel n of the first audio stream, as mono).
  const mix = options.channel === undefined ? [] : ['-af', `pan=mono|c0=c${Math.trunc(options.channel)}`];
  const args = ['-nostdin', '-v', 'error', ...restrictedInputArgs(info.path), '-map', '0:a:0', '-vn', ...mix, '-ac', '1', '-ar', String(SAMPLE_RATE), '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1'];
  const { child, done } = spawnBound('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 16 * 1024) stderr += chunk.toString('utf8');
  });
  let bytes = 0;
  let timedOut = false;
  const deadline = options.maxDecodeMs;
  const timer = deadline
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, deadline.ms)
    : undefined;
  const limit = options.maxBytes;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (limit && bytes + chunk.length > limit.bytes) {
        child.kill('SIGKILL');
        callback(new ParascribeError('AUDIO_TOO_LONG', `${info.path}: ${limit.reason}`));
        return;
      }
      bytes += chunk.length;
      options.onPcm?.(chunk);
      options.onProgress?.(bytes / BYTES_PER_SEC);
      callback(null, chunk);
    },
  });
  const [streamed, exit] = await Promise.allSettled([pipeline(child.stdout!, tap, pcmFileSink(pcmPath, options.onWritten)), done]).finally(() => clearTimeout(timer));
  if (timedOut) throw new ParascribeError('DECODE_TIMEOUT', `${info.path}: ${deadline!.reason}`, { details: { maxDecodeSec: deadline!.ms / 1000 } });
  if (exit.status === 'rejected') throw exit.reason;
  if (exit.value.reason === 'aborted') throw new ParascribeError('ABORTED', 'decoding aborted');
  if (streamed.status === 'rejected') {
    if ((streamed.reason as ParascribeError).code === 'AUDIO_TOO_LONG') throw streamed.reason;
    if (isDiskFull(streamed.reason)) throw storageFull('decoding the audio', streamed.reason);
    throw new ParascribeError('INTERNAL', `writing decoded audio to ${pcmPath} failed: ${(streamed.reason as Error).message}`);
  }
  const durationSec = bytes / BYTES_PER_SEC;
  const refused = exit.value.exitCode !== 0 ? refusedDemuxer(stderr) : null;
  if (refused) throw new ParascribeError('UNSUPPORTED_FORMAT', `${info.path}: ${unsupportedFormatMessage(refused)}`, { details: { format: refused } });
  const firstError = toolReason(stderr, info.path, 'first');
  if (exit.value.exitCode !== 0) {
    throw new ParascribeError('CORRUPT_AUDIO', `${info.path}: cannot decode audio${firstError ? ` (${firstError})` : ''}`);
  }
  if (bytes === 0) throw new ParascribeError('EMPTY_AUDIO', `${info.path}: audio stream has zero length`);
  // A container that promises more than it holds was cut short (interrupted download or copy).
  if (info.durationSec !== null && info.durationSec - durationSec > Math.max(1, info.durationSec * 0.02)) {
    throw new ParascribeError(
      'CORRUPT_AUDIO',
      `${info.path}: truncated audio (header says ${info.durationSec.toFixed(1)} s, only ${durationSec.toFixed(1)} s decodable)`,
    );
  }
  return { pcmPath, durationSec, bytes };
}

/** A file sink that reports the bytes on disk after each completed write (fs.WriteStream reports none). */
function pcmFileSink(path: string, onWritten?: (bytes: number) => void): Writable {
  let handle: FileHandle | undefined;
  let written = 0;
  const writeAll = async (chunk: Buffer) => {
    // A regular file takes the whole buffer in one write, but the API allows a short one.
    for (let offset = 0; offset < chunk.length; ) offset += (await handle!.write(chunk, offset, chunk.length - offset)).bytesWritten;
    written += chunk.length;
    onWritten?.(written);
  };
  return new Writable({
    construct(callback) {
      open(path, 'w').then((opened) => {
        handle = opened;
        callback();
      }, callback);
    },
    write(chunk: Buffer, _encoding, callback) {
      writeAll(chunk).then(() => callback(), callback);
    },
    final(callback) {
      const closing = handle;
      handle = undefined;
      (closing ? closing.close() : Promise.resolve()).then(() => callback(), callback);
    },
    destroy(error, callback) {
      const closing = handle;
      handle = undefined;
      (closing ? closing.close() : Promise.resolve()).then(() => callback(error), () => callback(error));
    },
  });
}
