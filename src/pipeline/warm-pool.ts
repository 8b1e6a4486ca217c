/**
 * The warm pool option: at job start, one tiny request per expected worker wakes a scale-to-zero
 * endpoint, so the job's first real requests find started workers. It costs extra requests (and
 * their compute); the report says how much, so it can be weighed against the latency it saves.
 */
import type { TranscriptionBackend } from '../backends/spec.js';

export interface WarmPoolReport {
  requests: number;
  /** Warm-up requests that started a worker. */
  coldStarts: number;
  failed: number;
  /** Compute the endpoint reported for the warm-up requests. */
  computeSec: number;
  /** From the first warm-up sent to the last answered. */
  wallSec: number;
}

/**
 * Sends `size` warm-up requests at once; never throws. Each is bounded by `timeoutSec` and by the
 * job's signal. Resolves with an empty report when the backend cannot be warmed.
 */
export async function warmPool(backend: TranscriptionBackend, size: number, timeoutSec: number, signal: AbortSignal): Promise<WarmPoolReport> {
  const report: WarmPoolReport = { requests: 0, coldStarts: 0, failed: 0, computeSec: 0, wallSec: 0 };
  if (!backend.warm || size < 1) return report;
  const started = performance.now();
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeoutSec * 1000)]);
  const outcomes = await Promise.allSettled(Array.from({ length: size }, () => backend.warm!(bounded)));
  for (const outcome of outcomes) {
    report.requests++;
    if (outcome.status === 'rejected') report.failed++;
    else {
      report.computeSec += outcome.value.computeSec;
      if (outcome.value.coldStart) report.coldStarts++;
    }
  }
  report.wallSec = (performance.now() - started) / 1000;
  return report;
}
