/**
 * Accepting a job (TranscriptionService.admit/accept delegate here): per-key admission, the upload
 * checked as audio, degradation to a cheaper backend under overload, the upload published to a shared
 * store, and the job row recorded and queued.
 */
import { checkAudioDuration } from '../audio/limits.js';
import { fixedSegmentSec, type Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { resolveChain } from '../pipeline/job.js';
import type { JobRow } from '../store/jobs.js';
import { degradeForJob, type JobDegradation } from '../autoscale/degrade-job.js';
import { nowSec } from '../core/time.js';
import type { ServiceCluster } from './cluster/index.js';
import { configForJob, type JobOptions } from './job-options.js';
import type { ServiceMetrics } from './metrics.js';
import type { ServiceRuntime } from './run-service-job.js';
import type { JobScheduler } from './scheduler.js';
import type { JobFiles } from './uploads.js';

/** Retry-After of a QUEUE_FULL answer: about the time a short job takes to leave the queue. */
export const QUEUE_RETRY_AFTER_SEC = 30;

/** What accepting a job uses of the service. */
export interface AcceptDeps {
  runtime: ServiceRuntime;
  files: JobFiles;
  cluster: ServiceCluster | undefined;
  metrics: ServiceMetrics;
  scheduler: JobScheduler;
}

/**
 * Backpressure per API key: refuses a new job while `owner` has `serve.maxQueuedJobsPerKey` jobs
 * waiting to start (429 QUEUE_FULL, Retry-After), checked before an upload is read and again when
 * it is accepted, so a key cannot grow the queue without bound.
 */
export function admitJob(config: Config, scheduler: JobScheduler, owner: string): void {
  const max = config.serve.maxQueuedJobsPerKey;
  const queued = scheduler.queuedFor(owner);
  if (queued < max) return;
  throw new ParascribeError('QUEUE_FULL', `${queued} of your jobs are waiting to start, the most one key may queue (serve.maxQueuedJobsPerKey = ${max}); retry when one has started`, {
    details: { retryAfterSec: QUEUE_RETRY_AFTER_SEC, queued, maxQueuedJobsPerKey: max },
  });
}

/**
 * The upload is complete in `files.partial(jobId)`: check it is audio, record the job, queue it. Only
 * after this resolves does the caller answer 202, so an accepted job survives a crash.
 */
export async function acceptJob(deps: AcceptDeps, jobId: string, owner: string, sourceName: string | null, options: JobOptions, signal?: AbortSignal): Promise<JobRow> {
  const { runtime, files, cluster } = deps;
  let config: Config;
  let primary: string;
  let chain: string[];
  try {
    config = configForJob(runtime.config, options);
    const resolved = resolveChain(config, runtime.backends);
    primary = resolved.primary.id;
    chain = resolved.chain;
    admitJob(runtime.config, deps.scheduler, owner);
  } catch (error) {
    await files.remove(jobId);
    throw error;
  }
  await files.accept(jobId, sourceName, (info) => checkAudioDuration(info, config.limits), signal);
  const degraded = await degradeUnderOverload(runtime, config, primary);
  if (degraded) {
    // Only the primary changes: the job's own fallbacks still follow it.
    chain = [...new Set([degraded.to, ...chain])];
    primary = degraded.to;
  }
  // Shared store: the upload goes there too, complete only with the job row (and its first lease).
  if (cluster) await cluster.files.publishUpload(jobId, signal).catch(async (error: unknown) => {
    await files.remove(jobId);
    throw error;
  });
  await runtime.store.createJob({
    id: jobId,
    source: files.input(jobId),
    sourceName,
    owner,
    segmentSec: fixedSegmentSec(config),
    backend: primary,
    format: 'json',
    language: config.language ?? null,
    priority: config.priority,
    // A degraded job runs from its request like any other (run-service-job.ts), so the request names
    // the cheaper backend, with the original chain as its fallback: degraded work is never lost.
    options: degraded ? { request: { ...options, backend: degraded.to, fallback: chain.slice(1) }, chain, degraded } : { request: options, chain },
  }, cluster?.adoptUpload(jobId)).catch(async (error: unknown) => {
    // No job row: the upload belongs to nobody (a store outage, a full disk), so none of it is kept.
    await files.remove(jobId);
    await cluster?.files.discardUpload(jobId);
    throw error;
  });
  if (degraded) deps.metrics.jobDegraded(config.priority, degraded.from, degraded.to);
  deps.scheduler.enqueue(jobId, config.priority, owner);
  return (await runtime.store.getJob(jobId))!;
}

/** Distributed mode under overload: the cheaper backend for a batch or normal job (src/autoscale/degrade.ts). */
async function degradeUnderOverload(runtime: ServiceRuntime, config: Config, primary: string): Promise<JobDegradation | undefined> {
  const { distributed } = runtime.config;
  const { degrade } = distributed.autoscale;
  const policy = { ...degrade, backend: degrade.backend, maxWorkers: distributed.autoscale.maxWorkers };
  if (policy.backend === undefined) return undefined;
  try {
    runtime.backends.get(policy.backend);
  } catch {
    return undefined; // Not buildable: the job keeps its own backend rather than failing.
  }
  return degradeForJob(runtime.queueStats, policy, { priority: config.priority, primary, nowSec: nowSec() });
}
