/**
 * Decode, pause detection and planning: for the whole file first (`decodeWholeFile`: resumed jobs,
 * plan-only runs), or as one stream with transcription (`streamAndRun`, pipelining, issue 6 part 5). ffmpeg's PCM goes
 * to the pause detector and the incremental planner as it is decoded; a planned segment becomes work
 * (`segments`, read by the pool) once its cut is final, its row is in the store, its bytes are on
 * disk and the detector is final up to its end (so its speech share is exact). The first segments are
 * transcribed while the rest of the file is still being decoded; no stage waits for the whole file.
 */
import { BYTES_PER_SEC, decodeToPcmFile, SAMPLE_RATE, type DecodeOptions, type DecodeResult } from '../audio/decode.js';
import type { AudioInfo } from '../audio/probe.js';
import { estimateSegmentCount, IncrementalPlanner } from '../plan/incremental.js';
import { planSegments, type PlanOptions } from '../plan/planner.js';
import { PushQueue } from '../queue/pool.js';
import { EnergyPauseDetector, type EnergyDetectorOptions } from '../silence/energy.js';
import { segmentKey, type JobStore } from '../store/jobs.js';
import type { SegmentTranscript } from '../transcript.js';
import { runSegments, type RunSegmentsOptions, type RunSegmentsResult, type SegmentWork } from './run-segments.js';
import type { Pause, PlannedSegment } from '../core/types.js';
import { nowSec } from '../core/time.js';

export interface StreamDecodeOptions {
  info: AudioInfo;
  pcmPath: string;
  silence: EnergyDetectorOptions;
  plan: PlanOptions;
  signal: AbortSignal;
  /** The decoder stops with AUDIO_TOO_LONG past this (config `limits`). */
  maxBytes?: DecodeOptions['maxBytes'];
  /** The decoder stops with DECODE_TIMEOUT after this (config `limits.maxDecodeSec`). */
  maxDecodeMs?: DecodeOptions['maxDecodeMs'];
  /** Decode this channel only (a speaker-per-channel track, pipeline/channels.ts). */
  channel?: number;
  onDecodeProgress?: (decodedSec: number) => void;
  /** Every chunk of PCM in order, as it is decoded (the waveform peaks: audio/peaks.ts). */
  onPcm?: (chunk: Buffer) => void;
  /** Makes planned segments known (store rows, reuse) before any can be dispatched: in plan order, one call at a time. */
  register: (segments: readonly PlannedSegment[]) => Promise<SegmentWork[]>;
  /** The decode has ended (every byte on disk); the rest of the plan comes after this resolves. */
  onDecoded?: (decoded: DecodeResult) => void | Promise<void>;
  /** The whole plan is known (after the decode); runs before the last segments are handed out. */
  onPlanned?: (plan: readonly PlannedSegment[]) => void | Promise<void>;
}

export interface StreamDecodeResult {
  decoded: DecodeResult;
  plan: PlannedSegment[];
}

// A segment's audio as sliceSegment reads it: whole samples up to its end.
const endByte = (endSec: number): number => Math.floor(endSec * SAMPLE_RATE) * 2;

export class StreamDecode {
  /** The segments in plan order, each once it can be dispatched; closed after the last, failed if the decode fails. */
  readonly segments = new PushQueue<SegmentWork>();
  readonly #options: StreamDecodeOptions;
  readonly #detector: EnergyPauseDetector;
  readonly #planner: IncrementalPlanner;
  readonly #estimatedCount: number | null;
  readonly #registered: SegmentWork[] = [];
  #pushed = 0;
  #writtenBytes = 0;
  /** The decode succeeded and the detector has finished: every segment's audio and pauses are final. */
  #complete = false;
  /** The decode is over, however it ended: waits for bytes end. */
  #settled = false;
  #planFinal = false;
  #diskWaiters = new Set<() => void>();

  constructor(options: StreamDecodeOptions) {
    this.#options = options;
    this.#detector = new EnergyPauseDetector(options.silence);
    this.#planner = new IncrementalPlanner(options.plan);
    this.#estimatedCount = estimateSegmentCount(options.info.durationSec, options.plan);
  }

