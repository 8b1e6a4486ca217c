/** `get_job`: a job's status, stage, progress (segments done of total), telemetry and error. */
import { z } from 'zod';
import { defineTool, jsonResult } from '../tool.js';
import { jobSummary, mcpJobView } from '../views.js';

export const jobIdInput = z.string().min(1).max(64).describe('The job id transcribe returned (e.g. "jm3k9x2q7wz4b").');

export const getJobTool = defineTool({
  name: 'get_job',
  title: 'Job status',
  description: "A transcription job's status, progress (segments done of total), telemetry (wall and compute seconds, parallelism, real-time factor, cost) and error, if any.",
  input: z.strictObject({ job_id: jobIdInput }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const view = await mcpJobView(ctx.service, await ctx.service.get(ctx.owner, args.job_id));
    return jsonResult(view, jobSummary(view));
  },
});
