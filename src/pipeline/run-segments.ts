/**
 * Runs the planned segments that still need work through the pool: each attempt with a timeout,
 * retries with backoff, every state change stored; results come back in order.
 */
import { sliceSegment } from '../audio/segment-audio.js';
import type { RecordingContext, TranscribeResult, TranscriptionBackend } from '../backends/spec.js';
import { ParascribeError } from '../errors.js';
import type { PlannedSegment } from '../plan/planner.js';
import { runPool } from '../queue/pool.js';
import { withRetry, type RetryPolicy } from '../queue/retry.js';
import type { JobStore } from '../store/jobs.js';
import type { SegmentTranscript } from '../transcript.js';
import type { JobEvents } from './events.js';

export interface SegmentWork {
  segment: PlannedSegment;
  /** Set when an earlier job already holds this segment's result. */
  reused?: SegmentTranscript;
}

export interface RunSegmentsOptions {
  jobId: string;
  pcmPath: string;
  backend: TranscriptionBackend;
  language: string | undefined;
  concurrency: number;
  retryPolicy: RetryPolicy;
  segmentTimeoutSec: number | undefined;
  store: JobStore;
  signal: AbortSignal;
  events?: JobEvents | undefined;
}

export function toSegmentTranscript(result: TranscribeResult | SegmentTranscript): SegmentTranscript {
  return { text: result.text, utterances: result.utterances, ...(result.language ? { language: result.language } : {}) };
}

async function transcribeOnce(
  work: SegmentWork,
  options: RunSegmentsOptions,
  signal: AbortSignal,
  recording: Promise<RecordingContext | undefined>,
): Promise<SegmentTranscript> {
  const { segment, reused } = work;
  if (reused) return reused;
  // The first segment starts at once; later ones wait for the backend's look at the recording.
  const context = segment.index === 0 ? undefined : await recording;
  const { store, jobId, backend } = options;
  const audio = sliceSegment(options.pcmPath, segment.startSec, segment.endSec);
  const timeoutSec = options.segmentTimeoutSec ?? 120 + audio.durationSec * 4;
  const result = await withRetry(
    async () => {
      await store.markSegmentStarted(jobId, segment.index, backend.id);
      const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(timeoutSec * 1000))]);
      try {
        return await backend.transcribe({
          audio,
          signal: attemptSignal,
          ...(options.language ? { language: options.language } : {}),
          ...(context ? { recording: context } : {}),
        });
      } catch (error) {
        if (!signal.aborted && attemptSignal.aborted) {
          throw new ParascribeError('SEGMENT_TIMEOUT', `segment ${segment.index} timed out after ${Math.round(timeoutSec)} s`);
        }
        throw error;
      }
    },
    {
      policy: options.retryPolicy,
      signal,
      onRetry: (attempt, error, delayMs) => {
        options.events?.onRetry?.(segment.index, attempt, error.message, delayMs);
        void store.updateSegment(jobId, segment.index, { error_code: error.code, error: error.message });
      },
    },
  ).catch(async (error: unknown) => {
    const failure = error instanceof ParascribeError ? error : new ParascribeError('BACKEND_FAILED', String(error));
    const aborted = failure.code === 'ABORTED';
    await store.updateSegment(jobId, segment.index, {
      status: aborted ? 'cancelled' : 'failed',
      error_code: failure.code,
      error: failure.message,
    });
    throw failure;
  });
  const transcript = toSegmentTranscript(result);
  await store.completeSegment(jobId, segment.index, {
    resultJson: JSON.stringify(transcript),
    computeSec: result.computeSec,
    coldStart: result.coldStart,
    warningsJson: JSON.stringify(result.warnings),
    backend: backend.id,
  });
  return transcript;
}

/**
 * Asks the backend to look at a sample of the recording (from a tenth of the way in), if it wants
 * to. Failure only costs the benefit, never the job. Resolves to the context and the seconds spent.
 */
async function prepareRecording(work: readonly SegmentWork[], options: RunSegmentsOptions): Promise<{ context?: RecordingContext; computeSec: number }> {
  const { backend } = options;
  const durationSec = work.at(-1)?.segment.endSec ?? 0;
  // Only segments after the first use the context: nothing to prepare for if none needs computing.
  const needed = work.some((w) => !w.reused && w.segment.index !== 0);
  if (!backend.prepareRecording || !needed || durationSec <= 0) return { computeSec: 0 };
  const sampleSec = Math.min(durationSec, 20);
  const startSec = Math.max(0, Math.min(durationSec * 0.1, durationSec - sampleSec));
  const started = performance.now();
  try {
    const context = await backend.prepareRecording(sliceSegment(options.pcmPath, startSec, startSec + sampleSec), options.signal);
    return { context, computeSec: (performance.now() - started) / 1000 };
  } catch {
    return { computeSec: (performance.now() - started) / 1000 };
  }
}

/** Returns each segment's transcript (relative times) in plan order, and the preparation's compute seconds. */
export async function runSegments(
  work: readonly SegmentWork[],
  options: RunSegmentsOptions,
): Promise<{ transcripts: SegmentTranscript[]; prepareComputeSec: number }> {
  let done = 0;
  const preparation = prepareRecording(work, options);
  const recording = preparation.then((p) => p.context);
  const transcripts = await runPool(work, {
    concurrency: options.concurrency,
    signal: options.signal,
    run: async (item, signal) => {
      const transcript = await transcribeOnce(item, options, signal, recording);
      options.events?.onSegmentDone?.(item.segment.index, ++done, work.length);
      return transcript;
    },
    onInOrder: (item, transcript) => {
      const { segment } = item;
      const utterances = transcript.utterances.map((u) => ({
        ...u,
        startSec: u.startSec + segment.startSec,
        endSec: u.endSec + segment.startSec,
        words: u.words.map((w) => ({ ...w, startSec: w.startSec + segment.startSec, endSec: w.endSec + segment.startSec })),
      }));
      options.events?.onPartial?.({ index: segment.index, startSec: segment.startSec, endSec: segment.endSec, utterances, text: transcript.text });
    },
  });
  return { transcripts, prepareComputeSec: (await preparation).computeSec };
}
