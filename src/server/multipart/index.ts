/**
 * Streams a multipart/form-data upload: the one file part goes straight to disk (never into memory),
 * text fields are collected. Enforces the size cap (413, the partial file deleted), an idle timeout
 * between body chunks and a minimum average rate (body-pace.ts), and never lets the client's filename near a path.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { isDiskFull, ParascribeError, storageFull } from '../../errors.js';
import { BodyPace } from '../body-pace.js';

export interface MultipartOptions {
  /** The form field that holds the file (`file` for both APIs). */
  fileField: string;
  destPath: string;
  maxFileBytes: number;
  idleTimeoutMs: number;
  /** Average bytes per second the body must keep up once `idleTimeoutMs` has passed (default 0: no minimum). */
  minBytesPerSec?: number;
  signal?: AbortSignal;
  /** Progress callback (bytes of file written so far): crash-point tests hook in here. */
  onBytes?: (bytes: number) => void;
}

export interface MultipartResult {
  fields: Record<string, string>;
  /** Repeated fields such as `timestamp_granularities[]`. */
  lists: Record<string, string[]>;
  file: { bytes: number; filename: string | null } | null;
}

const MAX_FIELDS = 50;
const MAX_FIELD_BYTES = 64 * 1024;

/** The client's name for display only: a basename without control characters, at most 200 chars. */
export function displayFilename(raw: string | undefined | null): string | null {
  if (!raw) return null;
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (!clean || clean === '.' || clean === '..') return null;
  return clean.slice(0, 200);
}

export async function readMultipart(headers: Record<string, string>, body: ReadableStream<Uint8Array> | null, options: MultipartOptions): Promise<MultipartResult> {
  const contentType = headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) throw new ParascribeError('INVALID_ARGUMENT', 'expected a multipart/form-data body');
  const declared = Number(headers['content-length']);
  // The cap is on the file; the rest of a form is small, so a body far beyond the cap is refused unread.
  if (Number.isFinite(declared) && declared > options.maxFileBytes + 1024 * 1024) throw tooLarge(options.maxFileBytes);
  if (!body) throw new ParascribeError('INVALID_ARGUMENT', 'empty request body');
  if (options.signal?.aborted) throw new ParascribeError('ABORTED', 'the client went away during the upload');

  let parser: busboy.Busboy;
  try {
    // +1: busboy signals 'limit' on reaching fileSize, so a file of exactly maxFileBytes would be refused.
    parser = busboy({ headers, limits: { files: 10, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, fileSize: options.maxFileBytes + 1 } });
  } catch (error) {
    throw new ParascribeError('INVALID_ARGUMENT', `malformed multipart body: ${(error as Error).message}`);
  }
  const result: MultipartResult = { fields: {}, lists: {}, file: null };
  let fileWrite: Promise<void> | null = null;
  let fileClosed: Promise<void> | null = null;
  let failure: ParascribeError | null = null;
  const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  const fail = (error: ParascribeError) => {
    failure ??= error;
    // Not synchronously: busboy emits 'limit' mid-write and then touches the file stream that destroy() nulls.
    process.nextTick(() => {
      source.destroy();
      parser.destroy();
    });
  };

  parser.on('field', (name, value, info) => {
    // A part without a name (no Content-Disposition, or one without name=) is malformed: busboy passes
    // undefined, and a throw here, inside busboy's event, would take the whole process down.
    if (typeof name !== 'string') return fail(new ParascribeError('INVALID_ARGUMENT', 'malformed multipart body: a part has no name'));
    if (info.valueTruncated) return fail(new ParascribeError('INVALID_ARGUMENT', `form field ${name} is too long`));
    if (name.endsWith('[]')) (result.lists[name] ??= []).push(value);
    else result.fields[name] = value;
  });
  parser.on('file', (name, stream, info) => {
    if (name !== options.fileField || result.file) {
      // Drained unread; if the form is refused while it is open, busboy's destroy makes it emit
      // 'error', which with no listener would crash the process.
      stream.on('error', () => undefined);
      stream.resume();
      return;
    }
    const file = { bytes: 0, filename: displayFilename(info.filename) };
    result.file = file;
    stream.on('data', (chunk: Buffer) => {
      file.bytes += chunk.length;
      options.onBytes?.(file.bytes);
    });
    stream.on('limit', () => fail(tooLarge(options.maxFileBytes)));
    const out = createWriteStream(options.destPath);
    fileClosed = new Promise<void>((resolve) => out.once('close', () => resolve()));
    fileWrite = pipeline(stream, out).catch((error: Error) => {
      fail(failure ?? (isDiskFull(error) ? storageFull('storing the upload', error) : new ParascribeError('INTERNAL', `could not store the upload: ${error.message}`)));
    });
  });
  parser.on('filesLimit', () => {});
  parser.on('fieldsLimit', () => fail(new ParascribeError('INVALID_ARGUMENT', 'too many form fields')));

  const pace = new BodyPace({ idleTimeoutMs: options.idleTimeoutMs, minBytesPerSec: options.minBytesPerSec ?? 0 }, fail);
  source.on('data', (chunk: Buffer) => pace.bytes(chunk.length));
  const onAbort = () => fail(new ParascribeError('ABORTED', 'the client went away during the upload'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('finish', resolve);
      parser.on('error', (error: Error) => reject(failure ?? new ParascribeError('INVALID_ARGUMENT', `malformed multipart body: ${error.message}`)));
      parser.on('close', () => (failure ? reject(failure) : resolve()));
      source.on('error', (error) => reject(failure ?? new ParascribeError('ABORTED', `the upload was cut off: ${error.message}`)));
      source.pipe(parser);
    });
    if (fileWrite) await fileWrite;
    if (failure) throw failure;
  } catch (error) {
    // pipeline() settles before the file's write stream has even opened: wait for it to close, or it
    // may create destPath after the rm.
    parser.destroy();
    if (fileClosed) await fileClosed;
    await rm(options.destPath, { force: true });
    throw error;
  } finally {
    pace.stop();
    options.signal?.removeEventListener('abort', onAbort);
  }
  return result;
}

function tooLarge(maxBytes: number): ParascribeError {
  return new ParascribeError('PAYLOAD_TOO_LARGE', `the upload exceeds the limit of ${Math.round(maxBytes / (1024 * 1024))} MB`);
}
