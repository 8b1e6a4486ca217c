/**
 * An MSB-first bit writer over one growable byte buffer (the whole encoded file lives here). Bits
 * gather in a 32-bit word that is stored, big-endian, each time it fills; the hot Rice loop keeps
 * that word in locals.
 */

export interface BitMark {
  pos: number;
  acc: number;
  used: number;
}

/** MASK[n]: the low n bits set, n = 0..32. */
const MASK = Int32Array.from({ length: 33 }, (_, n) => (n === 32 ? -1 : (1 << n) - 1));

export class BitWriter {
  buf: Uint8Array;
  /** Next byte to write. */
  pos = 0;
  /** Pending bits: the low `used` (0–31) bits of `acc`. */
  private acc = 0;
  private used = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = new Uint8Array(Math.max(64, initialBytes));
  }

  /** Makes room for `bytes` more bytes. */
  ensure(bytes: number): void {
    const need = this.pos + bytes + 8;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.pos * 8 + this.used;
  }

  mark(): BitMark {
    return { pos: this.pos, acc: this.acc, used: this.used };
  }

  /** Forgets everything written since `mark` (the bytes after it are overwritten later). */
  rewind(mark: BitMark): void {
    this.pos = mark.pos;
    this.acc = mark.acc;
    this.used = mark.used;
  }

  /** Writes the low `n` bits of `value` (0 ≤ n ≤ 32). The caller has called `ensure`. */
  writeBits(value: number, n: number): void {
    if (n > 24) {
      this.writeBits(Math.floor(value / 0x10000), n - 16);
      this.writeBits(value, 16);
      return;
    }
    const free = 32 - this.used;
    if (n < free) {
      this.acc = (this.acc << n) | (value & MASK[n]!);
      this.used += n;
      return;
    }
    const rest = n - free;
    this.store((this.acc << free) | ((value >>> rest) & MASK[free]!));
    this.acc = value & MASK[rest]!;
    this.used = rest;
  }

  private store(word: number): void {
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = word >>> 24;
    buf[pos + 1] = word >>> 16;
    buf[pos + 2] = word >>> 8;
    buf[pos + 3] = word;
    this.pos = pos + 4;
  }

  /** Pads with zero bits to the next byte boundary and stores the pending bytes. */
  alignToByte(): void {
    if (this.used % 8 !== 0) this.writeBits(0, 8 - (this.used % 8));
    const buf = this.buf;
    for (let left = this.used; left > 0; left -= 8) buf[this.pos++] = this.acc >>> (left - 8);
    this.acc = 0;
    this.used = 0;
  }

  /**
   * Rice-codes residuals `res[start..end)` with parameter k ≤ 30: each value zigzag-folded to u,
   * then u >>> k in unary (zeros ended by a one) and the low k bits of u. Needs |r| < 2^30. The
   * caller has called `ensure` with the partition's exact size.
   */
  writeRice(res: Int32Array, start: number, end: number, k: number): void {
    const buf = this.buf;
    const low = MASK[k]!;
    const stop = 1 << k;
    let acc = this.acc;
    let used = this.used;
    let pos = this.pos;
    for (let i = start; i < end; i++) {
      const r = res[i]!;
      const u = (r << 1) ^ (r >> 31);
      let n = (u >>> k) + k + 1;
      const value = stop | (u & low);
      if (n > 31) {
        // A long code: the unary zeros first, a word at a time; then the stop bit and the low bits.
        let zeros = n - k - 1;
        while (zeros > 0) {
          const z = Math.min(zeros, 32 - used);
          acc = z === 32 ? 0 : acc << z;
          used += z;
          zeros -= z;
          if (used === 32) {
            buf[pos] = acc >>> 24;
            buf[pos + 1] = acc >>> 16;
            buf[pos + 2] = acc >>> 8;
            buf[pos + 3] = acc;
            pos += 4;
            acc = 0;
            used = 0;
          }
        }
        n = k + 1;
      }
      const free = 32 - used;
      if (n < free) {
        acc = (acc << n) | value;
        used += n;
      } else {
        const rest = n - free;
        const word = (acc << free) | (value >>> rest); // free < 32 here, as n ≤ 31
        buf[pos] = word >>> 24;
        buf[pos + 1] = word >>> 16;
        buf[pos + 2] = word >>> 8;
        buf[pos + 3] = word;
        pos += 4;
        acc = value & MASK[rest]!;
        used = rest;
      }
    }
    this.acc = acc;
    this.used = used;
    this.pos = pos;
  }

  /** The bytes written so far (after `alignToByte`), as a copy. */
  toBuffer(): Buffer {
    if (this.used !== 0) throw new Error('BitWriter: not byte-aligned');
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
