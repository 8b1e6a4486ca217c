/**
 * `GET /v1/stats`: the dashboard's numbers for the caller's own jobs over a window (jobs per hour,
 * turnaround percentiles, error rate, cost per audio minute), from the store; plus the server's queue
 * depth, and in distributed mode the segment queues and workers (the snapshot /metrics reads). Queue
 * and worker numbers are the server's, not the caller's: they name no job.
 */
import type { QueueStatsSource } from '../queue/bullmq/queue-stats.js';
import type { JobStore } from '../store/jobs.js';
import { nowSec } from '../core/time.js';

const iso = (sec: number): string => new Date(sec * 1000).toISOString();
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** The p-th percentile (0–100) by nearest rank; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface StatsSources {
  store: JobStore;
  queuedJobs: () => number;
  runningJobs: () => number;
  queues?: QueueStatsSource | undefined;
}

export async function dashboardStats(sources: StatsSources, owner: string, hours: number, now = nowSec()) {
  const since = Math.floor(now / 3600) * 3600 - (hours - 1) * 3600;
  const jobs = await sources.store.listOwnerJobsSince(owner, since);
  const perHour = Array.from({ length: hours }, (_, i) => ({ hour: iso(since + i * 3600), jobs: 0, completed: 0, failed: 0 }));
  const byStatus: Record<string, number> = {};
  const turnaround: number[] = [];
  let audioSec = 0;
  let costUsd = 0;
  for (const job of jobs) {
    byStatus[job.status] = (byStatus[job.status] ?? 0) + 1;
    const bucket = perHour[Math.floor((job.created_at - since) / 3600)];
    if (bucket) {
      bucket.jobs++;
      if (job.status === 'completed') bucket.completed++;
      if (job.status === 'failed' || job.status === 'interrupted') bucket.failed++;
    }
    if (job.status === 'completed' && job.completed_at !== null) {
      turnaround.push(job.completed_at - job.created_at);
      audioSec += job.duration_sec ?? 0;
    }
    costUsd += job.cost_usd ?? 0;
  }
  const ended = (byStatus.completed ?? 0) + (byStatus.failed ?? 0) + (byStatus.interrupted ?? 0);
  const failed = (byStatus.failed ?? 0) + (byStatus.interrupted ?? 0);
  const p = (q: number) => {
    const value = percentile(turnaround, q);
    return value === null ? null : round(value);
  };
  return {
    object: 'stats',
    window_hours: hours,
    since: iso(since),
    jobs: { total: jobs.length, by_status: byStatus, per_hour: perHour },
    turnaround_sec: { p50: p(50), p95: p(95), count: turnaround.length },
    error_rate: ended === 0 ? null : round(failed / ended, 4),
    audio_minutes: round(audioSec / 60, 2),
    cost_usd: round(costUsd, 6),
    cost_per_audio_minute_usd: audioSec > 0 ? round(costUsd / (audioSec / 60), 6) : null,
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
