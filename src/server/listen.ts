/** Binds the app to a socket with the service's timeouts; resolves once listening. */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { ParascribeError } from '../errors.js';
import type { HttpApp } from './app.js';
import { answerClientError } from './client-error.js';

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function listen({ app, fastPath }: HttpApp, options: { host: string; port: number; requestTimeoutSec: number }): Promise<Listening> {
  const appListener = getRequestListener(app.fetch, { hostname: options.host });
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const answered = fastPath(req, res);
      if (answered === false) void appListener(req, res);
      else if (answered !== true) void answered.then((done) => (done ? undefined : appListener(req, res)));
    });
    // What Node's parser refuses before the app sees a request (headers over the limit, a malformed
    // request line, Content-Length with Transfer-Encoding…) gets our JSON error body too.
    server.on('clientError', answerClientError);
    server.listen(options.port, options.host);
    // Whole request (a large upload included) and headers; idle keep-alive sockets close after 5 s.
    server.requestTimeout = options.requestTimeoutSec * 1000;
    server.headersTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new ParascribeError('INVALID_CONFIG', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`));
    });
    server.once('listening', () => {
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        server,
        url: `http://${host}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // SSE streams and keep-alive sockets would hold close() open.
            server.closeAllConnections();
          }),
      });
    });
  });
}
