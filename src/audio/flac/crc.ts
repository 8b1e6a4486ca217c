/**
 * The two checksums of a FLAC frame (RFC 9639 §9.1.8 and §9.3): CRC-8 over the frame header
 * (polynomial x^8 + x^2 + x + 1) and CRC-16 over the whole frame (x^16 + x^15 + x^2 + 1). Both are
 * MSB-first with an initial value of 0, table-driven; CRC-16 takes four bytes a step ("slicing by 4":
 * table n holds a byte's CRC followed by n zero bytes).
 */

function table(bits: 8 | 16, poly: number): Uint16Array {
  const out = new Uint16Array(256);
  const top = 1 << (bits - 1);
  const mask = (1 << bits) - 1;
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << (bits - 8);
    for (let bit = 0; bit < 8; bit++) crc = crc & top ? ((crc << 1) ^ poly) & mask : (crc << 1) & mask;
    out[byte] = crc;
  }
  return out;
}

const CRC8 = table(8, 0x07);
const T0 = table(16, 0x8005);
/** The CRC-16 of one more zero byte after a register of `crc`. */
const shift = (crc: number): number => ((crc << 8) & 0xffff) ^ T0[crc >>> 8]!;
const T1 = T0.map(shift);
const T2 = T1.map(shift);
const T3 = T2.map(shift);

export function crc8(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = CRC8[crc ^ bytes[i]!]!;
  return crc;
}

export function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const x = crc ^ ((bytes[i]! << 8) | bytes[i + 1]!);
    crc = T3[x >>> 8]! ^ T2[x & 0xff]! ^ T1[bytes[i + 2]!]! ^ T0[bytes[i + 3]!]!;
  }
  for (; i < end; i++) crc = ((crc << 8) & 0xffff) ^ T0[(crc >>> 8) ^ bytes[i]!]!;
  return crc;
}
