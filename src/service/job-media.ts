/**
 * What the UI's player shows of a job beside its transcript: the original upload (kept for
 * `serve.keepUploadHours` after the job ends) and the waveform peaks written during the decode. A job
 * that never decoded (answered from the transcript cache) gets its peaks computed on first request.
 */
import { open, stat } from 'node:fs/promises';
import { decodeToPcmFile } from '../audio/decode.js';
import { downsamplePeaks, PEAKS_PER_SEC, PeaksWriter, readPeaks } from '../audio/peaks.js';
import { probeAudio } from '../audio/probe.js';
import { ParascribeError } from '../errors.js';
import type { JobRow } from '../store/jobs.js';
import type { JobFiles } from './uploads.js';
import { TERMINAL_STATUSES } from './views.js';

export const MAX_PEAK_POINTS = 100_000;
export const DEFAULT_PEAK_POINTS = 4_000;

export interface PeaksView {
  object: 'transcription.peaks';
  job_id: string;
  /** false while the audio is still being decoded: the peaks cover `decoded_sec` of `duration_sec`. */
  complete: boolean;
  duration_sec: number | null;
  decoded_sec: number;
  /** Seconds of audio per value. */
  sec_per_point: number;
  /** Largest absolute amplitude of each span, 0–1. */
  data: number[];
}

/** The job's upload on disk and its content type; AUDIO_GONE once it was deleted. */
export async function jobAudio(files: JobFiles, row: JobRow): Promise<{ path: string; contentType: string }> {
  const path = files.input(row.id);
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) {
    throw new ParascribeError('AUDIO_GONE', `job ${row.id} no longer holds its upload (uploads are kept for serve.keepUploadHours after the job ends)`);
  }
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    return { path, contentType: sniffAudioType(head.subarray(0, bytesRead)) };
  } finally {
    await handle.close();
  }
}

export class PeaksSource {
  /** Jobs whose peaks are being computed on request: one decode each, however many ask. */
  readonly #computing = new Map<string, Promise<void>>();

  constructor(private readonly files: JobFiles) {}

  async view(row: JobRow, points: number): Promise<PeaksView> {
    let stored = await readPeaks(this.files.peaks(row.id));
    if (!stored && TERMINAL_STATUSES.has(row.status)) {
      await this.#compute(row.id);
      stored = await readPeaks(this.files.peaks(row.id));
    }
    const bytes = stored?.bytes ?? Buffer.alloc(0);
    const data = downsamplePeaks(bytes, points);
    const decodedSec = bytes.length / PEAKS_PER_SEC;
    return {
      object: 'transcription.peaks',
      job_id: row.id,
      complete: stored?.complete ?? false,
      duration_sec: row.duration_sec,
      decoded_sec: Number(decodedSec.toFixed(3)),
      sec_per_point: data.length > 0 ? Number((decodedSec / data.length).toFixed(6)) : 0,
      data,
    };
  }

  /** Decodes the kept upload once, for its peaks only (the PCM goes nowhere). */
  #compute(jobId: string): Promise<void> {
    let running = this.#computing.get(jobId);
    if (!running) {
      running = (async () => {
        const input = this.files.input(jobId);
        if (!(await stat(input).catch(() => undefined))) return;
        const writer = new PeaksWriter(this.files.peaks(jobId));
        try {
          const info = await probeAudio(input, { signal: AbortSignal.timeout(60_000) });
          await decodeToPcmFile(info, '/dev/null', { onPcm: (chunk) => writer.push(chunk), signal: AbortSignal.timeout(600_000) });
          await writer.finish();
        } catch {
          // No peaks is an answer too (an empty, incomplete list); the transcript does not depend on them.
        } finally {
          await writer.abort();
        }
      })().finally(() => this.#computing.delete(jobId));
      this.#computing.set(jobId, running);
    }
    return running;
  }
}

/** The container from its first bytes (what browsers want in Content-Type), not from the client's file name. */
export function sniffAudioType(head: Uint8Array): string {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'audio/wav';
  if (ascii(0, 4) === 'fLaC') return 'audio/flac';
  if (ascii(0, 4) === 'OggS') return 'audio/ogg';
  if (ascii(0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0 && ((head[1] ?? 0) & 0x06) !== 0)) return 'audio/mpeg';
  if (ascii(4, 8) === 'ftyp') return 'audio/mp4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'audio/webm';
  if (head[0] === 0xff && ((head[1] ?? 0) & 0xf6) === 0xf0) return 'audio/aac';
  return 'application/octet-stream';
}
