/**
 * A private, real Redis server per test file: `redis-server` (Debian's package, which .ci/run
 * installs) on a free loopback port with its own directory, so a test can restart or stop it without
 * touching the machine's shared Redis. Append-only persistence is on, as BullMQ's docs ask of
 * production Redis: a restart keeps the queues.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { tempDir } from './cli.js';

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops (SIGKILL: no chance to save) and starts again on the same port and directory. */
  restart(options?: { downMs?: number; kill?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = tempDir('redis');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--logfile', ''], { stdio: 'ignore' });
    await waitForPing(port, 10_000);
  };
  const kill = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill(signal);
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart({ downMs = 1_000, kill: hard = true } = {}) {
      await kill(hard ? 'SIGKILL' : 'SIGTERM');
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    async stop() {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
