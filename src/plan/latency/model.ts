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
   * How the compute per audio second varies along a recording (speech density, noise, music): each
   * `blockSec` of audio is computed at rtf × a lognormal factor of mean 1 and σ `sigma`, independent
   * from block to block. A segment's compute is the sum over its blocks, so a long segment varies
   * less in relative terms than a short one, and a few long segments on a local pool finish unevenly
   * (the longest-segment tail). Every candidate plan of a recording is predicted on the same draws of
   * the recording (common random numbers), so the plans are compared on the same audio. Absent: none.
   */
  contentNoise?: { sigma: number; blockSec: number };
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

export const hasContentNoise = (model: LatencyModel): boolean => (model.contentNoise?.sigma ?? 0) > 0 && (model.contentNoise?.blockSec ?? 0) > 0;

/**
 * One random recording of `durationSec` (model.contentNoise): blocks of `blockSec` audio seconds,
 * each computed at rtf × exp(σz − σ²/2). Returns the cumulative weighted audio seconds at each block
 * boundary. Consumes exactly ⌈duration / blockSec⌉ normals, so every candidate plan of a recording
 * sees the same audio (undefined without content noise: nothing consumed).
 */
export function drawContent(model: LatencyModel, durationSec: number, normal: () => number): Float64Array | undefined {
  if (!hasContentNoise(model)) return undefined;
  const { sigma, blockSec } = model.contentNoise!;
  const blocks = Math.max(1, Math.ceil(durationSec / blockSec - 1e-9));
  const cumulative = new Float64Array(blocks + 1);
  for (let b = 0; b < blocks; b++) cumulative[b + 1] = cumulative[b]! + blockSec * Math.exp(sigma * normal() - (sigma * sigma) / 2);
  return cumulative;
}

/** The segments' compute seconds (in audio order) on a drawn recording; rtf × length without one. */
export function computeOnContent(model: LatencyModel, lengthsSec: readonly number[], content: Float64Array | undefined): number[] {
  if (!content || !model.contentNoise) return lengthsSec.map((d) => model.rtf * d);
  const { blockSec } = model.contentNoise;
  const blocks = content.length - 1;
  const weightedUntil = (sec: number) => {
    const b = Math.min(blocks - 1, Math.max(0, Math.floor(sec / blockSec)));
    return content[b]! + ((content[b + 1]! - content[b]!) / blockSec) * (sec - b * blockSec);
  };
  let startSec = 0;
  return lengthsSec.map((d) => {
    const weighted = weightedUntil(startSec + d) - weightedUntil(startSec);
    startSec += d;
    return model.rtf * Math.max(0, weighted);
  });
}
