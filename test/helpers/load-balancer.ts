/**
 * A round-robin HTTP load balancer in the test process, in front of several `parascribe serve`
 * processes, as docs/scaling.md puts one: each request goes to the next backend in turn; a backend
 * that refuses the connection (a killed server) is skipped for that request, and the request is sent
 * to the next one (bodies are buffered first, so a POST can be re-sent too). Streams (SSE) are piped.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  url: string;
  /** Backend base URLs, changed as servers start and die. */
  backends: string[];
  /** Requests sent to each backend so far (by URL). */
  counts: Map<string, number>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startLoadBalancer(backends: string[] = []): Promise<LoadBalancer> {
  let next = 0;
  const counts = new Map<string, number>();
  const lb: LoadBalancer = { url: '', backends, counts, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    const tried = new Set<string>();
    const attempt = () => {
      const live = lb.backends.filter((b) => !tried.has(b));
      if (live.length === 0) {
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"code":"BAD_GATEWAY","message":"no backend answered"}}');
        return;
      }
      const target = live[next++ % live.length]!;
      tried.add(target);
      const url = new URL(req.url ?? '/', target);
      const upstream = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
        counts.set(target, (counts.get(target) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        res.on('close', () => answer.destroy());
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        if (!res.headersSent && (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET')) attempt();
        else res.destroy();
      });
      upstream.end(body);
    };
    attempt();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  lb.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  lb.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return lb;
}
