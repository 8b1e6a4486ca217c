/**
 * `GET /v1/stats/hourly`: what the dashboard adds to `GET /v1/stats` (turnaround, error rate, cost:
 * src/store/stats.ts): jobs per hour over a window, and the server's queue depth, and in distributed
 * mode its segment queues and workers (the snapshot /metrics reads). Queue and worker numbers are the
 * server's, not the caller's: they name no job.
 */
import type { QueueStatsSource } from '../queue/bullmq/queue-stats.js';
import type { JobStore } from '../store/jobs.js';
import { nowSec } from '../core/time.js';

const iso = (sec: number): string => new Date(sec * 1000).toISOString();
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

export interface StatsSources {
  store: JobStore;
  queuedJobs: () => number;
  runningJobs: () => number;
  queues?: QueueStatsSource | undefined;
}

/** `owner`: only that owner's jobs; undefined: every job (an admin key). */
export async function hourlyStats(sources: StatsSources, owner: string | undefined, hours: number, now = nowSec()) {
  const since = Math.floor(now / 3600) * 3600 - (hours - 1) * 3600;
  const jobs = await sources.store.listJobsSince(since, owner);
  const perHour = Array.from({ length: hours }, (_, i) => ({ hour: iso(since + i * 3600), jobs: 0, completed: 0, failed: 0, audio_sec: 0 }));
  for (const job of jobs) {
    const bucket = perHour[Math.floor((job.created_at - since) / 3600)];
    if (!bucket) continue;
    bucket.jobs++;
    if (job.status === 'completed') {
      bucket.completed++;
      bucket.audio_sec = round(bucket.audio_sec + (job.duration_sec ?? 0));
    }
    if (job.status === 'failed' || job.status === 'interrupted') bucket.failed++;
  }
  return {
    object: 'stats.hourly',
    scope: owner === undefined ? 'all' : 'key',
    since: iso(since),
    hours: perHour,
    server: { queued_jobs: sources.queuedJobs(), running_jobs: sources.runningJobs(), distributed: await distributedStats(sources.queues) },
  };
}

/** Segment queues and live workers (distributed mode); null in embedded mode. */
async function distributedStats(queues: QueueStatsSource | undefined) {
  if (!queues) return null;
  const snapshot = await queues.snapshot();
  return {
    queues: snapshot.queues.map((q) => ({ backend: q.backend, waiting: q.waitingTasks, active: q.activeTasks, oldest_wait_sec: round(q.oldestWaitSec), backlog_audio_sec: round(q.backlogAudioSec) })),
    workers: snapshot.workers?.length ?? null,
    worker_slots: snapshot.workers ? snapshot.workers.reduce((sum, w) => sum + w.concurrency, 0) : null,
    desired_workers: snapshot.autoscale?.desiredWorkers ?? null,
  };
}
