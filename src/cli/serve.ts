/**
 * `parascribe serve`: the HTTP service on the embedded default (SQLite, local pool). Resumes the jobs
 * a previous process left unfinished, then serves until SIGINT/SIGTERM; on the signal it stops
 * taking requests, returns running jobs to the queue (the next start resumes them) and exits 0.
 */
import { createBackendRegistry } from '../backends/registry.js';
import { BackendSet } from '../backends/set.js';
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { resolveChain } from '../pipeline/job.js';
import { BreakerBoard } from '../queue/breaker.js';
import { BullmqDispatcher, distributedSettings } from '../queue/bullmq/index.js';
import { backendOfQueue, configuredQueueBackends, QueueInspector } from '../queue/bullmq/queue-stats.js';
import { BackendLoad } from '../queue/load.js';
import { createApp } from '../server/app.js';
import { crashHooks } from '../server/crash-points.js';
import { isLoopbackHost, listen } from '../server/listen.js';
import { TranscriptionService } from '../service/service.js';
import { openContext } from './context.js';

export interface ServeIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

function checkAuth(config: Config): void {
  const { serve } = config;
  if (!serve.auth && !isLoopbackHost(serve.host)) {
    throw new ParascribeError('INVALID_ARGUMENT', `--no-auth is only allowed on a loopback host (127.0.0.1, ::1, localhost), not ${serve.host}`);
  }
  if (serve.auth && serve.apiKeys.length === 0) {
    throw new ParascribeError('INVALID_CONFIG', 'no API keys: set PARASCRIBE_API_KEYS (comma-separated) or serve.apiKeys in the config file, or use --no-auth on a loopback host');
  }
}

export async function serveCommand(config: Config, io: ServeIo): Promise<number> {
  checkAuth(config);
  const log = (line: string) => io.stderr.write(`parascribe serve: ${line}\n`);
  const backends = new BackendSet(createBackendRegistry(), config.backends);
  resolveChain(config, backends);
  const breakers = new BreakerBoard(config.breaker, (t) => log(`breaker ${t.backend}: ${t.from} → ${t.to} (${t.reason})`));
  const distributed = distributedSettings(config);
  const context = await openContext(config, log);
  let listeningUrl = '';
  const dispatcher = distributed
    ? new BullmqDispatcher({ config: distributed, store: context.store, publicUrl: () => distributed.publicUrl ?? listeningUrl, log })
    : undefined;
  // Distributed mode: the queues as /metrics (autoscaling signal) and /admin/queues see them.
  const inspector =
    distributed && dispatcher
      ? new QueueInspector({
          redisUrl: distributed.redisUrl,
          queuePrefix: distributed.queuePrefix,
          store: context.store,
          backendIds: () => [...configuredQueueBackends(config), ...dispatcher.queues().map((q) => backendOfQueue(q.name))],
          policy: distributed.autoscale,
          workerConcurrency: distributed.worker.concurrency,
        })
      : undefined;
  const service = new TranscriptionService({
    config,
    store: context.store,
    cache: context.cache,
    backends,
    breakers,
    load: new BackendLoad(),
    hooks: crashHooks(process.env.PARASCRIBE_TEST_CRASH_AT),
    log,
    ...(dispatcher ? { dispatcher } : {}),
    ...(inspector ? { queueStats: inspector } : {}),
  });
  let listening: Awaited<ReturnType<typeof listen>> | undefined;
  try {
    listening = await listen(createApp(service, { log, ...(inspector ? { queueBoard: inspector } : {}) }), { host: config.serve.host, port: config.serve.port, requestTimeoutSec: config.serve.requestTimeoutSec });
    service.setPublicUrl(listening.url);
    listeningUrl = listening.url;
    if (distributed) log(`distributed mode: segments go to Redis queues (prefix ${distributed.queuePrefix}) for parascribe worker processes`);
    const { resumed, orphans } = await service.start();
    if (resumed.length > 0) log(`resuming ${resumed.length} unfinished job(s): ${resumed.join(' ')}`);
    if (orphans > 0) log(`removed ${orphans} upload(s) that never became a job`);
    // One line on stdout, so scripts (and tests) can read the address, also for --port 0.
    io.stdout.write(`listening on ${listening.url}\n`);
    if (!config.serve.auth) log('auth is OFF (--no-auth): every caller shares one job list');
    if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
    log('stopping: running jobs go back to the queue');
    return 0;
  } finally {
    await listening?.close();
    await service.stop();
    await dispatcher?.close();
    await inspector?.close();
    await context.store.close();
    await backends.closeAll();
  }
}
