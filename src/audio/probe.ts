/** ffprobe: what is in a file, and a clear, typed error when it is not usable audio. */
import { open, stat } from 'node:fs/promises';
import { ParascribeError } from '../errors.js';
import { imageFormat, isAllowedFormat, refusedDemuxer, restrictedInputArgs, toolReason, unsupportedFormatMessage } from './ffmpeg-input.js';
import { runTool } from './process.js';

export interface AudioInfo {
  path: string;
  sizeBytes: number;
  formatName: string;
  /** From the container or stream header; may be an estimate (mp3 without index) or absent. */
  durationSec: number | null;
  codec: string;
  sampleRate: number | null;
  channels: number | null;
  hasVideo: boolean;
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{ codec_type?: string; codec_name?: string; sample_rate?: string; channels?: number; duration?: string }>;
}

/** Leading bytes of containers ffmpeg reads: a file that starts like audio but fails to parse is corrupt, not foreign. */
const AUDIO_MAGIC: Array<{ offset: number; bytes: number[] }> = [
  { offset: 0, bytes: [...Buffer.from('RIFF')] },
  { offset: 0, bytes: [...Buffer.from('ID3')] },
  { offset: 0, bytes: [...Buffer.from('fLaC')] },
  { offset: 0, bytes: [...Buffer.from('OggS')] },
  { offset: 0, bytes: [...Buffer.from('FORM')] },
  { offset: 0, bytes: [...Buffer.from('#!AMR')] },
  { offset: 0, bytes: [...Buffer.from('caff')] },
  { offset: 0, bytes: [0x1a, 0x45, 0xdf, 0xa3] }, // Matroska / WebM
  { offset: 4, bytes: [...Buffer.from('ftyp')] }, // MP4 / M4A / MOV
  { offset: 0, bytes: [0xff, 0xfb] }, // MPEG audio frame sync
  { offset: 0, bytes: [0xff, 0xf3] },
  { offset: 0, bytes: [0xff, 0xf2] },
  { offset: 0, bytes: [0xff, 0xf1] }, // ADTS AAC
  { offset: 0, bytes: [0xff, 0xf9] },
];

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function looksLikeAudioContainer(head: Buffer): boolean {
  return AUDIO_MAGIC.some(({ offset, bytes }) => bytes.every((b, i) => head[offset + i] === b));
}

/** Checks that a path exists and is a readable regular file; returns its size. */
export async function statInput(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ParascribeError('INPUT_NOT_FOUND', `${path}: not a regular file`);
    return info.size;
  } catch (error) {
    if (error instanceof ParascribeError) throw error;
    throw new ParascribeError('INPUT_NOT_FOUND', `${path}: no such file`);
  }
}

export async function probeAudio(path: string, options: { signal?: AbortSignal } = {}): Promise<AudioInfo> {
  const sizeBytes = await statInput(path);
  if (sizeBytes === 0) throw new ParascribeError('EMPTY_AUDIO', `${path}: file is empty (0 bytes)`);
  const result = await runTool(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'format=format_name,duration:stream=codec_type,codec_name,sample_rate,channels,duration', '-of', 'json', ...restrictedInputArgs(path)],
    { timeoutMs: 60_000, ...(options.signal ? { signal: options.signal } : {}) },
  );
  let parsed: FfprobeJson = {};
  try {
    parsed = JSON.parse(result.stdout || '{}') as FfprobeJson;
  } catch {
    parsed = {};
  }
  // ffprobe refuses a demuxer off the allowlist before it reads the header, so nothing it names was opened.
  const refused = result.exitCode !== 0 ? refusedDemuxer(result.stderr) : null;
  const image = refused ? imageFormat(refused) : null;
  if (image) throw new ParascribeError('NOT_AUDIO', `${path}: no audio stream (found: ${image})`);
  if (refused) throw new ParascribeError('UNSUPPORTED_FORMAT', `${path}: ${unsupportedFormatMessage(refused)}`, { details: { format: refused } });
  if (parsed.format?.format_name && !isAllowedFormat(parsed.format.format_name)) {
    throw new ParascribeError('UNSUPPORTED_FORMAT', `${path}: ${unsupportedFormatMessage(parsed.format.format_name)}`, { details: { format: parsed.format.format_name } });
  }
  if (result.exitCode !== 0 || !parsed.format) {
    const reason = toolReason(result.stderr, path) || 'unreadable';
    if (looksLikeAudioContainer(await readHead(path, 16))) {
      throw new ParascribeError('CORRUPT_AUDIO', `${path}: corrupt or truncated audio (${reason})`);
    }
    throw new ParascribeError('NOT_AUDIO', `${path}: not an audio or video file ffmpeg can read`);
  }
  const streams = parsed.streams ?? [];
  const audio = streams.find((s) => s.codec_type === 'audio');
  const hasVideo = streams.some((s) => s.codec_type === 'video');
  if (!audio) {
    const found = [...new Set(streams.map((s) => s.codec_name ?? s.codec_type ?? 'unknown'))].join(', ') || 'nothing';
    throw new ParascribeError('NOT_AUDIO', `${path}: no audio stream (found: ${found})`);
  }
  const duration = Number(parsed.format.duration ?? audio.duration);
  return {
    path,
    sizeBytes,
    formatName: parsed.format.format_name ?? 'unknown',
    durationSec: Number.isFinite(duration) ? duration : null,
    codec: audio.codec_name ?? 'unknown',
    sampleRate: audio.sample_rate ? Number(audio.sample_rate) : null,
    channels: audio.channels ?? null,
    hasVideo,
  };
}

/**
 * A WAV's header declares its data size; ffprobe derives the duration from the file size instead, so a
 * truncated WAV would pass silently. Returns the declared and present data bytes, or null if unknown.
 */
export async function wavDataBytes(path: string, sizeBytes: number): Promise<{ declared: number; present: number } | null> {
  const head = await readHead(path, 4096);
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return null;
  let offset = 12;
  while (offset + 8 <= head.length) {
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    if (id === 'data') {
      // Streamed WAVs carry 0 or 0xFFFFFFFF: the size was unknown when the header was written.
      if (size === 0 || size === 0xffffffff) return null;
      return { declared: size, present: sizeBytes - (offset + 8) };
    }
    offset += 8 + size + (size % 2);
  }
  return null;
}