  /** The detector's pauses so far (a live list: final up to the end of every segment handed out). */
  get pauses(): readonly Pause[] {
    return this.#detector.pauses;
  }

  /** The best-known final segment count: exact once the plan is, else the estimate from the probed duration. */
  expectedTotal(): number {
    const planned = this.#planner.plannedCount;
    if (this.#planFinal) return planned;
    return Math.max(planned + 1, this.#estimatedCount ?? 0);
  }

  /** Resolves with the seconds on disk once `endSec` is, or once the decode has ended short of it. */
  untilOnDisk(endSec: number, signal: AbortSignal): Promise<number> {
    const onDisk = () => this.#writtenBytes / BYTES_PER_SEC;
    if (this.#settled || this.#writtenBytes >= endByte(endSec)) return Promise.resolve(onDisk());
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<number>((resolve, reject) => {
      const check = () => {
        if (!this.#settled && this.#writtenBytes < endByte(endSec)) return;
        cleanup();
        resolve(onDisk());
      };
      const onAbort = () => {
        cleanup();
        reject(signal.reason);
      };
      const cleanup = () => {
        this.#diskWaiters.delete(check);
        signal.removeEventListener('abort', onAbort);
      };
      this.#diskWaiters.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Decodes, plans and hands out the segments; rejects (and fails `segments`) if any of it fails. */
  async run(): Promise<StreamDecodeResult> {
    const options = this.#options;
    // A failed registration (store write) stops the decode at once.
    const internal = new AbortController();
    const plan: PlannedSegment[] = [];
    let registering = Promise.resolve();
    let failure: { error: unknown } | undefined;
    const enqueue = (segments: PlannedSegment[]) => {
      if (segments.length === 0) return;
      plan.push(...segments);
      registering = registering.then(async () => {
        if (failure) return;
        try {
          this.#registered.push(...(await options.register(segments)));
          this.#pushReady();
        } catch (error) {
          failure ??= { error };
          internal.abort(error);
        }
      });
    };
    let pausesFed = 0;
    const feedPauses = () => {
      const pauses = this.#detector.pauses;
      if (pauses.length > pausesFed) this.#planner.addPauses(pauses.slice(pausesFed));
      pausesFed = pauses.length;
    };
    let decodedBytes = 0;
    try {
      const decoded = await decodeToPcmFile(options.info, options.pcmPath, {
        signal: AbortSignal.any([options.signal, internal.signal]),
        ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    ...(options.maxDecodeMs ? { maxDecodeMs: options.maxDecodeMs } : {}),
        ...(options.maxDecodeMs ? { maxDecodeMs: options.maxDecodeMs } : {}),
        ...(options.channel !== undefined ? { channel: options.channel } : {}),
        onPcm: (chunk) => {
          this.#detector.push(chunk);
          options.onPcm?.(chunk);
          feedPauses();
          decodedBytes += chunk.length;
          enqueue(this.#planner.advance(this.#detector.finalSec, decodedBytes / BYTES_PER_SEC));
        },
        ...(options.onDecodeProgress ? { onProgress: options.onDecodeProgress } : {}),
        onWritten: (bytes) => {
          this.#writtenBytes = bytes;
          this.#pushReady();
          this.#wakeDiskWaiters();
        },
      });
      this.#settle();
      await options.onDecoded?.(decoded);
      this.#detector.finish();
      feedPauses();
      enqueue(this.#planner.finish(decoded.durationSec));
      this.#planFinal = true;
      await registering;
      if (failure) throw failure.error;
      await options.onPlanned?.(plan);
      // Only now are the pauses final to the end (finish() may add a trailing one).
      this.#complete = true;
      this.#pushReady();
      this.segments.close();
      return { decoded, plan };
    } catch (thrown) {
      const error = failure ? failure.error : thrown;
      this.#settle();
      // No store write of this stream outlives it (the job marks its open segments next).
      await registering;
      this.segments.fail(error);
      throw error;
    }
  }

  #settle(): void {
    this.#settled = true;
    this.#wakeDiskWaiters();
  }

  #wakeDiskWaiters(): void {
    for (const check of [...this.#diskWaiters]) check();
  }

  /** Hands out registered segments in plan order, each once its audio and its pauses are final. */
  #pushReady(): void {
    while (this.#pushed < this.#registered.length && !this.segments.closed) {
      const work = this.#registered[this.#pushed]!;
      const { endSec } = work.segment;
      const ready = work.reused !== undefined || this.#complete || (this.#writtenBytes >= endByte(endSec) && this.#detector.finalSec >= endSec);
      if (!ready) return;
      this.segments.push(work);
      this.#pushed++;
    }
  }
}

export interface StreamAndRunOptions extends StreamDecodeOptions {
  segments: Omit<RunSegmentsOptions, 'pauses' | 'sample' | 'expectedTotal'>;
}

/**
 * A fresh job's decode and transcription at once: the pool takes each segment as the stream hands it
 * out. The pool stops at the first failure, the decode's included (same error code as a whole-file
 * decode: the truncation check runs at its end); a failed segment or an abort stops the decode.
 */
export async function streamAndRun(options: StreamAndRunOptions): Promise<{ plan: PlannedSegment[]; durationSec: number; ran: RunSegmentsResult }> {
  const stopDecode = new AbortController();
  const stream = new StreamDecode({ ...options, signal: AbortSignal.any([options.signal, stopDecode.signal]) });
  const producing = stream.run();
  const producingSettled = producing.then(
    () => undefined,
    () => undefined,
  );
  let ran: RunSegmentsResult;
  try {
    ran = await runSegments(stream.segments, {
      ...options.segments,
      pauses: stream.pauses,
      expectedTotal: () => stream.expectedTotal(),
      // The sample sits a tenth into the probed duration, and waits until it is on disk.
      sample: { durationSec: options.info.durationSec, untilOnDisk: (endSec, signal) => stream.untilOnDisk(endSec, signal) },
    });
  } catch (error) {
    // Wait for the decode to stop, so ffmpeg is gone and no segment row is being written when the job
    // records its failure (and removes the work directory).
    stopDecode.abort(error);
    await producingSettled;
    throw error;
  }
  const { plan, decoded } = await producing;
  return { plan, durationSec: decoded.durationSec, ran };
}

/** The whole recording decoded, its pauses found and its plan made, before anything is transcribed. */
export async function decodeWholeFile(
  options: Omit<StreamDecodeOptions, 'register' | 'onDecoded' | 'onPlanned'>,
): Promise<{ durationSec: number; pauses: Pause[]; plan: PlannedSegment[] }> {
  const detector = new EnergyPauseDetector(options.silence);
  const decoded = await decodeToPcmFile(options.info, options.pcmPath, {
    signal: options.signal,
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    ...(options.maxDecodeMs ? { maxDecodeMs: options.maxDecodeMs } : {}),
    ...(options.channel !== undefined ? { channel: options.channel } : {}),
    onPcm: (chunk) => {
      detector.push(chunk);
      options.onPcm?.(chunk);
    },
    ...(options.onDecodeProgress ? { onProgress: options.onDecodeProgress } : {}),
  });
  const pauses = detector.finish();
  return { durationSec: decoded.durationSec, pauses, plan: planSegments(decoded.durationSec, pauses, options.plan) };
}

export type ReusableSegment = { jobId: string; resultJson: string };

/** A segment's work: the result of an earlier job with the same cache key if one holds it (recorded as reused). */
export async function reuseOrRun(segment: PlannedSegment, reusable: ReadonlyMap<string, ReusableSegment>, store: JobStore, jobId: string, backendId: string): Promise<SegmentWork> {
  const found = reusable.get(segmentKey(segment.startSec, segment.endSec));
  if (!found) return { segment };
  // Only results of this primary backend are reusable (same cache key), so it served this one too.
  await store.updateSegment(jobId, segment.index, {
    status: 'reused',
    backend: backendId,
    reused_from_job: found.jobId,
    result_json: found.resultJson,
    completed_at: nowSec(),
    compute_sec: 0,
  });
  return { segment, reused: JSON.parse(found.resultJson) as SegmentTranscript };
}
