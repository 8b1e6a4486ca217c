/**
 * `parascribe worker`: serves segment tasks from Redis (distributed mode) until SIGINT/SIGTERM. Needs
 * PARASCRIBE_REDIS_URL, PARASCRIBE_DATABASE_URL and PARASCRIBE_WORKER_SECRET, as the server has them.
 * On the signal it stops taking tasks; in-flight segments get the grace period, then go back to the
 * queue for another worker.
 */
import type { BackendSet } from '../backends/set.js';
import { configSchema, type Config } from '../config/schema.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import { resolveChain } from '../pipeline/job.js';
import { distributedSettings, SegmentWorker } from '../queue/bullmq/index.js';
import { openRuntime } from '../runtime.js';
import { watchForReloads, type ConfigSource } from './reload.js';

export interface WorkerIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

/** Flags over the file/env worker settings, checked by the same schema. */
export function withWorkerFlags(config: Config, flags: Record<string, unknown>): Config {
  const worker = { ...config.distributed.worker, ...flags };
  const parsed = configSchema.shape.distributed.safeParse({ ...config.distributed, worker });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = { concurrency: '--concurrency', backends: '--backends', graceSec: '--grace', minWarm: '--min-warm' }[String(issue.path[1])] ?? issue.path.join('.');
    throw new ParascribeError('INVALID_ARGUMENT', `invalid value for ${flag}: ${issue.message}`);
  }
  return { ...config, distributed: parsed.data };
}

/** Served backends: the flag/config list, else the configured chain's primary and fallbacks. */
function servedBackends(config: Config, backends: BackendSet): string[] {
  const listed = config.distributed.worker.backends;
  if (listed && listed.length > 0) return [...new Set(listed)];
  return resolveChain(config, backends).chain;
}

/** `source`: how to read the config again on SIGHUP or a config file edit (reload.ts); absent, no reloads. */
export async function workerCommand(config: Config, io: WorkerIo, source?: ConfigSource): Promise<number> {
  const distributed = distributedSettings(config);
  if (!distributed) throw new ParascribeError('INVALID_CONFIG', 'parascribe worker needs PARASCRIBE_REDIS_URL (redis://…): the queue it takes segment tasks from');
  const log = (line: string) => io.stderr.write(`parascribe worker: ${line}\n`);
  const { worker: settings } = distributed;
  let served: string[] = [];
  const runtime = await openRuntime(config, {
    role: 'worker',
    log,
    checkBackends: (backends, current) => {
      const ids = servedBackends(current, backends);
      for (const id of ids) backends.get(id); // unknown ids and bad settings fail here, before any task is taken
      if (current === config) served = ids; // a reload checks its config here too; the queues served stay
    },
    ...(source ? { reload: source.load } : {}),
  });
  const stopReloads = source ? watchForReloads({ reload: (reason) => runtime.reload(reason), path: source.path, log }) : undefined;
  const { backends } = runtime;
  let worker: SegmentWorker | undefined;
  try {
    worker = new SegmentWorker({ config: distributed, backendIds: served, concurrency: settings.concurrency, log, deps: runtime.serving });
    if (settings.minWarm) {
      // The warm pool: pay model loads now, not on the first segment (whisper.cpp loads its model here).
      const started = performance.now();
      for (const id of served) await backends.get(id).check?.(io.signal);
      log(`warm: ${served.join(', ')} ready in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    }
    await worker.start();
    io.stdout.write(`worker ${worker.name} serving ${served.join(', ')} (concurrency ${settings.concurrency})\n`);
    if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
    log(`stopping: in-flight segments get ${settings.graceSec} s, then go back to the queue`);
    await worker.stop(settings.graceSec);
    return 0;
  } catch (thrown) {
    await worker?.stop(0).catch(() => {});
    throw toParascribeError(thrown);
  } finally {
    stopReloads?.();
    await runtime.close();
  }
}
