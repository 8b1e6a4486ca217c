/**
 * pocketsphinx's latency prior (src/plan/latency/prior.ts): what `segmentSec: "auto"` plans with
 * before this backend has any job history. A local pool: one `pocketsphinx_continuous` process per
 * segment, one segment per core at a time (k = the cores), the calibration sample first (prepareSec).
 *
 * How it was measured (Debian pocketsphinx 0.8+5prealpha, en-us model, this project's 2-core AMD EPYC
 * VM, node 20; the inputs are bench/work/long-620.wav = 3 × the GPL preamble fixture, and its blocks):
 * - process start: `pocketsphinx_continuous -infile <1 s of silence> -logfn /dev/null`, 7 runs under
 *   /usr/bin/time: 0.29–0.31 s of CPU (user + sys), median 0.30 s, the same on a quiet and a loaded
 *   machine. Every segment pays it.
 * - RTF: the decoder's seconds per audio second with every core busy and the calibrated CMN, from a
 *   2-core run of 60 s segments on a quiet machine (bench/RESULTS.md, 2026-11-21 speedup: 75.0 s of
 *   compute for 620.7 s in 11 segments, less 11 process starts and the ~3 s sample: 0.111), against
 *   0.120 for one whole-file process uncalibrated (74.6 s). Rounded up to 0.115: two processes on two
 *   cores never quite run as fast as one alone.
 * - the calibration sample (20 s by default): uncalibrated, 0.13 s per audio second, plus a start.
 * - content noise: each 30 s block of long-620.wav decoded alone (calibrated, CPU time minus the start):
 *   σ of ln(RTF) across the 20 blocks 0.14 (on a loaded machine, so it includes some load): 0.15.
 * - per segment in this process (slice, WAV, temp dir, store) and the client's time: the job rows of
 *   2- and 11-segment runs (segment service − compute 0.01–0.07 s; first dispatch 0.2–0.35 s after the
 *   job's start, 0.02 s from the last result to the end).
 * bench/pocketsphinx-prior.ts repeats these measurements (process start, calibrated RTF with every
 * core busy, the sample's, σ per block) on another machine; history then refines the prior per
 * installation anyway.
 */
import { availableParallelism } from 'node:os';
import type { LatencyPrior } from '../../plan/latency/prior.js';

/** What the prior is made of, measured on this project's 2-core machine (method above). */
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
