/**
 * The fitted latency model of one backend (docs/planning.md): a job's wall is the client's own time
 * (probe, hash, decode, stitch: a + b·duration) plus the span of its segments on k servers, where a
 * segment holds its server for overhead + RTF × its audio, plus a cold start if it starts a server.
 */

export type ColdStartModel =
  /** No segment in the history paid one. */
  | { kind: 'none' }
  /**
   * Every segment paid one (a process per segment, as pocketsphinx): it is part of every request,
   * so it lives in the overhead and RTF and is not drawn separately.
   */
  | { kind: 'every-request'; segments: number }
  | {
      kind: 'lognormal';
      medianSec: number;
      sigma: number;
      /** The raw excess latencies of the cold segments (latency − warm prediction), ascending. */
      samplesSec: number[];
      p90Sec: number;
      /** How often a segment of the first wave (one per server) found a cold server, and any later one. */
      firstWaveProbability: number;
      laterProbability: number;
    };

export interface LatencyModel {
  backend: string;
  /** Segments the backend serves at once. */
  k: number;
  /** 'at-least': the history never dispatched more than k at once, so the backend may do more. */
  kBound: 'exact' | 'at-least';
  /** Backend compute seconds per audio second. */
  rtf: number;
  /** Per request, holding its server: latency − compute = fixedSec + perAudioSec × audio seconds. */
  overhead: { fixedSec: number; perAudioSec: number };
  coldStart: ColdStartModel;
  /**
   * Client time outside the backend, job wall − segments' span = fixedSec + perAudioSec × duration;
   * `before*`: the part before the first dispatch (probe, hash, decode, plan), for time to first words.
   */
  client: { fixedSec: number; perAudioSec: number; beforeFixedSec: number; beforePerAudioSec: number };
  /**
   * What the rest leaves unexplained: σ of ln(measured / modelled wall) over the fitted jobs (load on a
   * shared machine, network). Predictions spread by it; 0 with fewer than 3 jobs.
   */
  wallSigma: number;
  /**
   * The backend's per-job look at the recording (pocketsphinx's CMN calibration, backends/spec.ts
   * `prepareRecording`): it occupies a server for this long from the first dispatch, and every segment
   * but the first waits for it. Absent: 0.
   */
  prepareSec?: number;
  /**
   * Per-segment service noise (content that decodes slower, a shared machine's load): a segment's
   * service is drawn around its modelled value with σ of ln(actual / modelled) = `sigma` for one of
   * `atSec` seconds, and σ · √(atSec / service) for others, since independent fluctuations average
   * out over a longer segment. It is what makes a few long segments on a local pool finish unevenly
   * (the longest-segment tail). Absent: none.
   */
  segmentNoise?: { sigma: number; atSec: number };
}

/** A warm segment's service time: overhead plus compute. */
export function warmServiceSec(model: LatencyModel, audioSec: number): number {
  return model.overhead.fixedSec + (model.overhead.perAudioSec + model.rtf) * audioSec;
}

export function clientSec(model: LatencyModel, durationSec: number): number {
  return model.client.fixedSec + model.client.perAudioSec * durationSec;
}

/** Client time before the first segment is dispatched, never more than all client time. */
export function clientBeforeSec(model: LatencyModel, durationSec: number): number {
  return Math.min(clientSec(model, durationSec), model.client.beforeFixedSec + model.client.beforePerAudioSec * durationSec);
}

/** σ of ln(service) for a segment whose modelled service is `serviceSec` (0 without segment noise). */
export function segmentSigma(model: LatencyModel, serviceSec: number): number {
  const noise = model.segmentNoise;
  if (!noise || !(noise.sigma > 0) || !(serviceSec > 0)) return 0;
  // Capped: a segment of a second or two is not the place to model noise.
  return Math.min(1, noise.sigma * Math.sqrt(noise.atSec / serviceSec));
}
