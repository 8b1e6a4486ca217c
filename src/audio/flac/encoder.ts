/**
 * An in-process FLAC encoder (RFC 9639) for 16-bit signed little-endian PCM, 1 or 2 channels (stereo
 * as independent channels). PCM is pushed in chunks of any length, even split inside a sample; each
 * full block of 4096 samples is encoded at once, so at most one block of raw PCM is held, while the
 * encoded file grows in memory. `finish` encodes the short last block and patches STREAMINFO (total
 * samples, frame sizes, MD5 of the PCM), which are known only then, into the file's head.
 */
import { createHash, type Hash } from 'node:crypto';
import { endianness } from 'node:os';
import { ParascribeError } from '../../errors.js';
import { BitWriter } from './bit-writer.js';
import { crc16, crc8 } from './crc.js';
import { SubframeEncoder } from './subframe.js';

export interface FlacEncoderOptions {
  sampleRate: number;
  channels?: 1 | 2;
  /** Samples per block (16–65535); 4096 unless given. */
  blockSize?: number;
}

const BITS_PER_SAMPLE = 16;
/** On a little-endian machine, aligned s16le PCM can be read through an Int16Array view. */
const LITTLE_ENDIAN = endianness() === 'LE';
/** "fLaC", the STREAMINFO block header (last metadata block, type 0, 34 bytes), STREAMINFO. */
const STREAMINFO_OFFSET = 8;
const HEADER_BYTES = STREAMINFO_OFFSET + 34;

/** Frame-header sample-rate codes that name a rate outright (RFC 9639 §9.1.2). */
const RATE_CODES = new Map([
  [88200, 1], [176400, 2], [192000, 3], [8000, 4], [16000, 5], [22050, 6],
  [24000, 7], [32000, 8], [44100, 9], [48000, 10], [96000, 11],
]);

function blockSizeCode(n: number): { code: number; extraBits: number } {
  if (n === 192) return { code: 1, extraBits: 0 };
  for (let c = 2; c <= 5; c++) if (n === 576 << (c - 2)) return { code: c, extraBits: 0 };
  for (let c = 8; c <= 15; c++) if (n === 256 << (c - 8)) return { code: c, extraBits: 0 };
  return n <= 256 ? { code: 6, extraBits: 8 } : { code: 7, extraBits: 16 };
}

function sampleRateCode(rate: number): { code: number; extra: number; extraBits: number } {
  const named = RATE_CODES.get(rate);
  if (named !== undefined) return { code: named, extra: 0, extraBits: 0 };
  if (rate % 1000 === 0 && rate / 1000 <= 255) return { code: 12, extra: rate / 1000, extraBits: 8 };
  if (rate <= 0xffff) return { code: 13, extra: rate, extraBits: 16 };
  if (rate % 10 === 0 && rate / 10 <= 0xffff) return { code: 14, extra: rate / 10, extraBits: 16 };
  return { code: 0, extra: 0, extraBits: 0 }; // taken from STREAMINFO
}

/** The frame number in FLAC's extended UTF-8 coding (up to 36 bits in 7 bytes). */
function writeCodedNumber(w: BitWriter, value: number): void {
  if (value < 0x80) {
    w.writeBits(value, 8);
    return;
  }
  // c continuation bytes carry 6 bits each, the leading byte 6 - c: 5c + 6 bits in all.
  let continuation = 1;
  while (value >= 2 ** (5 * continuation + 6) && continuation < 6) continuation++;
  const lead = (0xff << (7 - continuation)) & 0xff;
  w.writeBits(lead | Math.floor(value / 2 ** (6 * continuation)), 8);
  for (let i = continuation - 1; i >= 0; i--) w.writeBits(0x80 | (Math.floor(value / 2 ** (6 * i)) & 0x3f), 8);
}

export class FlacEncoder {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly blockSize: number;
  private readonly out: BitWriter;
  private readonly md5: Hash = createHash('md5');
  private readonly subframes: SubframeEncoder;
  /** The current block, one array per channel, `fill` samples long so far. */
  private readonly block: Int32Array[];
  private fill = 0;
  /** Bytes of an incomplete sample frame carried over from the previous chunk. */
  private readonly carry: Buffer;
  private carryBytes = 0;
  private frameNumber = 0;
  private totalSamples = 0;
  private minFrameBytes = Infinity;
  private maxFrameBytes = 0;
  private finished = false;

