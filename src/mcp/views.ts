/** A job as the MCP tools show it: the API's job view without HTTP links, with its transcript resource. */
import type { JobRow } from '../store/jobs.js';
import type { TranscriptionService } from '../service/service.js';

export const transcriptUri = (jobId: string): string => `transcript://${jobId}`;

export async function mcpJobView(service: TranscriptionService, row: JobRow) {
  const { links: _links, ...view } = await service.view(row);
  return { ...view, transcript_resource: row.status === 'completed' ? transcriptUri(row.id) : null };
}

export type McpJobView = Awaited<ReturnType<typeof mcpJobView>>;

/** One line a model can act on: where the job stands and what to call next. */
export function jobSummary(view: McpJobView): string {
  const { progress } = view;
  const segments = progress.segments_total === null ? '' : ` (${progress.segments_done}/${progress.segments_total} segments)`;
  switch (view.status) {
    case 'completed':
      return `Job ${view.id} completed${view.duration_sec === null ? '' : `: ${view.duration_sec.toFixed(1)} s of audio`}. Read it with get_transcript or the resource ${transcriptUri(view.id)}; ask it questions with ask_transcript.`;
    case 'queued':
    case 'running':
      return `Job ${view.id} is ${view.status}${progress.stage ? ` (${progress.stage})` : ''}${segments}. Check it with get_job.`;
    default:
      return `Job ${view.id} ${view.status}${view.error ? `: error[${view.error.code}]: ${view.error.message}` : ''}.`;
  }
}
