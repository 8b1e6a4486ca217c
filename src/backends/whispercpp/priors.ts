/**
 * The whispercpp type's latency prior (src/plan/latency/prior.ts): model load and RTF by model size,
 * for `segmentSec: "auto"` before this backend has history. A pool of `maxWorkers` warm processes
 * (k), each loading the model once (a cold start per worker; `check()` warms the first one).
 *
 * Not measured here (no real weights can be downloaded on this project's machines): estimated from
 * whisper.cpp's published CPU benchmarks (encoder time per 30 s window at 8 threads: tiny ~0.5 s,
 * base ~1 s, small ~3.5 s, medium ~10 s, large ~20 s; large-v3-turbo about medium's cost) plus
 * decoding, as seconds per audio second at 8 threads, scaled by (8 / threads)^0.8 for fewer threads,
 * by the oversubscription when workers × threads exceed the cores, and divided by 10 on a GPU. The
 * model loads at ~500 MB/s after ~0.2 s for the binding.
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { LatencyPrior } from '../../plan/latency/prior.js';

export type ModelSize = 'tiny' | 'base' | 'small' | 'medium' | 'turbo' | 'large';

/** Seconds of compute per audio second at 8 CPU threads. */
export const RTF_AT_8_THREADS: Record<ModelSize, number> = { tiny: 0.02, base: 0.04, small: 0.12, medium: 0.35, turbo: 0.35, large: 0.7 };

/** The size from the model's file name (ggml-base.en.bin, ggml-large-v3-turbo-q5_0.bin), else from its bytes (f16). */
export function modelSize(modelPath: string, sizeBytes: number): ModelSize {
  const name = basename(modelPath).toLowerCase();
  if (name.includes('turbo')) return 'turbo';
  for (const size of ['tiny', 'base', 'small', 'medium', 'large'] as const) if (name.includes(size)) return size;
  const mb = sizeBytes / 1e6;
  return mb < 110 ? 'tiny' : mb < 300 ? 'base' : mb < 1000 ? 'small' : mb < 2000 ? 'medium' : 'large';
}

export interface WhisperCppPriorOptions {
  modelPath: string;
  modelBytes: number;
  threads: number;
  maxWorkers: number;
  useGpu: boolean;
  cores?: number;
}

export function whispercppPrior(options: WhisperCppPriorOptions): LatencyPrior {
  const size = modelSize(options.modelPath, options.modelBytes);
  const cores = Math.max(1, options.cores ?? availableParallelism());
  const threads = Math.max(1, options.threads);
  const oversubscribed = options.useGpu ? 1 : Math.max(1, (options.maxWorkers * threads) / cores);
  const rtf = (RTF_AT_8_THREADS[size] * (8 / Math.min(threads, cores)) ** 0.8 * oversubscribed) / (options.useGpu ? 10 : 1);
  const loadSec = 0.2 + options.modelBytes / 500e6;
  const k = Math.max(1, options.maxWorkers);
  return {
    model: {
      k,
      kBound: 'exact',
      rtf,
      // IPC and the PCM copy: small.
      overhead: { fixedSec: 0.05, perAudioSec: 0.0002 },
      // One load per worker; the first worker is warmed by check().
      coldStart: k > 1
        ? { kind: 'lognormal', medianSec: loadSec, sigma: 0.3, samplesSec: [], p90Sec: loadSec * Math.exp(1.2816 * 0.3), firstWaveProbability: (k - 1) / k, laterProbability: 0 }
        : { kind: 'none' },
      client: { fixedSec: 0.8, perAudioSec: 0.001, beforeFixedSec: 0.5, beforePerAudioSec: 0.0005 },
      wallSigma: 0.1,
      contentNoise: { sigma: 0.15, blockSec: 30 },
    },
    weightJobs: 4,
    source: `whisper.cpp ${size} model, estimated from published benchmarks (not measured here): RTF ${rtf.toFixed(3)} at ${threads} thread(s)${options.useGpu ? ' on a GPU' : ''}, ${loadSec.toFixed(1)} s model load, ${k} worker(s)`,
  };
}
