/** Per-job telemetry: what the CLI prints at the end, `--json` emits and the `json` output embeds. */

export interface SegmentTelemetry {
  index: number;
  startSec: number;
  endSec: number;
  status: 'completed' | 'failed' | 'reused' | 'pending' | 'running' | 'cancelled';
  attempts: number;
  backend: string | null;
  computeSec: number;
  /** Seconds from dispatch to stored result (excludes time waiting for a free worker). */
  lifeSec: number;
  coldStart: boolean;
  costUsd: number;
  error: string | null;
}

/** Plus what the job measured itself (JobTimings: decode, first dispatch and result, latency decisions). */
export interface JobTelemetry extends JobTimings {
  durationSec: number;
  wallSec: number;
  /** Summed backend compute seconds of this job: its segments (reused ones count 0) plus preparation. */
  computeSec: number;
  /** Of which: the backend's one-off look at the recording (e.g. pocketsphinx's CMN calibration). */
  prepareComputeSec: number;
  /** k = computeSec / wallSec. */
  parallelism: number;
  segments: number;
  segmentsReused: number;
  /** Mean over computed segments of (lifeSec - computeSec): the orchestration tax per segment. */
  overheadPerSegmentSec: number;
  /** wallSec / durationSec (lower is faster). */
  realTimeFactor: number;
  coldStarts: number;
  /** Summed backend cost of the segments computed in this job. */
  costUsd: number;
  costPerAudioMinuteUsd: number;
  cacheHit: boolean;
}

/** Times the job measured itself (not in the segment rows), and its latency decisions. */
export interface JobTimings {
  /** Seconds from the start of the decode to its end (the whole recording on disk); absent on a cache hit. */
  decodeSec?: number;
  /**
   * Seconds from the start of the decode to the first segment handed to a backend or queue. A fresh
   * job streams, so this is below decodeSec; absent when no segment was dispatched.
   */
  firstDispatchSec?: number;
  /** Seconds from the job's start to its first segment's result (the first partial transcript). */
  firstResultSec?: number;
  plan?: PlanNote;
  hedges?: HedgeSummary;
  warmPool?: WarmPoolSummary;
}

/** How the segment sizes were chosen ('model': the fitted latency model of segmentSec 'auto'). */
export interface PlanNote {
  source: 'fixed' | 'model';
  reason: string;
  targetsSec: number[];
}

/** Hedged requests of the job (pipeline/hedge.ts); each is also an attempt marked `hedge` on its segment. */
export interface HedgeSummary {
  count: number;
  /** Hedges that answered first (their original was cancelled). */
  won: number;
  /** Audio sent twice: the worst-case extra compute is this much audio. */
  audioSec: number;
  records: Array<{ index: number; afterSec: number; winner: string; settledAfterSec: number | null }>;
}

/** The warm pool's cost (pipeline/warm-pool.ts). */
export interface WarmPoolSummary {
  requests: number;
  coldStarts: number;
  failed: number;
  computeSec: number;
  wallSec: number;
}

export function summarise(
  durationSec: number,
  wallSec: number,
  segments: readonly SegmentTelemetry[],
  cacheHit: boolean,
  prepareComputeSec = 0,
  timings: JobTimings = {},
): JobTelemetry {
  const computed = segments.filter((s) => s.status === 'completed');
  const computeSec = computed.reduce((sum, s) => sum + s.computeSec, 0) + prepareComputeSec;
  const costUsd = computed.reduce((sum, s) => sum + s.costUsd, 0);
  const overhead =
    computed.length === 0
      ? 0
      : computed.reduce((sum, s) => sum + Math.max(0, s.lifeSec - s.computeSec), 0) / computed.length;
  return {
    durationSec,
    wallSec,
    computeSec,
    prepareComputeSec,
    parallelism: wallSec > 0 ? computeSec / wallSec : 0,
    segments: segments.length,
    segmentsReused: segments.filter((s) => s.status === 'reused').length,
    overheadPerSegmentSec: overhead,
    realTimeFactor: durationSec > 0 ? wallSec / durationSec : 0,
    coldStarts: computed.filter((s) => s.coldStart).length,
    costUsd,
    costPerAudioMinuteUsd: durationSec > 0 ? costUsd / (durationSec / 60) : 0,
    cacheHit,
    ...(timings.decodeSec !== undefined ? { decodeSec: timings.decodeSec } : {}),
    ...(timings.firstDispatchSec !== undefined ? { firstDispatchSec: timings.firstDispatchSec } : {}),
    ...(timings.firstResultSec !== undefined ? { firstResultSec: timings.firstResultSec } : {}),
    ...(timings.plan ? { plan: timings.plan } : {}),
    ...(timings.hedges ? { hedges: timings.hedges } : {}),
    ...(timings.warmPool ? { warmPool: timings.warmPool } : {}),
  };
}
