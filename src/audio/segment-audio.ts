/** One segment's audio: a byte range of the decoded PCM file, readable as a stream or a WAV file. */
import { close, createReadStream, createWriteStream, openSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BYTES_PER_SEC, SAMPLE_RATE } from './decode.js';

export interface SegmentAudio {
  /** Identifies this audio (source file and byte range), e.g. to match a prefetched upload. */
  readonly id: string;
  readonly startSec: number;
  readonly endSec: number;
  readonly durationSec: number;
  readonly sampleRate: number;
  /** 16 kHz mono s16le PCM of just this segment. */
  openPcm(): Readable;
  /** Writes the segment as a 16 kHz mono s16 WAV (for engines or endpoints that want a file). */
  writeWav(path: string, signal?: AbortSignal): Promise<void>;
  /**
   * The same audio, readable until `release()` even after its file is removed (it holds the file
   * open): for work that outlives the job that owns the file (a shadow transcription). Synchronous and
   * copies nothing. Absent where the audio cannot be held.
   */
  pin?(): PinnedSegmentAudio;
}

export interface PinnedSegmentAudio extends SegmentAudio {
  release(): void;
}

export function wavHeader(dataBytes: number, sampleRate = SAMPLE_RATE): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export function sliceSegment(pcmPath: string, startSec: number, endSec: number): SegmentAudio {
  // Byte offsets on whole samples.
  return pcmRange(pcmPath, Math.floor(startSec * SAMPLE_RATE) * 2, Math.floor(endSec * SAMPLE_RATE) * 2, startSec, endSec);
}

/**
 * A segment whose PCM lies in `path` from `offsetBytes` on (after a WAV header, say), e.g. one a
 * queue worker downloaded; `startSec`/`endSec` are its place in the recording.
 */
export function segmentFromFile(path: string, offsetBytes: number, dataBytes: number, startSec: number, endSec: number): SegmentAudio {
  return pcmRange(path, offsetBytes, offsetBytes + dataBytes, startSec, endSec);
}

function pcmRange(pcmPath: string, startByte: number, endByte: number, startSec: number, endSec: number, fd?: number): SegmentAudio {
  // On a held descriptor: positional reads (several streams may share it), never closed by a stream.
  const openPcm = (): Readable =>
    endByte > startByte
      ? createReadStream(pcmPath, { start: startByte, end: endByte - 1, ...(fd === undefined ? {} : { fd, autoClose: false }) })
      : Readable.from([]);
  return {
    id: `${pcmPath}#${startByte}-${endByte}`,
    startSec,
    endSec,
    durationSec: (endByte - startByte) / BYTES_PER_SEC,
    sampleRate: SAMPLE_RATE,
    openPcm,
    async writeWav(path, signal) {
      const header = Readable.from([wavHeader(endByte - startByte)]);
      await pipeline(
        async function* () {
          yield* header;
          yield* openPcm();
        },
        createWriteStream(path),
        ...(signal ? [{ signal }] : []),
      );
    },
    pin() {
      const held = openSync(pcmPath, 'r');
      let open = true;
      return {
        ...pcmRange(pcmPath, startByte, endByte, startSec, endSec, held),
        release() {
          if (open) close(held, () => {});
          open = false;
        },
      };
    },
  };
}

/** Digital silence held in memory: a tiny request body (e.g. to wake a scale-to-zero endpoint). */
export function silentSegment(durationSec: number): SegmentAudio {
  const bytes = Math.round(durationSec * SAMPLE_RATE) * 2;
  const openPcm = (): Readable => Readable.from([Buffer.alloc(bytes)]);
  return {
    id: `silence#${bytes}`,
    startSec: 0,
    endSec: bytes / BYTES_PER_SEC,
    durationSec: bytes / BYTES_PER_SEC,
    sampleRate: SAMPLE_RATE,
    openPcm,
    async writeWav(path, signal) {
      await pipeline(Readable.from([wavHeader(bytes), Buffer.alloc(bytes)]), createWriteStream(path), ...(signal ? [{ signal }] : []));
    },
  };
}
