/**
 * A file answered with HTTP range support (RFC 9110 §14): one `bytes=` range gives 206 with
 * Content-Range, an unsatisfiable one 416, none (or several, or a malformed header) the whole file
 * with 200. What an <audio> element needs to seek in an hour-long upload without downloading it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

/** The range a `Range` header asks of a `size`-byte file (end inclusive); null: send it all. */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges (a comma) or another unit: the whole file, as the RFC allows.
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export interface FileResponseOptions {
  contentType: string;
  /** The request's Range header. */
  range: string | undefined;
  method: string;
  headers?: Record<string, string>;
}

export async function fileResponse(path: string, options: FileResponseOptions): Promise<Response> {
  const { size, mtimeMs } = await stat(path);
  const headers: Record<string, string> = {
    'Content-Type': options.contentType,
    'Accept-Ranges': 'bytes',
    'Last-Modified': new Date(mtimeMs).toUTCString(),
    ...options.headers,
  };
  const range = parseRange(options.range, size);
  if (range === 'unsatisfiable') {
    return new Response(JSON.stringify({ error: { code: 'RANGE_NOT_SATISFIABLE', message: `the file has ${size} bytes` } }), {
      status: 416,
      headers: { ...headers, 'Content-Type': 'application/json', 'Content-Range': `bytes */${size}` },
    });
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  headers['Content-Length'] = String(length);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  const status = range ? 206 : 200;
  if (options.method === 'HEAD' || length === 0) return new Response(null, { status, headers });
  const body = Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream;
  return new Response(body, { status, headers });
}
