/**
 * Runs one accepted service job through the pipeline and does what its end needs: metrics, the
 * webhook, removing the upload. A job stopped by a service shutdown goes back to `queued` so that
 * the next start resumes it (its finished segments are kept).
 */
import type { SegmentDispatcher } from '../queue/dispatch.js';
import type { TranscriptCache } from '../cache/index.js';
import type { BackendSet } from '../backends/set.js';
import type { Config } from '../config/schema.js';
import { toParascribeError } from '../errors.js';
import type { JobEvents, JobStage } from '../pipeline/events.js';
import { runJob } from '../pipeline/job.js';
import type { BreakerBoard } from '../queue/breaker.js';
import type { BackendLoad } from '../queue/load.js';
import type { JobRow, JobStore, SegmentRow } from '../store/jobs.js';
import { configForJob } from './job-options.js';
import type { JobWatch } from './job-watch.js';
import type { ServiceMetrics } from './metrics.js';
import type { JobFiles } from './uploads.js';
import { jobProgress, jobRequestOptions, jobView } from './views.js';
import { deliverWebhook, type WebhookEvent } from './webhook/index.js';

/** Test-only crash points and other observers of a service job's life. */
export interface ServiceHooks {
  onStage?(jobId: string, stage: JobStage): void;
  onSegmentDone?(jobId: string, done: number, total: number): void;
  onUploadBytes?(bytes: number): void;
}

/** What every job of a process shares: config, store and cache, and the backends with their breakers and load. */
export interface PipelineDeps {
  config: Config;
  store: JobStore;
  cache: TranscriptCache;
  backends: BackendSet;
  breakers: BreakerBoard;
  load: BackendLoad;
  /** Distributed mode: segments go to this queue driver instead of this process's backends. */
  dispatcher?: SegmentDispatcher;
}

export interface ServiceJobContext extends PipelineDeps {
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
}

/** The abort reason of a service shutdown: a job aborted with it goes back to the queue, not to 'cancelled'. */
export const SHUTDOWN = new Error('service stopping');

export async function runServiceJob(jobId: string, signal: AbortSignal, ctx: ServiceJobContext): Promise<void> {
  const row = await ctx.store.getJob(jobId);
  if (!row || (row.status !== 'queued' && row.status !== 'running')) return;
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
      format: 'json',
      config,
      backends: ctx.backends,
      breakers: ctx.breakers,
      load: ctx.load,
      store: ctx.store,
      cache: ctx.cache,
      signal,
      events,
      ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
    });
  } catch (thrown) {
    const error = toParascribeError(thrown);
    if (signal.reason === SHUTDOWN) {
      await ctx.store.updateJob(jobId, { status: 'queued', completed_at: null, error_code: null, error: null });
      ctx.log(`job ${jobId}: stopped by shutdown, will resume on the next start`);
      return;
    }
    ctx.log(`job ${jobId}: ${error.code}: ${error.message}`);
  } finally {
    ctx.stages.delete(jobId);
    ctx.watch.notify(jobId);
  }
  await jobEnded(jobId, ctx);
}

/** Metrics, webhook and cleanup once a job has a final status. */
export async function jobEnded(jobId: string, ctx: ServiceJobContext): Promise<void> {
  const row = await ctx.store.getJob(jobId);
  if (!row || row.status === 'queued' || row.status === 'running') return;
  const segments = await ctx.store.listSegments(jobId);
  ctx.metrics.jobEnded(row, segments);
  await ctx.files.removeInput(jobId);
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
