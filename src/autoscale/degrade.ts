/**
 * Degraded fidelity under overload, as a pure function: when the queued work exceeds what the whole
 * fleet (at maxWorkers) can clear within the target, new batch jobs go to the configured cheaper
 * backend; past `normalAfter` × the target, normal jobs too. Critical jobs are never degraded: they
 * keep the primary and its queue priority.
 *
 *   clear sec = backlog slot seconds ÷ (maxWorkers × slots per worker)
 *   batch  degraded when clear sec > batchAfter  × targetSec
 *   normal degraded when clear sec > normalAfter × targetSec
 */
import type { Priority } from '../core/types.js';

export interface DegradePolicy {
  /** The cheaper backend; undefined: never degrade. */
  backend: string | undefined;
  targetSec: number;
  batchAfter: number;
  normalAfter: number;
}

export interface FleetPressure {
  /** Slot seconds the queued and running segments need (audio ÷ measured slot speed). */
  backlogSlotSec: number;
  maxWorkers: number;
  slotsPerWorker: number;
}

export interface DegradeDecision {
  degrade: boolean;
  /** Seconds the whole fleet would take to clear the backlog. */
  clearSec: number;
  /** Why, for the job's record. */
  reason: string;
}

export function clearSec(pressure: FleetPressure): number {
  const slots = Math.max(1, pressure.maxWorkers) * Math.max(1, pressure.slotsPerWorker);
  return Math.max(0, pressure.backlogSlotSec) / slots;
}

export function degradeDecision(priority: Priority, pressure: FleetPressure, policy: DegradePolicy): DegradeDecision {
  const sec = clearSec(pressure);
  const after = priority === 'batch' ? policy.batchAfter : priority === 'normal' ? policy.normalAfter : Infinity;
  const limitSec = after * policy.targetSec;
  if (policy.backend === undefined || !(sec > limitSec)) return { degrade: false, clearSec: sec, reason: '' };
  return {
    degrade: true,
    clearSec: sec,
    reason: `fleet overloaded: the backlog needs ${Math.round(sec)} s at ${pressure.maxWorkers} workers, over ${Math.round(limitSec)} s for ${priority} jobs; sent to ${policy.backend}`,
  };
}
