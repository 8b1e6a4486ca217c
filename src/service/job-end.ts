/**
 * A service job ended from outside its run (TranscriptionService.cancel/waitForEnd delegate here):
 * cancelled by its owner, here or on the live server that runs it, and waited for until it has ended.
 */
import { ParascribeError } from '../errors.js';
import { nowSec } from '../core/time.js';
import type { JobRow, JobStore } from '../store/jobs.js';
import type { JobWatch } from './job-watch.js';
import { jobEnded, type ServiceJobContext } from './run-service-job.js';
import type { JobScheduler } from './scheduler.js';
import { TERMINAL_STATUSES } from './views.js';

/** Cancels a queued or running job (running segments are aborted); a finished job is returned unchanged. */
export async function cancelJob(ctx: ServiceJobContext, scheduler: JobScheduler, row: JobRow): Promise<JobRow> {
  if (TERMINAL_STATUSES.has(row.status)) return row;
  const { store } = ctx.runtime;
  const jobId = row.id;
  const waitForEnd = (signal: AbortSignal) => waitForJobEnd(store, ctx.watch, jobId, signal);
  let outcome = scheduler.cancel(jobId);
  // Another live server runs it: only that server can stop its segments (it is asked, for up to 10 s).
  if (outcome === 'unknown' && (await ctx.cluster?.cancelElsewhere(jobId, waitForEnd))) outcome = 'aborted';
  if (outcome === 'aborted') {
    // runJob marks the job cancelled once its segments have stopped; answer with what is there after 30 s at most.
    await waitForEnd(AbortSignal.timeout(30_000)).catch(() => undefined);
  } else {
    await store.updateJob(jobId, { status: 'cancelled', completed_at: nowSec(), error_code: 'ABORTED', error: 'cancelled by the client' });
    await store.cancelOpenSegments(jobId);
    ctx.watch.notify(jobId);
    await jobEnded(jobId, ctx);
  }
  return (await store.getJob(jobId))!;
}

/** Waits until the job has a final status (or the signal aborts); re-reads the store after each wake. */
export async function waitForJobEnd(store: JobStore, watch: JobWatch, jobId: string, signal?: AbortSignal): Promise<JobRow> {
  for (;;) {
    const row = await store.getJob(jobId);
    if (!row) throw new ParascribeError('JOB_NOT_FOUND', `no job ${jobId}`);
    if (TERMINAL_STATUSES.has(row.status)) return row;
    if ((await watch.wait(jobId, 5_000, signal)) === 'aborted') throw new ParascribeError('ABORTED', 'the client went away');
  }
}
