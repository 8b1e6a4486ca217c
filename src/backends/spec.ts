/**
 * The one interface every ASR engine implements (after vercel/ai's provider spec): a backend is a
 * small object made by a factory from zod-checked settings. Vendor response types never leave the
 * backend's folder; what comes out is the normalised SegmentTranscript.
 */
import type { z } from 'zod';
import type { SegmentAudio } from '../audio/segment-audio.js';
import type { RecordingContext } from '../core/types.js';
import type { LatencyPrior } from '../plan/latency/prior.js';
import type { SegmentTranscript } from '../transcript.js';

export interface BackendWarning {
  /** e.g. 'unsupported-option', 'timestamps-degraded'. */
  type: string;
  message: string;
}

export interface TranscribeRequest {
  audio: SegmentAudio;
  /** ISO-639-1 code, or undefined for the backend's default / auto-detection. */
  language?: string;
  prompt?: string;
  /** Backend-specific per-request options; unknown ones become warnings, never silent. */
  options?: Record<string, unknown>;
  /** What `prepareRecording` returned for this recording, once it is ready (absent before). */
  recording?: RecordingContext;
  signal: AbortSignal;
}

/** JSON-serialisable (core/types.ts), so that it travels with a segment task to another process. */
export type { RecordingContext } from '../core/types.js';

export interface TranscribeResult extends SegmentTranscript {
  /** Seconds the engine itself spent on this segment (for a subprocess: its run time). */
  computeSec: number;
  /** Whether this call paid a model load. */
  coldStart: boolean;
  warnings: BackendWarning[];
}

export interface WarmResult {
  /** Compute the endpoint reports for the warm-up request. */
  computeSec: number;
  /** Whether it started a worker (a cold start was paid). */
  coldStart: boolean;
}

export interface BackendCapabilities {
  wordTimestamps: boolean;
  /** Utterances carry the engine's own speaker labels (consistent within one segment: docs/speakers.md). */
  diarization?: boolean;
  /** ISO-639-1 codes the configured model handles; '*' for any. */
  languages: readonly string[] | '*';
  /** Cost in USD per audio minute (0 for local engines). */
  costPerAudioMinuteUsd: number;
  /**
   * How many segments it serves at once (a remote provider's k). The job's pool uses it when no
   * concurrency is configured; local engines leave it out and get one per CPU core.
   */
  maxConcurrency?: number;
  /**
   * The longest segment it takes (an endpoint's upload limit, in audio seconds): the automatic plan
   * never cuts longer ones. Absent: no limit.
   */
  maxSegmentSec?: number;
}

export interface TranscriptionBackend {
  readonly id: string;
  /** Identifies the model for cache keys and job rows (e.g. 'en-us' or 'whisper-1'). */
  readonly model: string;
  readonly capabilities: BackendCapabilities;
  /**
   * Settings that change the transcript, canonicalised: part of the cache key, so that a new model
   * or decoder setting never returns a stale cached result.
   */
  readonly fingerprint: Record<string, unknown>;
  transcribe(request: TranscribeRequest): Promise<TranscribeResult>;
  /**
   * Optional: looks once per job at a sample of the recording (calibrates feature normalisation,
   * detects the language...) and returns context that later segments receive in `recording`.
   * The first segment does not wait for it, so the first words are not delayed.
   */
  prepareRecording?(sample: SegmentAudio, signal: AbortSignal): Promise<RecordingContext>;
  /**
   * Optional hint: this segment is likely to be requested soon. The backend may start its local
   * preparation now (e.g. encoding the upload), while its other requests wait on the network, so that
   * the work is off the segment's critical path. Must never throw; the signal ends the work.
   */
  prefetch?(audio: SegmentAudio, signal: AbortSignal): void;
  /**
   * Optional: wakes one worker of a scale-to-zero endpoint with a tiny request (a second of silence),
   * so that the job's real requests find it started (the warm pool, pipeline/warm-pool.ts). Resolves
   * with what the request cost; the caller bounds it with the signal.
   */
  warm?(signal: AbortSignal): Promise<WarmResult>;
  /**
   * Optional: the latency model before any job history (src/plan/latency/prior.ts), so that
   * `segmentSec: "auto"` plans from it on the first run; history then refines it. Each backend type
   * keeps its numbers in its own folder (`priors.ts`). Without one, 'auto' waits for history.
   */
  latencyPrior?(): LatencyPrior;
  /** Optional: checks the engine is installed/reachable before a job starts (fail fast). */
  check?(signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/** What a process hands its backends besides their settings (src/runtime.ts). */
export interface BackendContext {
  /** Models pulled with `parascribe models pull` (src/models/store.ts), for engines that load model files. */
  models?: { readonly dir: string; installedPath(name: string): string | null };
}

export interface BackendFactory<S extends z.ZodType = z.ZodType> {
  /** The backend type, e.g. 'pocketsphinx' or 'openai'. */
  id: string;
  description: string;
  settingsSchema: S;
  /**
   * `instanceId` names a configured instance when one type serves several (e.g. 'remote-gpu' and
   * 'groq', both of type 'openai'); it becomes the backend's `id`. Defaults to the type id.
   */
  create(settings: z.infer<S>, instanceId?: string, context?: BackendContext): TranscriptionBackend;
}
