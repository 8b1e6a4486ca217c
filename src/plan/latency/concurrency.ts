/**
 * The job's dispatch concurrency: how many of its segments are in flight at once. Decided here and
 * nowhere else: the automatic plan's candidates (choose.ts) are predicted with it, the pipeline's pool
 * (pipeline/latency-plan.ts → the job) dispatches with it, and the hedge thresholds' queue waits
 * assume it.
 */
import { availableParallelism } from 'node:os';

export interface ConcurrencyInput {
  /** `config.concurrency`: the most segments the client may dispatch at once. */
  configured?: number | undefined;
  /** The primary backend's own (`capabilities.maxConcurrency`: a remote provider's k, a worker pool). */
  backendMax?: number | undefined;
  /** CPU cores for a local engine without either; default `availableParallelism()`. */
  cores?: number | undefined;
  /**
   * The latency model's plan: its backend serves `k` at once, so no more than k are dispatched (nor
   * more than configured); `hedgedSegments`: with hedging, every one of the plan's segments goes at
   * once (still within the configured limit), so that the backend queues a hedge behind them.
   */
  model?: { k: number; hedgedSegments?: number | undefined } | undefined;
  /** The concurrency the automatic plan already chose (a candidate's, decided by this function). */
  planned?: number | undefined;
  /** Fast first words on another backend: that segment takes none of the primary's slots (+1). */
  firstSegmentElsewhere?: boolean | undefined;
  /** A remote queue (distributed mode): `config.distributed.maxSegmentsInFlight`, the workers set the pace. */
  remoteInFlight?: number | undefined;
}

export function jobConcurrency(input: ConcurrencyInput): number {
  if (input.remoteInFlight !== undefined) return input.remoteInFlight;
  const { configured, model } = input;
  let primary: number;
  if (input.planned !== undefined) primary = input.planned;
  else if (model) {
    primary = Math.max(1, Math.min(model.k, configured ?? model.k));
    if (model.hedgedSegments !== undefined) primary = Math.min(configured ?? Infinity, Math.max(primary, model.hedgedSegments));
  } else primary = configured ?? input.backendMax ?? input.cores ?? availableParallelism();
  return primary + (input.firstSegmentElsewhere ? 1 : 0);
}
