import type { Pause } from '../core/types.js';
/**
 * Pause detection over the 16 kHz mono s16le stream the decoder already produces (so it costs no extra
 * decode). Constant memory: a frame accumulator and a sliding-window minimum for the noise floor.
 * A frame is silent when it is close to the local noise floor and quiet in absolute terms.
 */

export interface EnergyDetectorOptions {
  sampleRate?: number;
  frameMs?: number;
  /** Shortest run of silent frames that counts as a pause. */
  minPauseSec?: number;
  /** A frame within this many dB of the local noise floor is silent... */
  marginDb?: number;
  /** ...and so is any frame below this (dBFS)... */
  baseSilenceDb?: number;
  /** ...but never one louder than this (dBFS). */
  maxSilenceDb?: number;
  /** The noise floor is this percentile of frame levels over the last `floorWindowSec`. */
  floorPercentile?: number;
  floorWindowSec?: number;
}

const MIN_DB = -90; // frames are clamped to [MIN_DB, 0] so digital silence does not drag the floor away

export class EnergyPauseDetector {
  readonly #frameSamples: number;
  readonly #frameSec: number;
  readonly #minPauseFrames: number;
  readonly #marginDb: number;
  readonly #baseSilenceDb: number;
  readonly #maxSilenceDb: number;
  readonly #floorPercentile: number;
  readonly #pauses: Pause[] = [];
  // Sliding window of frame levels (whole dB) as a ring buffer plus a histogram: O(1) per frame.
  readonly #window: Uint8Array;
  readonly #histogram = new Uint32Array(-MIN_DB + 1);
  #windowFill = 0;
  #carry: Buffer | null = null;
  #sumSquares = 0;
  #samplesInFrame = 0;
  #frameIndex = 0;
  #silentRunStart = -1;

  constructor(options: EnergyDetectorOptions = {}) {
    const sampleRate = options.sampleRate ?? 16000;
    const frameMs = options.frameMs ?? 20;
    this.#frameSamples = Math.round((sampleRate * frameMs) / 1000);
    this.#frameSec = frameMs / 1000;
    this.#minPauseFrames = Math.ceil((options.minPauseSec ?? 0.2) / this.#frameSec - 1e-9);
    this.#marginDb = options.marginDb ?? 10;
    this.#baseSilenceDb = options.baseSilenceDb ?? -45;
    this.#maxSilenceDb = options.maxSilenceDb ?? -30;
    this.#floorPercentile = options.floorPercentile ?? 0.15;
    this.#window = new Uint8Array(Math.max(1, Math.round((options.floorWindowSec ?? 10) / this.#frameSec)));
  }
  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#carry) {
      data = Buffer.concat([this.#carry, chunk]);
      this.#carry = null;
    }
    const usable = data.length - (data.length % 2);
    if (usable < data.length) this.#carry = Buffer.from(data.subarray(usable));
    // An Int16Array view needs 2-byte alignment; copy the (rare) unaligned chunk.
    const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data.subarray(0, usable));
    const samples = new Int16Array(aligned.buffer, aligned.byteOffset, usable / 2);
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      this.#sumSquares += sample * sample;
      if (++this.#samplesInFrame === this.#frameSamples) this.#endFrame();
    }
  }

  /** Pauses found so far, in time order (the live list: it grows as audio is pushed and on finish). */
  get pauses(): readonly Pause[] {
    return this.#pauses;
  }

  /**
   * How far the output is final (s): every pause not yet in `pauses` starts at or after this time, so
   * its midpoint lies after it. A silent run still open at the decode position may end later as a
   * pause (its midpoint anywhere after its start), so while one is open this is its start; otherwise
   * it is the end of the last whole frame seen. The streaming planner cuts only behind it.
   */
  get finalSec(): number {
    return (this.#silentRunStart >= 0 ? this.#silentRunStart : this.#frameIndex) * this.#frameSec;
  }

  /** Ends the stream; a silent run reaching the end counts as a pause (long silences hold cut points). */
  finish(): Pause[] {
    if (this.#silentRunStart >= 0 && this.#frameIndex - this.#silentRunStart >= this.#minPauseFrames) {
      this.#pauses.push({ startSec: this.#silentRunStart * this.#frameSec, endSec: this.#frameIndex * this.#frameSec });
      this.#silentRunStart = -1;
    }
    return this.#pauses;
  }

  #noiseFloorDb(): number {
    const rank = Math.floor(this.#windowFill * this.#floorPercentile);
    let seen = 0;
    for (let bin = 0; bin < this.#histogram.length; bin++) {
      seen += this.#histogram[bin]!;
      if (seen > rank) return MIN_DB + bin;
    }
    return MIN_DB;
  }

  #endFrame(): void {
    const meanSquare = this.#sumSquares / this.#samplesInFrame / (32768 * 32768);
    const db = 10 * Math.log10(meanSquare + 1e-12);
    this.#sumSquares = 0;
    this.#samplesInFrame = 0;
    const index = this.#frameIndex++;

    const bin = Math.round(Math.min(0, Math.max(MIN_DB, db))) - MIN_DB;
    const slot = index % this.#window.length;
    if (this.#windowFill === this.#window.length) this.#histogram[this.#window[slot]!]!--;
    else this.#windowFill++;
    this.#window[slot] = bin;
    this.#histogram[bin]!++;

    const thresholdDb = Math.min(this.#maxSilenceDb, Math.max(this.#noiseFloorDb() + this.#marginDb, this.#baseSilenceDb));
    if (db < thresholdDb) {
      if (this.#silentRunStart < 0) this.#silentRunStart = index;
    } else if (this.#silentRunStart >= 0) {
      if (index - this.#silentRunStart >= this.#minPauseFrames) {
        this.#pauses.push({ startSec: this.#silentRunStart * this.#frameSec, endSec: index * this.#frameSec });
      }
      this.#silentRunStart = -1;
    }
  }
}
