/**
 * The deployment the chaos run attacks, all on loopback: a throw-away PostgreSQL database reached
 * through a TCP proxy in this process (cut to make PostgreSQL unreachable), a private redis-server
 * (restarted), the FAKE OpenAI-compatible backend with its instant word transcriber (fault injection at
 * runtime), one `parascribe serve` (kill -9 and restarted on the same data dir) and `parascribe worker`s
 * (kill -9 and replaced). The server's data dir is a small tmpfs mount of its own when this process
 * may mount (root), so the run can fill it; otherwise a plain directory and no disk-full fault.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { startPrivateRedis, type PrivateRedis } from '../../helpers/redis.js';
import { startServer, type RunningServer } from '../../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { startWorker, type RunningWorker } from '../../helpers/workers.js';
import { tempDir } from '../../helpers/cli.js';
import { installSegmentWriteLog } from '../../helpers/segment-audit.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../fakes/openai-server.js';
import { wordTranscriber } from '../../fakes/word-transcriber.js';

export const CHAOS_SECRET = 'chaos-worker-secret-0123456789abcdef';

export interface ChaosCluster {
  dir: string;
  dataDir: string;
  /** The data dir is its own tmpfs of `dataDirMb` (else: no disk-full fault possible). */
  tmpfs: boolean;
  database: TestDatabase;
  proxy: TcpProxy;
  redis: PrivateRedis;
  fake: FakeOpenAIServer;
  server(): RunningServer;
  workers(): RunningWorker[];
  /** kill -9 the server and start it again on the same data dir (its URL changes: a new port). */
  restartServer(kill: boolean): Promise<void>;
  /** kill -9 worker `index` and start a replacement. */
  replaceWorker(index: number): Promise<void>;
  /** Every process's stderr so far, the dead ones' included. */
  stderr(): Array<[string, string]>;
  stop(): Promise<void>;
}

export interface ChaosClusterOptions {
  workers: number;
  dataDirMb: number;
  /** distributed.lockSec / stalledCheckSec: how soon a killed worker's task is given to another. */
  lockSec: number;
  stalledCheckSec: number;
}

function tryMountTmpfs(dir: string, sizeMb: number): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]).status === 0;
}

export async function startChaosCluster(options: ChaosClusterOptions): Promise<ChaosCluster> {
  const dir = tempDir('chaos');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const tmpfs = tryMountTmpfs(dataDir, options.dataDirMb);
  const database = await createTestDatabase();
  const direct = new URL(database.url);
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(database.url);
  Object.assign(viaProxy, { hostname: '127.0.0.1', port: String(proxy.port) });
  const redis = await startPrivateRedis();
  const fake = await startFakeOpenAIServer({ seed: 22, transcriber: wordTranscriber() });
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      backend: 'fake',
      backends: { fake: { type: 'openai', baseURL: fake.url, apiKey: 'test', uploadFormat: 'wav', timeoutSec: 30 } },
      serve: { maxConcurrentJobs: 6, rateLimit: { requestsPerSec: 1000, burst: 1000 }, keepUploadHours: 0 },
      distributed: { lockSec: options.lockSec, stalledCheckSec: options.stalledCheckSec },
    }),
  );
  const env = {
    PARASCRIBE_CONFIG: configPath,
    PARASCRIBE_CACHE: '0',
    PARASCRIBE_DATABASE_URL: viaProxy.toString(),
    PARASCRIBE_REDIS_URL: redis.url,
    PARASCRIBE_WORKER_SECRET: CHAOS_SECRET,
  };
  const dead: Array<[string, string]> = [];
  let server = await startServer({ dataDir, env, startTimeoutMs: 60_000 });
  await installSegmentWriteLog(database.url);
  const workers: RunningWorker[] = [];
  for (let i = 0; i < options.workers; i++) workers.push(await startWorker(env, ['--backends', 'fake'], 60_000));
  return {
    dir,
    dataDir,
    tmpfs,
    database,
    proxy,
    redis,
    fake,
    server: () => server,
    workers: () => workers,
    async restartServer(kill) {
      if (kill) await server.kill9();
      else await server.stop();
      dead.push(['serve (killed)', server.stderr()]);
      // PostgreSQL or Redis may be down right now: keep trying until it starts.
      for (let attempt = 0; ; attempt++) {
        try {
          server = await startServer({ dataDir, env, startTimeoutMs: 60_000 });
          return;
        } catch (error) {
          if (attempt > 20) throw error;
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    },
    async replaceWorker(index) {
      const old = workers[index]!;
      await old.kill9();
      dead.push([`${old.name} (killed)`, old.stderr()]);
      for (let attempt = 0; ; attempt++) {
        try {
          workers[index] = await startWorker(env, ['--backends', 'fake'], 60_000);
          return;
        } catch (error) {
          if (attempt > 20) throw error;
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    },
    stderr: () => [...dead, ['serve', server.stderr()], ...workers.map((w): [string, string] => [w.name, w.stderr()])],
    async stop() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await server.stop();
      await fake.close();
      await proxy.close();
      await redis.stop();
      await database.drop();
      if (tmpfs) spawnSync('umount', ['-l', dataDir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
