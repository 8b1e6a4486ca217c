/**
 * File names that fit: Linux file systems take at most 255 bytes per name (NAME_MAX), and a recording
 * called by a long (or multi-byte, e.g. CJK or emoji) name is ordinary. Shortening cuts whole
 * characters, never a UTF-8 sequence in half.
 */
export const NAME_MAX_BYTES = 255;

/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return out;
}

/** `stem.ext`, the stem shortened so the whole name fits in NAME_MAX_BYTES. */
export function fittedName(stem: string, extension: string): string {
  const suffix = `.${extension}`;
  return `${truncateUtf8(stem, NAME_MAX_BYTES - Buffer.byteLength(suffix))}${suffix}`;
}
