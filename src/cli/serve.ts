/**
 * `parascribe serve`: the HTTP service on the embedded default (SQLite, local pool). Resumes the jobs
 * a previous process left unfinished, then serves until SIGINT/SIGTERM; on the signal it stops
 * taking requests, returns running jobs to the queue (the next start resumes them) and exits 0.
 */
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { resolveChain } from '../pipeline/job.js';
import { openRuntime } from '../runtime.js';
import { createApp } from '../server/app.js';
import { crashHooks } from '../server/crash-points.js';
import { isLoopbackHost, listen } from '../server/listen.js';
import { TranscriptionService } from '../service/service.js';
import { watchForReloads, type ConfigSource } from './reload.js';

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
  if (serve.auth && serve.apiKeys.length + serve.adminKeys.length === 0) {
    throw new ParascribeError('INVALID_CONFIG', 'no API keys: set PARASCRIBE_API_KEYS (comma-separated) or serve.apiKeys in the config file, or use --no-auth on a loopback host');
  }
}

/** `source`: how to read the config again on SIGHUP or a config file edit (reload.ts); absent, no reloads. */
export async function serveCommand(config: Config, io: ServeIo, source?: ConfigSource): Promise<number> {
  checkAuth(config);
  const log = (line: string) => io.stderr.write(`parascribe serve: ${line}\n`);
  let listeningUrl = '';
  const runtime = await openRuntime(config, {
    role: 'server',
    httpApi: true,
    log,
    publicUrl: () => listeningUrl,
    checkBackends: (backends, current) => resolveChain(current, backends),
    ...(source ? { reload: source.load } : {}),
  });
  const stopReloads = source ? watchForReloads({ reload: (reason) => runtime.reload(reason), path: source.path, log }) : undefined;
  const service = new TranscriptionService({ runtime, hooks: crashHooks(process.env.PARASCRIBE_TEST_CRASH_AT), log });
  let listening: Awaited<ReturnType<typeof listen>> | undefined;
  const { queueStats, distributed, rateBuckets: buckets } = runtime;
  try {
    listening = await listen(createApp(service, { log, ...(queueStats ? { queueBoard: queueStats } : {}), ...(buckets ? { buckets } : {}) }), { host: config.serve.host, port: config.serve.port, requestTimeoutSec: config.serve.requestTimeoutSec });
    service.setPublicUrl(listening.url);
    listeningUrl = listening.url;
    if (distributed) log(`distributed mode: segments go to Redis queues (prefix ${distributed.queuePrefix}) for parascribe worker processes`);
    if (service.cluster) log(`shared store: instance ${service.cluster.id}, job leases of ${config.serve.cluster.leaseSec} s`);
    const { resumed, orphans, takenOver = [] } = await service.start();
    if (resumed.length > 0) log(`resuming ${resumed.length} unfinished job(s): ${resumed.join(' ')}${takenOver.length > 0 ? ` (${takenOver.length} with no live owner)` : ''}`);
    if (orphans > 0) log(`removed ${orphans} upload(s) that never became a job`);
    // One line on stdout, so scripts (and tests) can read the address, also for --port 0.
    io.stdout.write(`listening on ${listening.url}\n`);
    if (!config.serve.auth) log('auth is OFF (--no-auth): every caller shares one job list');
    if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
    log('stopping: running jobs go back to the queue');
    return 0;
  } finally {
    stopReloads?.();
    await listening?.close();
    await service.stop();
    await runtime.close();
  }
}
