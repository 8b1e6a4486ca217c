/**
 * Waveform peaks computed from the decoded PCM as it streams past (a decode tap), so a client can draw
 * an hour-long recording without decoding it: one byte per 20 ms (320 samples at 16 kHz), the largest
 * absolute sample in it scaled to 0–255. The file grows while the decode runs (`peaks.part`, readable
 * at any time) and is renamed `peaks.bin` once the decode has ended: 180 KB per hour of audio.
 */
import { open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { SAMPLE_RATE } from './decode.js';

export const PEAKS_PER_SEC = 50;
export const SAMPLES_PER_PEAK = SAMPLE_RATE / PEAKS_PER_SEC;
/** Peaks are written in batches of this many (5 s of audio), so a slow disk never holds back the decode. */
const FLUSH_EVERY = 250;

export function peaksPartPath(finalPath: string): string {
  return `${finalPath}.part`;
}

/** Scales a 16-bit magnitude (0–32768) to a byte; any sound at all shows as at least 1. */
function toByte(maxAbs: number): number {
  return maxAbs === 0 ? 0 : Math.max(1, Math.min(255, Math.round(maxAbs / 128)));
}

export class PeaksWriter {
  readonly #finalPath: string;
  readonly #pending: number[] = [];
  #handle: Promise<FileHandle>;
  #writing: Promise<void> = Promise.resolve();
  #failed: unknown;
  /** A sample split across two chunks: its first byte. */
  #carry: number | null = null;
  #inBucket = 0;
  #bucketMax = 0;
  #closed = false;

  constructor(finalPath: string) {
    this.#finalPath = finalPath;
    this.#handle = open(peaksPartPath(finalPath), 'w');
    this.#handle.catch((error) => (this.#failed ??= error));
  }

  /** One chunk of s16le PCM, in order. Synchronous: the bytes are written in the background. */
  push(chunk: Buffer): void {
    let offset = 0;
    if (this.#carry !== null && chunk.length > 0) {
      this.#sample((chunk[0]! << 8) | this.#carry);
      this.#carry = null;
      offset = 1;
    }
    for (; offset + 1 < chunk.length; offset += 2) this.#sample(chunk.readInt16LE(offset));
    if (offset < chunk.length) this.#carry = chunk[offset]!;
    if (this.#pending.length >= FLUSH_EVERY) this.#flush();
  }

  #sample(raw: number): void {
    // Two bytes joined across chunks come in unsigned; as int16:
    const value = raw > 32767 ? raw - 65536 : raw;
    const abs = value < 0 ? -value : value;
    if (abs > this.#bucketMax) this.#bucketMax = abs;
    if (++this.#inBucket === SAMPLES_PER_PEAK) {
      this.#pending.push(toByte(this.#bucketMax));
      this.#inBucket = 0;
      this.#bucketMax = 0;
    }
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = Buffer.from(this.#pending.splice(0));
    this.#writing = this.#writing.then(async () => {
      if (this.#failed) return;
      try {
        await (await this.#handle).write(bytes);
      } catch (error) {
        this.#failed ??= error;
      }
    });
  }

  /**
   * The decode has ended: the last partial peak is written and the file takes its final name. Never
   * throws (peaks are a view, never a reason for a job to fail): false when they could not be written.
   */
  async finish(): Promise<boolean> {
    if (this.#closed) return false;
    if (this.#inBucket > 0) this.#pending.push(toByte(this.#bucketMax));
    this.#inBucket = 0;
    this.#flush();
    await this.#close();
    if (this.#failed) return false;
    return rename(peaksPartPath(this.#finalPath), this.#finalPath).then(
      () => true,
      () => false,
    );
  }

  /** The decode failed or was stopped: what was computed stays readable as `.part`. A no-op after finish(). */
  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    await this.#close();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#writing;
    await (await this.#handle.catch(() => undefined))?.close().catch(() => undefined);
  }
}

export interface StoredPeaks {
  /** One byte per 20 ms of audio (0–255). */
  bytes: Buffer;
  /** The decode had ended when they were written (else: the audio decoded so far). */
  complete: boolean;
}

/** The peaks on disk: final, or still growing; undefined when there are none. */
export async function readPeaks(finalPath: string): Promise<StoredPeaks | undefined> {
  for (const [path, complete] of [[finalPath, true], [peaksPartPath(finalPath), false]] as const) {
    const bytes = await readFile(path).catch(() => undefined);
    // The final file can appear between the two reads: read it again rather than report a stale part.
    if (bytes) return { bytes, complete };
  }
  return (await stat(finalPath).catch(() => undefined)) ? { bytes: await readFile(finalPath), complete: true } : undefined;
}

/**
 * `points` values (0–1, three decimals) covering the peaks evenly, each the largest of its span; at
 * most as many as there are peaks.
 */
export function downsamplePeaks(bytes: Uint8Array, points: number): number[] {
  const n = Math.min(points, bytes.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * bytes.length) / n);
    const to = Math.max(from + 1, Math.floor(((i + 1) * bytes.length) / n));
    let max = 0;
    for (let j = from; j < to; j++) if (bytes[j]! > max) max = bytes[j]!;
    out[i] = Math.round((max / 255) * 1000) / 1000;
  }
  return out;
}
