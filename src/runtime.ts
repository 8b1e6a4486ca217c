/**
 * The composition root: the one place a process is wired. Every command (transcribe, serve, worker,
 * plan, jobs), the service and the benches open a Runtime and close it when they end; nothing else
 * builds a store, a cache, a BackendSet, breakers, load or a dispatcher.
 *
 *   config → store (SQLite in dataDir, or PostgreSQL) + cache
 *          → backends (lazy; built on first use) + breakers + load → serving (how a segment is served)
 *          → dispatcher: this process's backends, or (a server in distributed mode) the BullMQ queues
 *          → llm: the chat client `ask` uses (lazy; src/llm/)
 *          → an API server (httpApi) on PostgreSQL: cluster settings (leases, notifications, blobs);
 *            in distributed mode: rate-limit buckets in Redis
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createBackendRegistry } from './backends/registry.js';
import { BackendSet } from './backends/set.js';
import { TranscriptCache } from './cache/index.js';
import { ConfigHolder, type ReloadResult } from './config/holder.js';
import type { Config } from './config/schema.js';
import { ModelStore } from './models/store.js';
import { localDispatcher, type ServingDeps } from './pipeline/serve-and-store.js';
import { ChatClient } from './llm/client.js';
import { resolveLlmSettings } from './llm/settings.js';
import { BreakerBoard, CircuitBreaker, type BreakerTransition } from './queue/breaker.js';
import { BullmqDispatcher, distributedSettings, type DistributedSettings } from './queue/bullmq/index.js';
import { sharedSegmentAudio } from './queue/bullmq/segment-blobs.js';
import { backendOfQueue, configuredQueueBackends, QueueInspector } from './queue/bullmq/queue-stats.js';
import { FleetSignal } from './autoscale/signal.js';
import type { SegmentDispatcher } from './queue/dispatch.js';
import { BackendLoad } from './queue/load.js';
import { startTracing } from './telemetry/tracing/provider.js';
import { retryPolicyFor } from './queue/retry.js';
import type { BlobStore } from './store/blobs.js';
import type { ClusterStore } from './store/cluster.js';
import type { JobStore } from './store/jobs.js';
import { RedisTokenBuckets } from './server/rate-limit/redis.js';
import { openStore } from './store/registry.js';
import { Rollout } from './rollout/index.js';
import { checkRolloutBackends } from './rollout/check.js';

/**
 * What the process is: `cli` (transcribe, plan, jobs: segments served here), `server` (the HTTP
 * service: in distributed mode its segments go to the queues) or `worker` (serves queued segments).
 */
export type RuntimeRole = 'cli' | 'server' | 'worker';

export interface RuntimeOptions {
  role?: RuntimeRole;
  /** Where long-running processes want notices (a shared database unreachable, a breaker opening). */
  log?: (line: string) => void;
  /** Canary verdicts and shadow notices; default: `log`. */
  rolloutLog?: (line: string) => void;
  /** Breaker state changes; default: a line to `log`. */
  onBreaker?: (transition: BreakerTransition) => void;
  /** Base URL workers fetch segment audio from (a server in distributed mode). */
  publicUrl?: () => string;
  /**
   * Checks the process's backends (unknown ids, bad settings) before anything is opened, so that a
   * misconfiguration fails with its own error, not with an unreachable database's.
   */
  checkBackends?: (backends: BackendSet, config: Config) => void;
  /**
   * Reads the config again from its sources (file, environment, flags), for `reload`. Absent: the
   * process cannot reload (a reload is refused).
   */
  reload?: () => Config;
  /**
   * This process answers the HTTP API (`parascribe serve`): on a PostgreSQL store it joins the servers
   * sharing it (job leases, notifications, blobs: `cluster`), and in distributed mode it takes rate
   * limits from buckets in Redis that every server shares (`rateBuckets`).
   */
  httpApi?: boolean;
}

