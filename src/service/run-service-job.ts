/**
 * Runs one accepted service job through the pipeline and does what its end needs: metrics, the
 * webhook, removing the upload. A job stopped by a service shutdown goes back to `queued` so that
 * the next start resumes it (its finished segments are kept).
 */
import type { Config } from '../config/schema.js';
import { isDiskFull, storageFull, toParascribeError } from '../errors.js';
import type { ChatClient } from '../llm/client.js';
import type { JobEvents, JobStage } from '../pipeline/events.js';
import { runJob, type JobRuntime } from '../pipeline/job.js';
import type { QueueStatsSource } from '../queue/bullmq/queue-stats.js';
import { isHandoff, JobHandoff } from '../queue/dispatch.js';
import type { BackendLoad } from '../queue/load.js';
import type { JobRow, SegmentRow } from '../store/jobs.js';
import { configForJob } from './job-options.js';
import type { JobWatch } from './job-watch.js';
import type { ServiceMetrics } from './metrics.js';
import type { ClusterSettings, ServiceCluster } from './cluster/index.js';
import type { JobFiles } from './uploads.js';
import { jobProgress, jobRequestOptions, jobView } from './views.js';
import { deliverWebhook, type WebhookEvent } from './webhook/index.js';

/** Test-only crash points and other observers of a service job's life. */
export interface ServiceHooks {
  onStage?(jobId: string, stage: JobStage): void;
  onSegmentDone?(jobId: string, done: number, total: number): void;
  onUploadBytes?(bytes: number): void;
  /** Bytes of an upload copied into the shared store so far (service/cluster/). */
  onBlobBytes?(bytes: number): void;
}

/** What the service uses of its process (a Runtime, src/runtime.ts, is one). */
export interface ServiceRuntime extends JobRuntime {
  readonly config: Config;
  readonly load: BackendLoad;
  /** Distributed mode: what `/metrics` reports about the segment queues and workers. */
  readonly queueStats?: QueueStatsSource | undefined;
  /** An API server on a store several servers share: how it joins them (service/cluster/). */
  readonly cluster?: ClusterSettings | undefined;
  /** The chat client of `ask` (throws LLM_NOT_CONFIGURED). */
  llm(): ChatClient;
}

export interface ServiceJobContext {
  runtime: ServiceRuntime;
  config: Config;
  files: JobFiles;
  watch: JobWatch;
  metrics: ServiceMetrics;
  stages: Map<string, JobStage>;
  hooks: ServiceHooks;
  /** Base URL for links in webhook payloads. */
  publicUrl: () => string;
  log: (line: string) => void;
  /** Background work (webhooks) the service waits for when it stops. */
  track: (work: Promise<unknown>) => void;
  /** Several servers on one PostgreSQL store (service/cluster/); absent on the embedded store. */
  cluster?: ServiceCluster | undefined;
}

/** The abort reason of a service shutdown: a job aborted with it goes back to the queue, not to 'cancelled'. */
export const SHUTDOWN = new JobHandoff('service stopping');

