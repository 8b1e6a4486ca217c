/**
 * The degradation decision for one new service job, from the distributed-mode snapshot (the same
 * read as /metrics): the backlog's slot seconds (autoscale.slotSecNeeded) against the fleet at
 * maxWorkers. No snapshot, no readable queues, or no cheaper backend configured: no degradation.
 */
import type { Priority } from '../core/types.js';
import { bounded, type QueueStatsSource } from '../queue/bullmq/queue-stats.js';
import { degradeDecision, type DegradePolicy } from './degrade.js';

/** What the job's record keeps (options_json.degraded; `jobs show` prints it). */
export interface JobDegradation {
  from: string;
  to: string;
  reason: string;
  clearSec: number;
  atSec: number;
}

export async function degradeForJob(
  source: QueueStatsSource | undefined,
  policy: DegradePolicy & { maxWorkers: number },
  job: { priority: Priority; primary: string; nowSec: number },
  timeoutMs = 2_000,
): Promise<JobDegradation | undefined> {
  if (!source || policy.backend === undefined || job.priority === 'critical' || job.primary === policy.backend) return undefined;
  const snapshot = await bounded(source.snapshot(), timeoutMs);
  const autoscale = snapshot?.autoscale;
  if (!autoscale) return undefined;
  const decision = degradeDecision(job.priority, { backlogSlotSec: autoscale.slotSecNeeded, maxWorkers: policy.maxWorkers, slotsPerWorker: autoscale.slotsPerWorker }, policy);
  if (!decision.degrade) return undefined;
  return { from: job.primary, to: policy.backend, reason: decision.reason, clearSec: Math.round(decision.clearSec), atSec: job.nowSec };
}
