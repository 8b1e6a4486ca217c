/**
 * A FAKE model host for the `models pull` tests: serves local files over HTTP on 127.0.0.1 with
 * Range support (206 + Content-Range, an ETag), and faults the tests set per request: drop the
 * connection after a share of the file, stall after some bytes, answer 404, ignore Range. Every
 * request is logged (path, Range header, status) so tests can check what the client asked for.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostFault {
  /** Send this share of the (remaining) body, then destroy the socket. */
  dropAtFraction?: number;
  /** Send the headers and this many body bytes, then nothing (until the server closes). */
  stallAfterBytes?: number;
  /** Answer with this status (e.g. 404, 503) and a short body. */
  status?: number;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange?: boolean;
}

export interface HostLogEntry {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
  /** Body bytes written. */
  sent: number;
}

export interface ModelHost {
  url: string;
  log: HostLogEntry[];
  /** Faults for the next requests, in order (one per request); later requests are served normally. */
  queueFaults(...faults: HostFault[]): void;
  close(): Promise<void>;
}

/** `files` maps a URL path (`/ggml-base.en.bin`) to a file on disk. */
export async function startModelHost(files: Record<string, string>): Promise<ModelHost> {
  const bodies = new Map(Object.entries(files).map(([path, file]) => [path, readFileSync(file)]));
  const faults: HostFault[] = [];
  const log: HostLogEntry[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    const fault = faults.shift() ?? {};
    const entry: HostLogEntry = { path, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: 0, sent: 0 };
    log.push(entry);
    const body = bodies.get(path);
    const status = fault.status ?? (body ? 200 : 404);
    if (!body || status >= 400) {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}\n`);
      return;
    }
    const etag = `"${body.length}-fake"`;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !fault.ignoreRange) {
      start = Number(range[1]);
      if (start >= body.length) {
        entry.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      entry.status = 206;
      res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start, etag, 'accept-ranges': 'bytes' });
    } else {
      entry.status = 200;
      res.writeHead(200, { 'content-length': body.length, etag, 'accept-ranges': 'bytes' });
    }
    const rest = body.subarray(start);
    if (fault.stallAfterBytes !== undefined) {
      res.write(rest.subarray(0, fault.stallAfterBytes));
      entry.sent = Math.min(fault.stallAfterBytes, rest.length);
      return; // never ends; close() destroys the socket
    }
    if (fault.dropAtFraction !== undefined) {
      const cut = Math.floor(rest.length * fault.dropAtFraction);
      res.write(rest.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      entry.sent = cut;
      return;
    }
    entry.sent = rest.length;
    res.end(rest);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    queueFaults: (...next) => faults.push(...next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