export async function runServiceJob(jobId: string, signal: AbortSignal, ctx: ServiceJobContext): Promise<void> {
  const row = await ctx.runtime.store.getJob(jobId);
  if (!row || (row.status !== 'queued' && row.status !== 'running')) return;
  const { cluster } = ctx;
  // Claimed, then taken by another server before it started here: that server runs it.
  if (cluster && !cluster.holds(row)) return;
  // A job taken over from another server: its upload comes from the shared store.
  // Neither here nor there: the run fails on the missing input (its JobRecord writes the row).
  if (cluster && !(await cluster.files.ensureInput(jobId, signal).catch(() => false))) {
    if (signal.aborted) return;
    ctx.log(`job ${jobId}: its upload is on no server and not in the shared store`);
  }
  const config = configForJob(ctx.config, jobRequestOptions(row));
  const events: JobEvents = {
    onStage: (stage) => {
      ctx.stages.set(jobId, stage);
      ctx.watch.notify(jobId);
      ctx.hooks.onStage?.(jobId, stage);
    },
    onPlan: () => ctx.watch.notify(jobId),
    onSegmentDone: (_index, done, total) => {
      ctx.watch.notify(jobId);
      ctx.hooks.onSegmentDone?.(jobId, done, total);
    },
  };
  try {
    await runJob({
      jobId,
      input: ctx.files.input(jobId),
      outputPath: ctx.files.transcript(jobId),
      peaksPath: ctx.files.peaks(jobId),
      format: 'json',
      config,
      runtime: ctx.runtime,
      signal,
      events,
      // Fenced: a server that lost the job while it was away (frozen past its lease) must not complete it too.
      ...(cluster ? { publishOutput: (rendered: string) => cluster.publishTranscript(jobId, rendered) } : {}),
    });
  } catch (thrown) {
    const error = toParascribeError(thrown);
    if (signal.reason === SHUTDOWN) {
      await ctx.runtime.store.updateJob(jobId, { status: 'queued', completed_at: null, error_code: null, error: null });
      ctx.log(`job ${jobId}: stopped by shutdown, will resume on the next start${cluster ? ' (or on another server)' : ''}`);
      return;
    }
    // Another server holds the job now (this one was away past its lease): the row is its.
    if (isHandoff(thrown) || (signal.aborted && isHandoff(signal.reason))) {
      ctx.log(`job ${jobId}: another server holds it now; stopped here without touching it`);
      return;
    }
    ctx.log(`job ${jobId}: ${error.code}: ${error.message}`);
    // The transcript (or another file) could not be written because the server's disk is full: that is
    // the server's trouble, not the client's output path (OUTPUT_NOT_WRITABLE, as the CLI says it).
    if (error.code !== 'STORAGE_FULL' && isDiskFull(error)) {
      const full = storageFull('writing the transcript');
      await ctx.runtime.store.updateJob(jobId, { error_code: full.code, error: full.message }).catch(() => undefined);
    }
  } finally {
    ctx.stages.delete(jobId);
    ctx.watch.notify(jobId);
  }
  await jobEnded(jobId, ctx);
}

/** Metrics, webhook and cleanup once a job has a final status. */
export async function jobEnded(jobId: string, ctx: ServiceJobContext): Promise<void> {
  const row = await ctx.runtime.store.getJob(jobId);
  if (!row || row.status === 'queued' || row.status === 'running') return;
  const segments = await ctx.runtime.store.listSegments(jobId);
  ctx.metrics.jobEnded(row, segments);
  // Kept for playback beside the transcript (serve.keepUploadHours); the service's sweep deletes it later.
  const keepSec = ctx.config.serve.keepUploadHours * 3600;
  if (keepSec <= 0) await ctx.files.removeInput(jobId);
  await ctx.cluster?.jobEnded(jobId, keepSec > 0);
  const webhookUrl = jobRequestOptions(row).webhook_url;
  if (webhookUrl && ctx.config.serve.webhookSecret) ctx.track(sendWebhook(row, webhookUrl, ctx, segments));
}

async function sendWebhook(row: JobRow, url: string, ctx: ServiceJobContext, segments: readonly SegmentRow[]): Promise<void> {
  const event: WebhookEvent = row.status === 'completed' ? 'job.completed' : row.status === 'cancelled' ? 'job.cancelled' : 'job.failed';
  const payload = { event, job: jobView(row, jobProgress(row, segments, null), { baseUrl: ctx.publicUrl(), dataDir: ctx.config.dataDir }) };
  try {
    const result = await deliverWebhook({ url, event, payload, deliveryId: `${row.id}.${event}` }, { secret: ctx.config.serve.webhookSecret! });
    ctx.metrics.webhook(result.delivered ? 'delivered' : 'failed');
    if (!result.delivered) ctx.log(`job ${row.id}: webhook to ${new URL(url).origin} not delivered after ${result.attempts.length} attempts`);
  } catch (error) {
    ctx.metrics.webhook('failed');
    ctx.log(`job ${row.id}: webhook: ${toParascribeError(error).message}`);
  }
}