/** An API server on a store several servers share (src/service/cluster/ uses it). */
export interface ClusterSettings {
  databaseUrl: string;
  dataDir: string;
  leaseSec: number;
  sweepSec: number;
  /** serve.keepUploadHours in seconds: how long an ended job's upload blob stays, for playback. */
  keepUploadSec: number;
  leases: ClusterStore;
  blobs: BlobStore;
  /** The key signed audio URLs (server/media-url.ts) use, the same on every server of the store. */
  mediaUrlSecret: Buffer;
}

export interface Runtime {
  /** The current config: a reload replaces its routing, shadow and backends parts (config/holder.ts). */
  readonly config: Config;
  readonly role: RuntimeRole;
  readonly store: JobStore;
  readonly cache: TranscriptCache;
  /** Shared by every job of the process, like the breakers and load. */
  readonly backends: BackendSet;
  readonly breakers: BreakerBoard;
  readonly load: BackendLoad;
  /** How this process serves a segment itself (a worker's tasks, the local dispatcher's segments). */
  readonly serving: ServingDeps;
  /** Where the jobs of this process send their segments. */
  readonly dispatcher: SegmentDispatcher;
  /** Distributed mode's settings; undefined in the embedded default. */
  readonly distributed: DistributedSettings | undefined;
  /** A server in distributed mode: the queues as /metrics and /admin/queues see them. */
  readonly queueStats: QueueInspector | undefined;
  /** An API server on a PostgreSQL store: the settings it joins the other servers with (runtime option httpApi). */
  readonly cluster: ClusterSettings | undefined;
  /** An API server in distributed mode: per-key rate-limit buckets shared in Redis (connected). */
  readonly rateBuckets: RedisTokenBuckets | undefined;
  readonly log: (line: string) => void;
  /**
   * The chat client `ask` uses, built on first call (a config without `llm` is fine until then);
   * throws LLM_NOT_CONFIGURED naming the settings to set.
   */
  llm(): ChatClient;
  /** Canary rollout and shadow sampling of this process's segments (src/rollout/). */
  readonly rollout: Rollout;
  /** Reads the config again and applies what can change while running (SIGHUP, a config file edit). */
  reload(reason: string): ReloadResult;
  /** Closes what the runtime opened, in reverse order; safe to call twice. */
  close(): Promise<void>;
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const role = options.role ?? 'cli';
  const log = options.log ?? (() => {});
  // Settings are checked before anything is opened: a half-configured distributed mode fails here.
  const distributed = role === 'cli' ? undefined : distributedSettings(config);
  // Pulled whisper.cpp models (`parascribe models pull`): a whispercpp backend without modelPath uses them.
  const backendContext = { models: new ModelStore(config) };
  const registry = createBackendRegistry();
  const backends = new BackendSet(registry, config.backends, backendContext);
  options.checkBackends?.(backends, config);
  checkRolloutBackends(config, backends);
  const holder = new ConfigHolder(config, {
    load: options.reload,
    // A new config must build every backend it routes to, with its own settings, before it applies.
    check: (next) => {
      const trial = new BackendSet(registry, next.backends, { models: new ModelStore(next) });
      try {
        options.checkBackends?.(trial, next);
        checkRolloutBackends(next, trial);
      } finally {
        void trial.closeAll();
      }
    },
    log,
  });
  const breakers = new BreakerBoard(config.breaker, options.onBreaker ?? ((t) => log(`breaker ${t.backend}: ${t.from} → ${t.to} (${t.reason})`)));
  const load = new BackendLoad();
  // OpenTelemetry traces, when OTEL_EXPORTER_OTLP_ENDPOINT is set: one provider per process, flushed on close.
  const tracing = startTracing({ role, log });
  const store = await openStore(options.log ? { ...config, log: options.log } : config).catch(async (error: unknown) => {
    await backends.closeAll();
    await tracing.release();
    throw error;
  });
  const cache = new TranscriptCache(join(config.dataDir, 'cache'));
  const serving: ServingDeps = {
    backends,
    breakers,
    load,
    pressure: config.routing.pressure,
    quality: config.quality,
    retryPolicy: retryPolicyFor(config),
    segmentTimeoutSec: config.segmentTimeoutSec,
    store,
  };
  const rollout = new Rollout({ config: () => holder.current, store, registry, log: options.rolloutLog ?? log });
  serving.rollout = rollout;
  holder.onChange((next) => {
    serving.pressure = next.routing.pressure;
    const kept = backends.updateSettings(next.backends);
    rollout.backendsChanged(next.backends);
    if (kept.length > 0) log(`new settings of ${kept.join(', ')} apply after a restart (in use by this process)`);
  });
  const joinsCluster = role === 'server' && options.httpApi === true && config.databaseUrl !== undefined && store.cluster !== undefined;
  const mediaUrlSecret = joinsCluster
    ? await store.cluster!.sharedSecret('media-url', randomBytes(32).toString('base64url')).catch(async (error: unknown) => {
        await rollout.close();
        await store.close();
        await backends.closeAll();
        await tracing.release();
        throw error;
      })
    : undefined;
  const cluster: ClusterSettings | undefined =
    mediaUrlSecret !== undefined && store.cluster && config.databaseUrl
      ? {
          databaseUrl: config.databaseUrl,
          dataDir: config.dataDir,
          ...config.serve.cluster,
          keepUploadSec: config.serve.keepUploadHours * 3600,
          leases: store.cluster,
          blobs: store.blobs,
          mediaUrlSecret: Buffer.from(mediaUrlSecret, 'base64url'),
        }
      : undefined;
  const queued =
    role === 'server' && distributed
      ? new BullmqDispatcher({
          config: distributed,
          store,
          publicUrl: () => distributed.publicUrl ?? options.publicUrl?.() ?? 'http://localhost',
          // Any API server answers a segment URL: the audio goes to the shared store first.
          ...(cluster ? { segmentAudio: sharedSegmentAudio(cluster.blobs) } : {}),
          log,
        })
      : undefined;
  const queueStats =
    queued && distributed
      ? new QueueInspector({
          redisUrl: distributed.redisUrl,
          queuePrefix: distributed.queuePrefix,
          store,
          backendIds: () => [...configuredQueueBackends(config), ...queued.queues().map((q) => backendOfQueue(q.name))],
          policy: distributed.autoscale,
          workerConcurrency: distributed.worker.concurrency,
          signal: new FleetSignal({ policy: distributed.autoscale, loadArrivals: (sinceSec) => store.listArrivalsSince(sinceSec, 500_000), log }),
        })
      : undefined;
  // Every server takes from the same per-key buckets, in Redis.
  const rateBuckets =
    role === 'server' && options.httpApi && distributed
      ? new RedisTokenBuckets({ ...config.serve.rateLimit, redisUrl: distributed.redisUrl, prefix: distributed.queuePrefix, log })
      : undefined;
  await rateBuckets?.ready();
  let chat: ChatClient | undefined;
  const llm = (): ChatClient => {
    if (chat) return chat;
    const settings = resolveLlmSettings(config.llm);
    // Its own breaker, outside the board: the board's transitions are recorded on the jobs running
    // at the time (job-record.ts), and an LLM outage is not a transcription job's event.
    const onBreaker = options.onBreaker ?? ((t: BreakerTransition) => log(`breaker ${t.backend}: ${t.from} → ${t.to} (${t.reason})`));
    const breaker = new CircuitBreaker('llm', config.breaker, onBreaker);
    chat = new ChatClient(settings, { breaker, retryPolicy: retryPolicyFor(config) });
    return chat;
  };
  let closed: Promise<void> | undefined;
  return {
    get config() {
      return holder.current;
    },
    role,
    store,
    cache,
    backends,
    breakers,
    load,
    serving,
    dispatcher: queued ?? localDispatcher(serving),
    distributed,
    queueStats,
    cluster,
    rateBuckets,
    log,
    llm,
    rollout,
    reload: (reason) => holder.reload(reason),
    close: () =>
      (closed ??= (async () => {
        // Shadow calls first: they still write to the store.
        await rollout.close();
        await queued?.close();
        await queueStats?.close();
        await rateBuckets?.close();
        await store.close();
        await backends.closeAll();
        await tracing.release();
      })()),
  };
}