  constructor(options: FlacEncoderOptions) {
    const { sampleRate, channels = 1, blockSize = 4096 } = options;
    if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xfffff)
      throw new RangeError(`FLAC cannot express a sample rate of ${sampleRate} Hz`);
    if (channels !== 1 && channels !== 2) throw new RangeError(`channels must be 1 or 2, not ${String(channels)}`);
    if (!Number.isInteger(blockSize) || blockSize < 16 || blockSize > 65535) throw new RangeError(`bad block size ${blockSize}`);
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.blockSize = blockSize;
    this.block = Array.from({ length: channels }, () => new Int32Array(blockSize));
    this.carry = Buffer.alloc(2 * channels);
    this.subframes = new SubframeEncoder(blockSize, BITS_PER_SAMPLE);
    this.out = new BitWriter(1 << 20);
    this.out.ensure(HEADER_BYTES);
    this.out.pos = HEADER_BYTES; // "fLaC" and STREAMINFO are written by finish()
  }

  /** Adds PCM (s16le, channels interleaved); a chunk may end in the middle of a sample. */
  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('FlacEncoder: push after finish');
    let offset = 0;
    const frameBytes = this.carry.length;
    if (this.carryBytes > 0) {
      const take = Math.min(frameBytes - this.carryBytes, chunk.length);
      this.carry.set(chunk.subarray(0, take), this.carryBytes);
      this.carryBytes += take;
      offset = take;
      if (this.carryBytes < frameBytes) return;
      this.consume(this.carry, 0, frameBytes);
      this.carryBytes = 0;
    }
    const whole = offset + Math.floor((chunk.length - offset) / frameBytes) * frameBytes;
    this.consume(chunk, offset, whole);
    if (whole < chunk.length) {
      this.carry.set(chunk.subarray(whole), 0);
      this.carryBytes = chunk.length - whole;
    }
  }

  /** Encodes what is left and returns the whole file. Trailing bytes short of a whole sample are dropped. */
  finish(): Buffer {
    if (this.finished) throw new Error('FlacEncoder: finish called twice');
    this.finished = true;
    if (this.fill > 0) this.encodeBlock();
    const end = this.out.pos;
    this.out.pos = 0;
    this.writeHead();
    this.out.pos = end;
    return this.out.toBuffer();
  }

  /** Bytes [start, end) of `bytes`: whole sample frames. */
  private consume(bytes: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.md5.update(bytes.subarray(start, end));
    const channels = this.channels;
    const [left, right] = this.block as [Int32Array, Int32Array | undefined];
    let i = start;
    while (i < end) {
      const room = this.blockSize - this.fill;
      const stop = Math.min(end, i + room * 2 * channels);
      let fill = this.fill;
      if (channels === 1 && LITTLE_ENDIAN && (bytes.byteOffset + i) % 2 === 0) {
        const count = (stop - i) >> 1;
        left.set(new Int16Array(bytes.buffer, bytes.byteOffset + i, count), fill);
        fill += count;
        i = stop;
      } else if (channels === 1) {
        for (; i < stop; i += 2) left[fill++] = ((bytes[i]! | (bytes[i + 1]! << 8)) << 16) >> 16;
      } else {
        for (; i < stop; i += 4) {
          left[fill] = ((bytes[i]! | (bytes[i + 1]! << 8)) << 16) >> 16;
          right![fill++] = ((bytes[i + 2]! | (bytes[i + 3]! << 8)) << 16) >> 16;
        }
      }
      this.fill = fill;
      if (fill === this.blockSize) this.encodeBlock();
    }
  }

  private encodeBlock(): void {
    const w = this.out;
    const n = this.fill;
    const start = w.pos;
    const size = blockSizeCode(n);
    const rate = sampleRateCode(this.sampleRate);
    w.ensure(32);
    w.writeBits(0xfff8, 16); // sync code, reserved 0, fixed block size
    w.writeBits(size.code, 4);
    w.writeBits(rate.code, 4);
    w.writeBits(this.channels - 1, 4); // 0: mono, 1: left/right
    w.writeBits(0b100, 3); // 16 bits per sample
    w.writeBits(0, 1);
    writeCodedNumber(w, this.frameNumber);
    if (size.extraBits > 0) w.writeBits(n - 1, size.extraBits);
    if (rate.extraBits > 0) w.writeBits(rate.extra, rate.extraBits);
    w.alignToByte(); // the header is whole bytes: this only stores them
    w.writeBits(crc8(w.buf, start, w.pos), 8);
    for (const channel of this.block) this.subframes.write(w, channel, n);
    w.alignToByte();
    w.ensure(2);
    w.writeBits(crc16(w.buf, start, w.pos), 16);
    w.alignToByte();
    const bytes = w.pos - start;
    this.minFrameBytes = Math.min(this.minFrameBytes, bytes);
    this.maxFrameBytes = Math.max(this.maxFrameBytes, bytes);
    this.totalSamples += n;
    this.frameNumber++;
    this.fill = 0;
  }

  private writeHead(): void {
    const w = this.out;
    w.writeBits(0x664c6143, 32); // "fLaC"
    w.writeBits(0x80, 8); // last metadata block, type 0 (STREAMINFO)
    w.writeBits(34, 24);
    w.writeBits(this.blockSize, 16); // minimum block size (the last block may be shorter)
    w.writeBits(this.blockSize, 16); // maximum block size
    w.writeBits(this.frameNumber > 0 ? this.minFrameBytes : 0, 24); // 0: unknown
    w.writeBits(this.maxFrameBytes, 24);
    w.writeBits(this.sampleRate, 20);
    w.writeBits(this.channels - 1, 3);
    w.writeBits(BITS_PER_SAMPLE - 1, 5);
    w.writeBits(Math.floor(this.totalSamples / 2 ** 32), 4);
    w.writeBits(this.totalSamples >>> 0, 32);
    const digest = this.md5.digest();
    for (const byte of digest) w.writeBits(byte, 8);
    w.alignToByte();
  }
}

/** Encodes a stream of s16le PCM to a FLAC file in memory; the signal is checked between chunks. */
export async function encodeFlac(pcm: AsyncIterable<Uint8Array>, options: FlacEncoderOptions, signal?: AbortSignal): Promise<Buffer> {
  const encoder = new FlacEncoder(options);
  // Checked inside the loop, so that leaving it closes the stream (an unread file stream would stay open).
  for await (const chunk of pcm) {
    if (signal?.aborted) throw new ParascribeError('ABORTED', 'aborted while encoding FLAC');
    encoder.push(chunk);
  }
  if (signal?.aborted) throw new ParascribeError('ABORTED', 'aborted while encoding FLAC');
  return encoder.finish();
}
