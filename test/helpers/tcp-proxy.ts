/**
 * A small TCP proxy in the test process, put between parascribe processes and a server they need (the
 * machine's shared PostgreSQL), so a test can make that server unreachable without touching it:
 * `cut()` destroys every open connection and stops listening (new connections are refused, as from a
 * host that is down); `restore()` listens again on the same port. `cut({ midRequest: true })` cuts
 * just after the next chunk a client sends has reached the server: a query is in flight, unanswered.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port to connect to instead of the target's. */
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  cut(options?: { midRequest?: boolean }): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, listenPort = 0): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  let server: Server | undefined;
  /** Set by cut({ midRequest }): called once a client's chunk has been handed to the server. */
  let armed: (() => void) | undefined;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((client) => {
        accepted++;
        const upstream = connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          open.add(socket);
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
          socket.on('close', () => {
            open.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        client.on('data', (chunk: Buffer) => {
          const trigger = armed;
          upstream.write(chunk, () => trigger?.());
        });
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  server = await listen(listenPort);
  const port = (server.address() as { port: number }).port;
  const stop = async () => {
    const running = server;
    server = undefined;
    for (const socket of open) socket.destroy();
    open.clear();
    if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
  };
  return {
    port,
    connections: () => accepted,
    async cut({ midRequest = false } = {}) {
      if (midRequest) {
        // Whichever comes first: a request in flight, or 5 s without one.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => armed?.(), 5_000);
          armed = () => {
            armed = undefined;
            clearTimeout(timer);
            resolve();
          };
        });
      }
      await stop();
    },
    async restore() {
      if (!server) server = await listen(port);
    },
    close: stop,
  };
}
