/**
 * The openai type's latency prior (src/plan/latency/prior.ts): conservative defaults for a remote
 * OpenAI-compatible endpoint, used by `segmentSec: "auto"` until the endpoint's own history refines
 * them. Remote endpoints differ by an order of magnitude (OpenAI, Groq, a self-hosted GPU, a
 * scale-to-zero container), so these are deliberately pessimistic and weigh little against history
 * (two jobs of history outweigh them).
 *
 * Not measured: assumed. Server compute 0.05 s per audio second (slower than any hosted Whisper
 * we know of); 2 s per request (TLS, the provider's queue, response) plus the upload at 10 Mbit/s in
 * the upload format's planning size (encode.ts); a self-hosted endpoint (any base URL but OpenAI's)
 * may be scaled to zero, so half of the first wave is assumed to pay a cold start of about 15 s
 * (lognormal σ 0.8, the seed study's). k: the requests the client keeps in flight (maxConcurrentRequests).
 */
import type { LatencyPrior } from '../../plan/latency/prior.js';
import { PLANNING_BYTES_PER_AUDIO_SEC } from './encode.js';
import { DEFAULT_BASE_URL, type UploadFormat } from './settings.js';

export const ASSUMED = {
  rtf: 0.05,
  requestSec: 2,
  uploadBytesPerSec: 10e6 / 8,
  coldStart: { medianSec: 15, sigma: 0.8, firstWaveProbability: 0.5 },
  client: { fixedSec: 1, perAudioSec: 0.002, beforeFixedSec: 0.5, beforePerAudioSec: 0.0005 },
  contentNoise: { sigma: 0.2, blockSec: 30 },
  wallSigma: 0.2,
} as const;

export interface OpenAIPriorOptions {
  baseURL: string;
  maxConcurrentRequests: number;
  uploadFormat: UploadFormat;
}

export function openaiPrior(options: OpenAIPriorOptions): LatencyPrior {
  const a = ASSUMED;
  const selfHosted = options.baseURL.replace(/\/+$/, '') !== DEFAULT_BASE_URL;
  const medianSec = a.coldStart.medianSec;
  return {
    model: {
      k: options.maxConcurrentRequests,
      kBound: 'exact',
      rtf: a.rtf,
      overhead: { fixedSec: a.requestSec, perAudioSec: PLANNING_BYTES_PER_AUDIO_SEC[options.uploadFormat] / a.uploadBytesPerSec },
      coldStart: selfHosted
        ? { kind: 'lognormal', medianSec, sigma: a.coldStart.sigma, samplesSec: [], p90Sec: medianSec * Math.exp(1.2816 * a.coldStart.sigma), firstWaveProbability: a.coldStart.firstWaveProbability, laterProbability: 0 }
        : { kind: 'none' },
      client: { ...a.client },
      wallSigma: a.wallSigma,
      contentNoise: { ...a.contentNoise },
    },
    weightJobs: 2,
    source: `assumed remote defaults: RTF ${a.rtf}, ${a.requestSec} s per request plus the ${options.uploadFormat} upload at 10 Mbit/s${selfHosted ? ', cold starts of ~15 s for half of the first wave' : ''}, ${options.maxConcurrentRequests} in flight`,
  };
}
