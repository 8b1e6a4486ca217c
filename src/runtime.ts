/**
 * The composition root: the one place a process is wired. Every command (transcribe, serve, worker,
 * plan, jobs), the service and the benches open a Runtime and close it when they end; nothing else
 * builds a store, a cache, a BackendSet, breakers, load or a dispatcher.
 *
 *   config → store (SQLite in dataDir, or PostgreSQL) + cache
 *          → backends (lazy; built on first use) + breakers + load → serving (how a segment is served)
 *          → dispatcher: this process's backends, or (a server in distributed mode) the BullMQ queues
 *          → llm: the chat client `ask` uses (lazy; src/llm/)
 */
import { join } from 'node:path';
import { createBackendRegistry } from './backends/registry.js';
import { BackendSet } from './backends/set.js';
import { TranscriptCache } from './cache/index.js';
import type { Config } from './config/schema.js';
import { localDispatcher, type ServingDeps } from './pipeline/serve-and-store.js';
import { ChatClient } from './llm/client.js';
import { resolveLlmSettings } from './llm/settings.js';
import { BreakerBoard, CircuitBreaker, type BreakerTransition } from './queue/breaker.js';
import { BullmqDispatcher, distributedSettings, type DistributedSettings } from './queue/bullmq/index.js';
import { sharedSegmentAudio } from './queue/bullmq/segment-blobs.js';
import { backendOfQueue, configuredQueueBackends, QueueInspector } from './queue/bullmq/queue-stats.js';
import type { SegmentDispatcher } from './queue/dispatch.js';
import { BackendLoad } from './queue/load.js';
import { retryPolicyFor } from './queue/retry.js';
import type { JobStore } from './store/jobs.js';
import { openStore } from './store/registry.js';

/**
 * What the process is: `cli` (transcribe, plan, jobs: segments served here), `server` (the HTTP
 * service: in distributed mode its segments go to the queues) or `worker` (serves queued segments).
 */
export type RuntimeRole = 'cli' | 'server' | 'worker';

export interface RuntimeOptions {
  role?: RuntimeRole;
  /** Where long-running processes want notices (a shared database unreachable, a breaker opening). */
  log?: (line: string) => void;
  /** Breaker state changes; default: a line to `log`. */
  onBreaker?: (transition: BreakerTransition) => void;
  /** Base URL workers fetch segment audio from (a server in distributed mode). */
  publicUrl?: () => string;
  /**
   * Checks the process's backends (unknown ids, bad settings) before anything is opened, so that a
   * misconfiguration fails with its own error, not with an unreachable database's.
   */
  checkBackends?: (backends: BackendSet) => void;
}

export interface Runtime {
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
  readonly log: (line: string) => void;
  /**
   * The chat client `ask` uses, built on first call (a config without `llm` is fine until then);
   * throws LLM_NOT_CONFIGURED naming the settings to set.
   */
  llm(): ChatClient;
  /** Closes what the runtime opened, in reverse order; safe to call twice. */
  close(): Promise<void>;
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const role = options.role ?? 'cli';
  const log = options.log ?? (() => {});
  // Settings are checked before anything is opened: a half-configured distributed mode fails here.
  const distributed = role === 'cli' ? undefined : distributedSettings(config);
  const backends = new BackendSet(createBackendRegistry(), config.backends);
  options.checkBackends?.(backends);
  const breakers = new BreakerBoard(config.breaker, options.onBreaker ?? ((t) => log(`breaker ${t.backend}: ${t.from} → ${t.to} (${t.reason})`)));
  const load = new BackendLoad();
  const store = await openStore(options.log ? { ...config, log: options.log } : config).catch(async (error: unknown) => {
    await backends.closeAll();
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
  const queued =
    role === 'server' && distributed
      ? new BullmqDispatcher({
          config: distributed,
          store,
          publicUrl: () => distributed.publicUrl ?? options.publicUrl?.() ?? 'http://localhost',
          // Any API server answers a segment URL: the audio goes to the shared store first.
          ...(store.dialect === 'postgres' ? { segmentAudio: sharedSegmentAudio(store.blobs) } : {}),
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
        })
      : undefined;
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
    config,
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
    log,
    llm,
    close: () =>
      (closed ??= (async () => {
        await queued?.close();
        await queueStats?.close();
        await store.close();
        await backends.closeAll();
      })()),
  };
}
