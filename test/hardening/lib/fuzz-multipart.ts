/**
 * Multipart/form-data bodies for the fuzz, drawn from an operation's form schema and then broken: no
 * boundary, a boundary that is not the one used, a body cut before its closing boundary or in the
 * middle of a part, thousands of parts, a field far over the limit, a part without Content-Disposition,
 * a file under another field name, many files, a hostile file name. A real WAV is the file only now
 * and then (each one is a real job).
 */
import fc from 'fast-check';
import { validValueArb, valueArb } from './fuzz-requests.js';

export type Breakage = 'none' | 'unterminated' | 'cut-mid-part' | 'bare-lf' | 'thousands-of-parts' | 'long-field' | 'no-disposition' | 'preamble-only';

export interface MultipartSpec {
  boundary: 'ok' | 'missing' | 'quoted' | 'mismatch' | 'huge' | 'wrong-type';
  file: 'wav' | 'garbage' | 'empty' | 'none' | 'wrong-field' | 'many' | 'text';
  filename: string;
  fields: Array<[string, string]>;
  breakage: Breakage;
  parts: number;
}

const filenameArb = fc.oneof(
  fc.constantFrom('a.wav', '../../../etc/passwd', 'C:\\Windows\\x.wav', '', '.', '..', 'a\u0000b.wav', '\u202egnp.wav', 'a"b.wav', 'x'.repeat(5000), 'ÿ.wav'),
  fc.string({ maxLength: 30 }),
);

export function multipartArb(schema: Record<string, any>): fc.Arbitrary<MultipartSpec> {
  const props = Object.entries((schema.properties ?? {}) as Record<string, Record<string, any>>).filter(([name]) => name !== 'file');
  const fieldsWith = (value: (schema: Record<string, any>) => fc.Arbitrary<unknown>, absentWeight: number) => fc
    .tuple(
      ...props.map(([name, s]) =>
        fc.oneof(
          { weight: absentWeight, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: value(s).map((v): [string, string] => [name, Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v) ?? '']) },
        ),
      ),
    )
    .map((picked) => picked.filter((p): p is [string, string] => p !== undefined));
  // Now and then only valid values (and a WAV below): a request that really makes a job.
  const fieldsArb = fc.oneof(fieldsWith(valueArb, 1), fieldsWith(validValueArb, 4));
  return fc.record({
    boundary: fc.oneof({ weight: 12, arbitrary: fc.constant('ok' as const) }, { weight: 1, arbitrary: fc.constantFrom<MultipartSpec['boundary']>('missing', 'quoted', 'mismatch', 'huge', 'wrong-type') }),
    file: fc.oneof(
      { weight: 6, arbitrary: fc.constant('wav' as const) },
      { weight: 12, arbitrary: fc.constantFrom<MultipartSpec['file']>('garbage', 'empty', 'none', 'wrong-field', 'many', 'text') },
    ),
    filename: filenameArb,
    fields: fc.oneof(fieldsArb, fc.tuple(fieldsArb, fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 3 })).map(([a, b]) => [...a, ...b])),
    breakage: fc.oneof(
      { weight: 6, arbitrary: fc.constant('none' as const) },
      { weight: 1, arbitrary: fc.constantFrom<Breakage>('unterminated', 'cut-mid-part', 'bare-lf', 'thousands-of-parts', 'long-field', 'no-disposition', 'preamble-only') },
    ),
    parts: fc.integer({ min: 1_000, max: 5_000 }),
  });
}

const BOUNDARY = 'fuzzBoundary7MA4YWxkTrZu0gW';

function part(name: string, value: string | Uint8Array, filename?: string): Buffer {
  const disposition = `Content-Disposition: form-data; name="${name.replace(/"/g, '%22')}"${filename === undefined ? '' : `; filename="${filename.replace(/"/g, '%22')}"`}`;
  const type = filename === undefined ? '' : '\r\nContent-Type: application/octet-stream';
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${disposition}${type}\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n')]);
}

/** The body bytes and the Content-Type header (null: none sent). */
export function fuzzMultipart(spec: MultipartSpec, wav: Uint8Array): { bytes: Buffer; contentType: string | null } {
  const chunks: Buffer[] = [];
  for (const [name, value] of spec.fields) chunks.push(part(name, value));
  const garbage = Buffer.from('this is not audio at all, just words '.repeat(20));
  switch (spec.file) {
    case 'wav':
      chunks.push(part('file', wav, spec.filename));
      break;
    case 'garbage':
      chunks.push(part('file', garbage, spec.filename));
      break;
    case 'empty':
      chunks.push(part('file', new Uint8Array(0), spec.filename));
      break;
    case 'wrong-field':
      chunks.push(part('upload', wav, spec.filename));
      break;
    case 'many':
      for (let i = 0; i < 12; i++) chunks.push(part('file', garbage, `${i}.wav`));
      break;
    case 'text':
      chunks.push(part('file', 'not a file part'));
      break;
    case 'none':
      break;
  }
  switch (spec.breakage) {
    case 'thousands-of-parts':
      for (let i = 0; i < spec.parts; i++) chunks.push(part(`f${i}`, 'v'));
      break;
    case 'long-field':
      chunks.unshift(part('language', 'e'.repeat(200 * 1024)));
      break;
    case 'no-disposition':
      chunks.unshift(Buffer.from(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nhello\r\n`));
      break;
    default:
      break;
  }
  let bytes = Buffer.concat([...chunks, Buffer.from(`--${BOUNDARY}--\r\n`)]);
  if (spec.breakage === 'unterminated') bytes = bytes.subarray(0, bytes.length - `--${BOUNDARY}--\r\n`.length);
  if (spec.breakage === 'cut-mid-part') bytes = bytes.subarray(0, Math.floor(bytes.length / 2));
  if (spec.breakage === 'bare-lf') bytes = Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  if (spec.breakage === 'preamble-only') bytes = Buffer.from('just a preamble, no parts\r\n');
  const contentType = {
    ok: `multipart/form-data; boundary=${BOUNDARY}`,
    missing: 'multipart/form-data',
    quoted: `multipart/form-data; boundary="${BOUNDARY}"`,
    mismatch: 'multipart/form-data; boundary=another-boundary-entirely',
    huge: `multipart/form-data; boundary=${'b'.repeat(5000)}`,
    'wrong-type': 'application/octet-stream',
  }[spec.boundary];
  return { bytes, contentType };
}
