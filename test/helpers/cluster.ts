/**
 * A distributed deployment on loopback for tests: a throw-away PostgreSQL database, a private Redis,
 * the FAKE OpenAI-compatible server as backend `fake`, one `parascribe serve`, and workers started on
 * demand. `stop()` ends everything it started, workers first.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './postgres.js';
import { redisAvailable, startPrivateRedis, type PrivateRedis } from './redis.js';
import { startServer, type RunningServer } from './server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { startWorker, type RunningWorker } from './workers.js';
import { startFakeOpenAIServer, type FakeFaults, type FakeOpenAIServer } from '../fakes/openai-server.js';

export const WORKER_SECRET = 'test-worker-secret-0123456789abcdef';

/** false, or why the distributed tests skip (outside CI only: under CI=true they run and fail). */
export async function clusterSkipReason(): Promise<string | false> {
  const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
  const pg = await postgresSkipReason();
  if (pg) return pg;
  return redisAvailable() || inCi ? false : 'redis-server is not installed (scripts/setup-redis.sh); skipped outside CI';
}

export interface ClusterOptions {
  name: string;
  /** The fake backend's behaviour (latency etc.). */
  faults?: FakeFaults;
  /** Extra top-level config (e.g. `distributed: { lockSec: 5 }`, `serve: {...}`), merged over the defaults. */
  config?: Record<string, unknown>;
  /** Put a TCP proxy (tcp-proxy.ts) between the parascribe processes and PostgreSQL, so a test can cut it. */
  databaseProxy?: boolean;
  /** Extra environment for every process of the deployment (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: Record<string, string>;
}

export interface Cluster {
  dir: string;
  database: TestDatabase;
  /** With `databaseProxy`: the proxy the processes reach PostgreSQL through (`database.url` stays direct). */
  proxy: TcpProxy | undefined;
  redis: PrivateRedis;
  fake: FakeOpenAIServer;
  server: RunningServer;
  /** The environment every process of the deployment shares. */
  env: Record<string, string>;
  workers: RunningWorker[];
  startWorker(args?: string[]): Promise<RunningWorker>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = tempDir(options.name);
  const database = await createTestDatabase();
  const direct = new URL(database.url);
  const proxy = options.databaseProxy ? await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) }) : undefined;
  const databaseUrl = new URL(database.url);
  if (proxy) Object.assign(databaseUrl, { hostname: '127.0.0.1', port: String(proxy.port) });
  const redis = await startPrivateRedis();
  const fake = await startFakeOpenAIServer({ faults: options.faults ?? {} });
  const configPath = join(dir, 'config.json');
  const config = {
    backends: { fake: { type: 'openai', baseURL: fake.url, apiKey: 'test', timeoutSec: 60 } },
    serve: { maxConcurrentJobs: 10, rateLimit: { requestsPerSec: 1000, burst: 1000 } },
    ...options.config,
  };
  writeFileSync(configPath, JSON.stringify(config));
  const env = {
    PARASCRIBE_CONFIG: configPath,
    PARASCRIBE_CACHE: '0',
    PARASCRIBE_DATABASE_URL: databaseUrl.toString(),
    PARASCRIBE_REDIS_URL: redis.url,
    PARASCRIBE_WORKER_SECRET: WORKER_SECRET,
    ...options.env,
  };
  const server = await startServer({ env });
  const workers: RunningWorker[] = [];
  return {
    dir,
    database,
    proxy,
    redis,
    fake,
    server,
    env,
    workers,
    async startWorker(args = ['--backends', 'pocketsphinx,fake']) {
      const worker = await startWorker(env, args);
      workers.push(worker);
      return worker;
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await server.stop();
      await fake.close();
      await proxy?.close();
      await redis.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
