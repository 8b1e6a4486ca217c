/**
 * HTTP over a raw TCP socket, for what a well-behaved client (fetch) cannot send: a body one byte a
 * second, a Content-Length that lies, a client that vanishes mid-upload, headers over the limits,
 * Authorization twice. `rawRequest` writes the given pieces (with pauses between them), then reads
 * the answer until the server closes, the body is complete, or `readTimeoutMs` passes.
 */
import { connect, type Socket } from 'node:net';

export type Piece = Buffer | string | { pauseMs: number } | { destroy: true } | { end: true };

export interface RawAnswer {
  /** 0 when the server closed or timed out without an answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection. */
  closed: boolean;
  /** From the first byte written to the answer's end (or to the close). */
  elapsedMs: number;
}

function parse(buffer: Buffer): { status: number; headers: Record<string, string>; body: Buffer; complete: boolean } | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = buffer.subarray(end + 4);
  let complete = false;
  if (headers['content-length'] !== undefined) {
    complete = body.length >= Number(headers['content-length']);
    body = body.subarray(0, Number(headers['content-length']));
  } else if (headers['transfer-encoding'] === 'chunked') {
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd < 0) break;
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        complete = true;
        break;
      }
      if (body.length < lineEnd + 2 + size) break;
      out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(out);
  }
  return { status, headers, body, complete };
}

export async function rawRequest(port: number, pieces: readonly Piece[], readTimeoutMs = 15_000): Promise<RawAnswer> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const started = performance.now();
  let received = Buffer.alloc(0);
  let closed = false;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, readTimeoutMs);
    const check = () => {
      const answer = parse(received);
      if (closed || answer?.complete) {
        clearTimeout(timer);
        resolve();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      check();
    });
    socket.on('close', () => {
      closed = true;
      check();
    });
  });
  void (async () => {
    for (const piece of pieces) {
      if (closed || socket.destroyed) return;
      if (typeof piece === 'string' || Buffer.isBuffer(piece)) {
        if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r));
      } else if ('pauseMs' in piece) await new Promise((r) => setTimeout(r, piece.pauseMs));
      else if ('destroy' in piece) socket.destroy();
      else socket.end();
    }
  })();
  await done;
  const elapsedMs = performance.now() - started;
  socket.destroy();
  const answer = parse(received);
  return { status: answer?.status ?? 0, headers: answer?.headers ?? {}, body: answer?.body.toString('utf8') ?? '', closed, elapsedMs };
}

/** The head of a request: request line and headers, each `[name, value]` sent as given (duplicates too). */
export function head(method: string, path: string, headers: Array<[string, string]>): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
}

/** A multipart body around one file part, split so a test can send it in pieces. */
export function multipartAround(boundary: string, file: Buffer, field = 'file'): { before: Buffer; file: Buffer; after: Buffer } {
  return {
    before: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
    file,
    after: Buffer.from(`\r\n--${boundary}--\r\n`),
  };
}
