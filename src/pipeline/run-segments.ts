/**
 * Runs the planned segments that still need work through the pool. Each segment is served through
 * the backend chain (serve-segment.ts) and its result stored once; results come back in plan order.
 */
import { sliceSegment } from '../audio/segment-audio.js';
import type { RecordingContext } from '../backends/spec.js';
import type { Pause, PlannedSegment } from '../plan/planner.js';
import type { SegmentDispatcher, SegmentTask } from '../queue/dispatch.js';
import { runPool } from '../queue/pool.js';
import { mapUtteranceTimes, type SegmentTranscript } from '../transcript.js';
import type { Priority } from './route.js';
import { speechSecIn } from './quality.js';
import { localDispatcher } from './serve-and-store.js';
import type { ServeContext } from './serve-segment.js';

export interface SegmentWork {
  segment: PlannedSegment;
  /** Set when an earlier job already holds this segment's result. */
  reused?: SegmentTranscript;
}

export interface RunSegmentsOptions extends ServeContext {
  pcmPath: string;
  pauses: readonly Pause[];
  concurrency: number;
  priority: Priority;
  signal: AbortSignal;
  /** Where segments are served; absent: this process's backends (the embedded default). */
  dispatcher?: SegmentDispatcher | undefined;
}

async function transcribeOnce(
  work: SegmentWork,
  options: RunSegmentsOptions,
  dispatcher: SegmentDispatcher,
  signal: AbortSignal,
  recording: Promise<RecordingContext | undefined>,
): Promise<SegmentTranscript> {
  const { segment, reused } = work;
  if (reused) return reused;
  // The first segment starts at once; later ones wait for the backend's look at the recording.
  const context = segment.index === 0 ? undefined : await recording;
  const task: SegmentTask = {
    jobId: options.jobId,
    index: segment.index,
    startSec: segment.startSec,
    endSec: segment.endSec,
    speechSec: speechSecIn(options.pauses, segment.startSec, segment.endSec),
    chain: options.chain,
    priority: options.priority,
    ...(options.language ? { language: options.language } : {}),
    ...(context ? { recording: context } : {}),
  };
  return dispatcher.dispatch(task, sliceSegment(options.pcmPath, segment.startSec, segment.endSec), signal);
}

/**
 * Asks the primary backend to look at a sample of the recording (from a tenth of the way in), if it
 * wants to. Failure only costs the benefit, never the job. Resolves to the context and the seconds spent.
 */
async function prepareRecording(work: readonly SegmentWork[], options: RunSegmentsOptions): Promise<{ context?: RecordingContext; computeSec: number }> {
  const backend = options.backends.get(options.chain[0]!);
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

/** Hints the primary backend about the next k segments the pool will dispatch (see spec.prefetch). */
function prefetchAfter(work: readonly SegmentWork[], position: number, options: RunSegmentsOptions, signal: AbortSignal): void {
  const backend = options.backends.get(options.chain[0]!);
  if (!backend.prefetch) return;
  for (const next of work.slice(position + 1, position + 1 + options.concurrency)) {
    if (!next.reused) backend.prefetch(sliceSegment(options.pcmPath, next.segment.startSec, next.segment.endSec), signal);
  }
}

/** Returns each segment's transcript (relative times) in plan order, and the preparation's compute seconds. */
export async function runSegments(
  work: readonly SegmentWork[],
  options: RunSegmentsOptions,
): Promise<{ transcripts: SegmentTranscript[]; prepareComputeSec: number }> {
  let done = 0;
  const dispatcher = options.dispatcher ?? localDispatcher(options);
  const local = dispatcher.kind === 'local';
  const preparation = prepareRecording(work, options);
  const recording = preparation.then((p) => p.context);
  const transcripts = await runPool(work, {
    concurrency: options.concurrency,
    signal: options.signal,
    run: async (item, signal) => {
      // Prefetch prepares uploads in this process: no use when another process serves the segment.
      if (local) prefetchAfter(work, work.indexOf(item), options, signal);
      const transcript = await transcribeOnce(item, options, dispatcher, signal, recording);
      options.events?.onSegmentDone?.(item.segment.index, ++done, work.length);
      return transcript;
    },
    onInOrder: (item, transcript) => {
      const { segment } = item;
      const utterances = mapUtteranceTimes(transcript.utterances, (t) => t + segment.startSec);
      options.events?.onPartial?.({ index: segment.index, startSec: segment.startSec, endSec: segment.endSec, utterances, text: transcript.text });
    },
  });
  return { transcripts, prepareComputeSec: (await preparation).computeSec };
}
