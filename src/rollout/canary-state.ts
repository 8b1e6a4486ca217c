/**
 * The canary's verdict, a pure function of its counts (kept in the store, summed over every process
 * that sends segments to the candidate) and its thresholds:
 *
 *   active ──(a threshold breached, on enough evidence)──▶ rolled-back   (final for this rollout)
 *   active ──(minSegments passed, every threshold met)───▶ ready ──(breached later)──▶ rolled-back
 *
 * Evidence: the error rate is judged once `minSegments` canary attempts have ended; the WER and the
 * latency ratio once `minSegments` of the candidate's results have been compared with compareWith's
 * on the same audio. Ready needs all of that. A ready candidate keeps its share (an operator promotes
 * it by changing the routing) and is still rolled back if it breaches a threshold later.
 */

export type CanaryStatus = 'active' | 'ready' | 'rolled-back';

/** What the candidate has done so far. */
export interface CanaryCounts {
  /** Canary attempts that ended (served or failed; a cancelled job's are not counted). */
  segments: number;
  /** Of those, the failed ones: an error, a timeout or a suspicious result. */
  errors: number;
  /** Candidate results transcribed again by compareWith. */
  compared: number;
  /** Sum of their WERs (candidate against compareWith). */
  werSum: number;
  /** Sum of the candidate's and of compareWith's call seconds on those compared segments. */
  candidateSec: number;
  referenceSec: number;
}

export interface CanaryThresholds {
  maxErrorRate: number;
  maxShadowWer?: number | undefined;
  maxLatencyRatio?: number | undefined;
  minSegments: number;
}

export interface CanaryVerdict {
  status: CanaryStatus;
  /** Why it was rolled back or found ready; null while active. */
  reason: string | null;
}

export interface CanaryFigures {
  errorRate: number | null;
  meanWer: number | null;
  latencyRatio: number | null;
}

export const EMPTY_COUNTS: CanaryCounts = { segments: 0, errors: 0, compared: 0, werSum: 0, candidateSec: 0, referenceSec: 0 };

export function canaryFigures(counts: CanaryCounts): CanaryFigures {
  return {
    errorRate: counts.segments > 0 ? counts.errors / counts.segments : null,
    meanWer: counts.compared > 0 ? counts.werSum / counts.compared : null,
    latencyRatio: counts.compared > 0 && counts.referenceSec > 0 ? counts.candidateSec / counts.referenceSec : null,
  };
}

const f2 = (value: number) => value.toFixed(2);

export function judgeCanary(counts: CanaryCounts, thresholds: CanaryThresholds, current: CanaryStatus): CanaryVerdict {
  if (current === 'rolled-back') return { status: current, reason: null };
  const { errorRate, meanWer, latencyRatio } = canaryFigures(counts);
  const min = thresholds.minSegments;
  const enoughSegments = counts.segments >= min;
  const enoughCompared = counts.compared >= min;
  const breaches: string[] = [];
  if (enoughSegments && errorRate !== null && errorRate > thresholds.maxErrorRate) {
    breaches.push(`error rate ${f2(errorRate)} > ${f2(thresholds.maxErrorRate)} over ${counts.segments} segments`);
  }
  if (thresholds.maxShadowWer !== undefined && enoughCompared && meanWer !== null && meanWer > thresholds.maxShadowWer) {
    breaches.push(`shadow WER ${f2(meanWer)} > ${f2(thresholds.maxShadowWer)} over ${counts.compared} compared segments`);
  }
  if (thresholds.maxLatencyRatio !== undefined && enoughCompared && latencyRatio !== null && latencyRatio > thresholds.maxLatencyRatio) {
    breaches.push(`latency ${f2(latencyRatio)}× compareWith > ${f2(thresholds.maxLatencyRatio)}× over ${counts.compared} compared segments`);
  }
  if (breaches.length > 0) return { status: 'rolled-back', reason: breaches.join('; ') };
  if (current === 'ready') return { status: current, reason: null };

  const judgesComparison = thresholds.maxShadowWer !== undefined || thresholds.maxLatencyRatio !== undefined;
  if (!enoughSegments || (judgesComparison && !enoughCompared)) return { status: 'active', reason: null };
  // A comparison threshold with no usable figure (compareWith took no measurable time) is not met.
  if (thresholds.maxLatencyRatio !== undefined && latencyRatio === null) return { status: 'active', reason: null };
  const passed = [`error rate ${f2(errorRate ?? 0)} ≤ ${f2(thresholds.maxErrorRate)}`];
  if (thresholds.maxShadowWer !== undefined) passed.push(`shadow WER ${f2(meanWer ?? 0)} ≤ ${f2(thresholds.maxShadowWer)}`);
  if (thresholds.maxLatencyRatio !== undefined) passed.push(`latency ${f2(latencyRatio!)}× ≤ ${f2(thresholds.maxLatencyRatio)}×`);
  return { status: 'ready', reason: `passed after ${counts.segments} segments: ${passed.join(', ')}` };
}
