/**
 * The file name to show for a downloaded URL: from Content-Disposition, else the URL's last path
 * segment, reduced to a plain, harmless basename.
 */

const MAX_NAME_CHARS = 200;
/** C0/C1 controls and bidi overrides / marks that can disguise a name (`evil\u202Eexe.mp3`). */
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A plain basename: no path separators, `..`, control characters or leading dots; ≤ 200 characters; null if nothing is left. */
export function sanitizeFilename(raw: string): string | null {
  const withoutControls = raw.replace(UNSAFE_CHARS, '');
  const base = withoutControls.split(/[\\/]/).pop() ?? '';
  const name = base
    .replace(/\.{2,}/g, '.')
    .trim()
    .replace(/^\.+/, '')
    .replace(/[.\s]+$/, '');
  if (name === '') return null;
  const chars = Array.from(name);
  if (chars.length <= MAX_NAME_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (ext.length === 0 || ext.length > 16) return chars.slice(0, MAX_NAME_CHARS).join('').trimEnd();
  return Array.from(name.slice(0, dot)).slice(0, MAX_NAME_CHARS - ext.length).join('') + ext.join('');
}

function decodeExtValue(value: string): string | null {
  // RFC 8187: charset'language'percent-encoded
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!match) return null;
  const charset = match[1]!.toLowerCase();
  const encoded = match[2]!;
  try {
    if (charset === 'utf-8') return decodeURIComponent(encoded);
    if (charset === 'iso-8859-1') {
      return encoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
  } catch {
    return null;
  }
  return null;
}

/** `filename*` (RFC 6266/8187) wins over `filename`; null when neither is present or usable. */
export function filenameFromContentDisposition(header: string): string | null {
  const params = new Map<string, string>();
  const pattern = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const match of `;${header.replace(/^[^;]*/, '')}`.matchAll(pattern)) {
    const key = match[1]!.toLowerCase();
    let value = match[2]!.trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (!params.has(key)) params.set(key, value);
  }
  const extended = params.get('filename*');
  const fromExtended = extended === undefined ? null : decodeExtValue(extended);
  const candidate = fromExtended ?? params.get('filename');
  return candidate === undefined ? null : sanitizeFilename(candidate);
}

/** Last path segment of a URL, percent-decoded where possible. */
export function filenameFromUrl(url: URL): string | null {
  const segment = url.pathname.split('/').pop() ?? '';
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // malformed escapes: keep the raw segment
  }
  return sanitizeFilename(decoded);
}

export function pickFilename(contentDisposition: string | undefined, finalUrl: URL): string | null {
  const fromHeader = contentDisposition ? filenameFromContentDisposition(contentDisposition) : null;
  return fromHeader ?? filenameFromUrl(finalUrl);
}
