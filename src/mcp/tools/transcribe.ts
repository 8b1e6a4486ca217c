/**
 * `transcribe`: a file path (inside `mcp.roots`) or an http(s) URL (through the service's SSRF checks)
 * becomes a job, as an upload does; with `wait`, the call returns once the job has ended (or after
 * `wait_timeout_sec`, the job still running), reporting progress to a client that sent a progress token.
 */
import { z } from 'zod';
import { ParascribeError } from '../../errors.js';
import { copyFileIntoJob, downloadIntoJob } from '../../service/ingest.js';
import { jobOptionsSchema, type JobOptions } from '../../service/job-options.js';
import { TERMINAL_STATUSES } from '../../service/views.js';
import { confinePath } from '../roots.js';
import { defineTool, jsonResult, type ToolContext } from '../tool.js';
import { jobSummary, mcpJobView, type McpJobView } from '../views.js';

const options = jobOptionsSchema.shape;

const input = z
  .strictObject({
    path: z.string().min(1).max(4096).optional().describe('An absolute path of an audio or video file on the server, inside one of the directories of mcp.roots. Give path or url, not both.'),
    url: z.string().min(1).max(4000).optional().describe('An http(s) URL of an audio or video file; the server downloads it (private and loopback addresses are refused).'),
    wait: z.boolean().default(false).describe('Return once the job has ended (completed, failed, cancelled), not at once.'),
    wait_timeout_sec: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(50)
      .describe('With wait: the longest wait (default 50 s, under the request timeout many MCP clients keep); the job keeps running after it.'),
    backend: options.backend.describe('ASR backend id (default: the server\'s routing).'),
    language: options.language.describe('Spoken language, ISO-639-1 (e.g. "en").'),
    priority: options.priority,
    segment_sec: options.segment_sec.describe('Target segment length in seconds, or "auto".'),
  })
  .refine((args) => (args.path === undefined) !== (args.url === undefined), { message: 'give exactly one of path and url' });

type Args = z.output<typeof input>;

/** Where a job stands, as percent for progress notifications: the stages before the segments take 10, the segments 85. */
const STAGE_PERCENT: Record<string, number> = { queued: 0, probing: 2, hashing: 4, decoding: 6, planning: 8, transcribing: 10, stitching: 95, writing: 98 };

export function progressPercent(view: Pick<McpJobView, 'status' | 'progress'>): number {
  const { stage, segments_done: done, segments_total: total } = view.progress;
  if (TERMINAL_STATUSES.has(view.status)) return 100;
  const base = STAGE_PERCENT[stage ?? view.status] ?? 0;
  return stage === 'transcribing' && total ? base + Math.floor((85 * done) / total) : base;
}

function progressMessage(view: McpJobView): string {
  const { stage, segments_done: done, segments_total: total } = view.progress;
  const where = stage && stage !== view.status ? `${view.status} (${stage})` : view.status;
  return total ? `${where}: ${done}/${total} segments` : where;
}

/**
 * Waits until the job ends, `timeoutSec` passes or the call is cancelled. Progress goes out whenever
 * the percent grows (MCP wants it to increase with every notification).
 */
async function waitForJob(ctx: ToolContext, jobId: string, timeoutSec: number) {
  const deadline = Date.now() + timeoutSec * 1000;
  let sent = -1;
  for (;;) {
    const view = await mcpJobView(ctx.service, await ctx.service.get(ctx.owner, jobId));
    if (TERMINAL_STATUSES.has(view.status)) return { view, timedOut: false };
    const left = deadline - Date.now();
    if (left <= 0) return { view, timedOut: true };
    const percent = progressPercent(view);
    if (percent > sent) {
      sent = percent;
      await ctx.progress(percent, 100, progressMessage(view)).catch(() => undefined);
    }
    if ((await ctx.service.watch.wait(jobId, Math.min(left, 5_000), ctx.signal)) === 'aborted') throw new ParascribeError('ABORTED', `the wait was cancelled; job ${jobId} keeps running (get_job)`);
  }
}

export const transcribeTool = defineTool({
  name: 'transcribe',
  title: 'Transcribe a recording',
  description:
    'Transcribe a long audio or video recording given as a server file path (inside the allowed roots) or an http(s) URL. Returns the job id at once, or with wait=true once the job has ended; then read it with get_transcript, search it with search_transcripts, or ask_transcript.',
  input,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(args: Args, ctx) {
    const jobOptions: JobOptions = {
      ...(args.backend !== undefined ? { backend: args.backend } : {}),
      ...(args.language !== undefined ? { language: args.language } : {}),
      ...(args.priority !== undefined ? { priority: args.priority } : {}),
      ...(args.segment_sec !== undefined ? { segment_sec: args.segment_sec } : {}),
    };
    const { service } = ctx;
    service.checkOptions(jobOptions);
    service.admit(ctx.owner);
    const { jobId, name } =
      args.path !== undefined
        ? await copyFileIntoJob(service, await confinePath(args.path, ctx.config.mcp.roots), ctx.signal)
        : await downloadIntoJob(service, args.url!, ctx.signal);
    const row = await service.accept(jobId, ctx.owner, name, jobOptions, ctx.signal);
    if (!args.wait) {
      const view = await mcpJobView(service, row);
      return jsonResult(view, `Job ${view.id} accepted (${view.status}). Check it with get_job, or call transcribe with wait=true next time.`);
    }
    const { view, timedOut } = await waitForJob(ctx, jobId, args.wait_timeout_sec);
    const lead = timedOut ? `Still ${view.status} after ${args.wait_timeout_sec} s; the job keeps running. ${jobSummary(view)}` : jobSummary(view);
    // A job that failed is the call's failure too: the model reads the error line first.
    return { ...jsonResult(view, lead), ...(view.status === 'failed' ? { isError: true } : {}) };
  },
});
