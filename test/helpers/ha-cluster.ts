/**
 * Several API servers on one deployment for the high-availability tests (issue 17): a throw-away
 * PostgreSQL database, a private Redis, the FAKE OpenAI-compatible backend `fake`, N `parascribe
 * serve` processes (each with its own data directory, so each is its own instance) behind a
 * round-robin load balancer (load-balancer.ts) that is also the workers' segment-audio address
 * (`distributed.publicUrl`), and workers on demand. Servers can be added (e.g. with a crash point)
 * and killed; `stop()` ends everything it started.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli.js';
import { WORKER_SECRET } from './cluster.js';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { createTestDatabase, queryDatabase, type TestDatabase } from './postgres.js';
import { startPrivateRedis, type PrivateRedis } from './redis.js';
import { startServer, type RunningServer } from './server.js';
import { startWorker, type RunningWorker } from './workers.js';
import { startFakeOpenAIServer, type FakeFaults, type FakeOpenAIServer } from '../fakes/openai-server.js';

export { clusterSkipReason } from './cluster.js';

export interface HaOptions {
  name: string;
  servers?: number;
  faults?: FakeFaults;
  /** Lease and sweep (default 4 s and 0.5 s: takeovers within seconds). */
  leaseSec?: number;
  sweepSec?: number;
  /** Merged into the `serve` / `distributed` sections and the top level of the config. */
  serve?: Record<string, unknown>;
  distributed?: Record<string, unknown>;
}

export interface HaServer extends RunningServer {
  /** The instance id its leases carry (from its data directory). */
  instance: string;
}

export interface HaCluster {
  dir: string;
  database: TestDatabase;
  redis: PrivateRedis;
  fake: FakeOpenAIServer;
  lb: LoadBalancer;
  env: Record<string, string>;
  servers: HaServer[];
  workers: RunningWorker[];
  /** Starts one more server (extra env, e.g. PARASCRIBE_TEST_CRASH_AT) and puts it behind the balancer. */
  addServer(env?: Record<string, string>): Promise<HaServer>;
  /** kill -9 of a server; it leaves the balancer at once. Resolves with the kill time (ms). */
  kill(server: HaServer): Promise<number>;
  /** Takes a server that died by itself (a crash point) out of the balancer. */
  forget(server: HaServer): void;
  startWorker(args?: string[]): Promise<RunningWorker>;
  /** Which instance holds a job's lease now, and whether the lease is live. */
  lease(jobId: string): Promise<{ holder: string | null; live: boolean; epoch: number; status: string } | undefined>;
  stop(): Promise<void>;
}

export async function startHaCluster(options: HaOptions): Promise<HaCluster> {
  const dir = tempDir(options.name);
  const database = await createTestDatabase();
  const redis = await startPrivateRedis();
  const fake = await startFakeOpenAIServer({ faults: options.faults ?? {} });
  const lb = await startLoadBalancer();
  const configPath = join(dir, 'config.json');
  const config = {
    backends: { fake: { type: 'openai', baseURL: fake.url, apiKey: 'test', timeoutSec: 60 } },
    serve: { maxConcurrentJobs: 10, rateLimit: { requestsPerSec: 1000, burst: 1000 }, cluster: { leaseSec: options.leaseSec ?? 4, sweepSec: options.sweepSec ?? 0.5 }, ...options.serve },
    // Workers reach segment audio through the balancer: any server must answer it.
    distributed: { publicUrl: lb.url, lockSec: 5, stalledCheckSec: 2, ...options.distributed },
  };
  writeFileSync(configPath, JSON.stringify(config));
  const env = {
    PARASCRIBE_CONFIG: configPath,
    PARASCRIBE_CACHE: '0',
    PARASCRIBE_DATABASE_URL: database.url,
    PARASCRIBE_REDIS_URL: redis.url,
    PARASCRIBE_WORKER_SECRET: WORKER_SECRET,
  };
  const servers: HaServer[] = [];
  const workers: RunningWorker[] = [];
  const everStarted: HaServer[] = [];
  const forget = (server: HaServer) => {
    lb.backends.splice(0, lb.backends.length, ...lb.backends.filter((b) => b !== server.url));
    servers.splice(0, servers.length, ...servers.filter((s) => s !== server));
  };
  const addServer = async (extra: Record<string, string> = {}) => {
    const running = await startServer({ env: { ...env, ...extra } });
    const instance = /shared store: instance (\S+),/.exec(running.stderr())?.[1] ?? '';
    const server = { ...running, instance };
    servers.push(server);
    everStarted.push(server);
    lb.backends.push(server.url);
    return server;
  };
  for (let i = 0; i < (options.servers ?? 2); i++) await addServer();
  return {
    dir,
    database,
    redis,
    fake,
    lb,
    env,
    servers,
    workers,
    addServer,
    forget,
    async kill(server) {
      forget(server);
      const at = Date.now();
      await server.kill9();
      return at;
    },
    async startWorker(args = ['--backends', 'fake']) {
      const worker = await startWorker(env, args);
      workers.push(worker);
      return worker;
    },
    async lease(jobId) {
      const [row] = await queryDatabase<{ lease_holder: string | null; live: boolean; lease_epoch: number; status: string }>(
        database.url,
        'SELECT lease_holder, coalesce(lease_until > now(), false) AS live, lease_epoch, status FROM transcription_jobs WHERE id = $1',
        [jobId],
      );
      return row ? { holder: row.lease_holder, live: row.live, epoch: row.lease_epoch, status: row.status } : undefined;
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await Promise.allSettled(everStarted.map((s) => s.stop()));
      await lb.close();
      await fake.close();
      await redis.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
