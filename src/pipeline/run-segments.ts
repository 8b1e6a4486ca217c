/**
 * Runs the planned segments that still need work through the pool. Each segment is served through
 * the backend chain (serve-segment.ts) and its result stored once; results come back in plan order.
 * The segments are a list (a resumed job, planned from the whole file) or arrive while the audio is
 * still being decoded (stream-decode.ts): each is dispatched as soon as it arrives.
 */
import { sliceSegment } from '../audio/segment-audio.js';
import type { SegmentDispatcher } from '../queue/dispatch.js';
import { runPool } from '../queue/pool.js';
import { mapUtteranceTimes, type SegmentTranscript } from '../transcript.js';
import { speechSecIn } from './quality.js';
import type { BackendSet } from '../backends/set.js';
import type { JobEvents } from './events.js';
import type { Hedger } from './hedge.js';
import type { RecordingContext, Pause, PlannedSegment, SegmentTask, Priority } from '../core/types.js';
import { inSegmentSpan, inSpan } from '../telemetry/tracing/spans.js';

export interface SegmentWork {
  segment: PlannedSegment;
  /** Set when an earlier job already holds this segment's result. */
  reused?: SegmentTranscript;
}

/** Where the backend's 20 s look at the recording (prepareRecording) is taken from. */
export interface RecordingSample {
  /**
   * The length that places the sample a tenth of the way in: the probed duration when known, so a
   * streamed run and a whole-file (resumed) run of one file take the same sample. Null: unknown.
   */
  durationSec: number | null;
  /** Resolves with the seconds on disk once `endSec` is, or once the decode has ended short of it. */
  untilOnDisk(endSec: number, signal: AbortSignal): Promise<number>;
}

export interface RunSegmentsOptions {
  jobId: string;
  /** Backend ids in fallback order; the first is asked to prepare the recording and to prefetch. */
  chain: string[];
  language: string | undefined;
  /** The process's backends (the primary's prepareRecording and prefetch run here). */
  backends: BackendSet;
  /** Where segments are served (the runtime's: this process's backends, or a queue). */
  dispatcher: SegmentDispatcher;
  events?: JobEvents | undefined;
  pcmPath: string;
  /** The recording's pauses; while it streams, the detector's growing list (final up to every dispatched segment's end). */
  pauses: readonly Pause[];
  concurrency: number;
  priority: Priority;
  signal: AbortSignal;
  sample: RecordingSample;
  /** The best-known final number of segments while the plan still grows; default: the segments so far. */
  expectedTotal?: () => number;
  /** Fast first words: segment 0 is served by this chain (e.g. a local engine with no cold start). */
  firstSegmentChain?: string[] | undefined;
  /** Hedged requests (hedge.ts): segments past their threshold get a duplicate. */
  hedger?: Hedger | undefined;
}

export interface RunSegmentsResult {
  transcripts: SegmentTranscript[];
  prepareComputeSec: number;
  /** performance.now() when the first segment was handed to the dispatcher; null if none was. */
  firstDispatchMs: number | null;
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
    chain: segment.index === 0 && options.firstSegmentChain ? options.firstSegmentChain : options.chain,
    priority: options.priority,
    ...(options.language ? { language: options.language } : {}),
    ...(context ? { recording: context } : {}),
  };
  const audio = sliceSegment(options.pcmPath, segment.startSec, segment.endSec);
  const scope = options.events?.onRetry ? { onRetry: options.events.onRetry.bind(options.events) } : undefined;
  return inSegmentSpan(segment, task.chain, () => (options.hedger ? options.hedger.dispatch(dispatcher, task, audio, signal, scope) : dispatcher.dispatch(task, audio, signal, scope)));
}

/** 20 s (or the whole recording, if shorter) from a tenth of the way in. */
function sampleWindow(durationSec: number): { startSec: number; endSec: number } {
  const sampleSec = Math.min(durationSec, 20);
  const startSec = Math.max(0, Math.min(durationSec * 0.1, durationSec - sampleSec));
  return { startSec, endSec: startSec + sampleSec };
}

/**
 * Asks the primary backend to look at a sample of the recording, if it wants to. Started when the
 * first segment that uses it (any but the first) arrives, so it never delays the first segment.
 * With an unknown duration the sample is placed within what `trigger` proves is on disk. Failure only
 * costs the benefit, never the job. Resolves to the context and the seconds spent.
 */
async function prepareRecording(options: RunSegmentsOptions, trigger: PlannedSegment): Promise<{ context?: RecordingContext; computeSec: number }> {
  const backend = options.backends.get(options.chain[0]!);
  if (!backend.prepareRecording) return { computeSec: 0 };
  const started = performance.now();
  try {
    let window = sampleWindow(options.sample.durationSec ?? trigger.endSec);
    const onDiskSec = await options.sample.untilOnDisk(window.endSec, options.signal);
    // The recording ended before the sample did (the probe overestimated): place it on the real length.
    if (onDiskSec < window.endSec) window = sampleWindow(onDiskSec);
    if (!(window.endSec > window.startSec)) return { computeSec: 0 };
    const context = await backend.prepareRecording(sliceSegment(options.pcmPath, window.startSec, window.endSec), options.signal);
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
export async function runSegments(work: readonly SegmentWork[] | AsyncIterable<SegmentWork>, options: RunSegmentsOptions): Promise<RunSegmentsResult> {
  let done = 0;
  let firstDispatchMs: number | null = null;
  const served = options.dispatcher;
  // Same driver, timed: when the first segment left (time to first dispatch, in the telemetry).
  const dispatcher: SegmentDispatcher = {
    servesLocally: served.servesLocally,
    canHedge: served.canHedge,
    dispatch: (task, audio, signal, scope) => {
      firstDispatchMs ??= performance.now();
      return served.dispatch(task, audio, signal, scope);
    },
  };
  // Segments in plan order as they arrive (the pool's positions): what prefetch can look ahead at.
  const arrived: SegmentWork[] = [];
  let preparation: Promise<{ context?: RecordingContext; computeSec: number }> | undefined;
  let resolveRecording!: (context: RecordingContext | undefined) => void;
  const recording = new Promise<RecordingContext | undefined>((resolve) => (resolveRecording = resolve));
  const transcripts = await runPool(work, {
    concurrency: options.concurrency,
    signal: options.signal,
    onArrive: (item) => {
      arrived.push(item);
      // Only segments after the first use the context: prepare once the first of them needs computing.
      if (!preparation && !item.reused && item.segment.index !== 0) {
        preparation = inSpan('prepare-recording', { 'parascribe.backend': options.chain[0]! }, () => prepareRecording(options, item.segment));
        void preparation.then((p) => resolveRecording(p.context));
      }
    },
    run: async (item, signal, position) => {
      // Prefetch prepares uploads in this process: no use when another process serves the segment.
      if (served.servesLocally) prefetchAfter(arrived, position, options, signal);
      const transcript = await transcribeOnce(item, options, dispatcher, signal, recording);
      options.events?.onSegmentDone?.(item.segment.index, ++done, Math.max(done, options.expectedTotal?.() ?? arrived.length));
      return transcript;
    },
    onInOrder: (item, transcript) => {
      const { segment } = item;
      const utterances = mapUtteranceTimes(transcript.utterances, (t) => t + segment.startSec);
      options.events?.onPartial?.({ index: segment.index, startSec: segment.startSec, endSec: segment.endSec, utterances, text: transcript.text });
    },
  });
  return { transcripts, prepareComputeSec: preparation ? (await preparation).computeSec : 0, firstDispatchMs };
}
