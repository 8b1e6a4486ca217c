/**
 * The job's transcribe stage: decode, find pauses, plan and run the segments. A fresh job does all of
 * it at once (its first segments are transcribed while the rest is still decoding); a resumed job and
 * a plan-only run decode the whole file first, because a resume matches the old rows against the
 * whole plan. The segment rows are written here; the job row through the JobRecord.
 */
import { join } from 'node:path';
import { decodeDeadline, decodeLimit } from '../audio/limits.js';
import { PeaksWriter } from '../audio/peaks.js';
import type { AudioInfo } from '../audio/probe.js';
import type { TranscriptionBackend } from '../backends/spec.js';
import type { PlannedSegment } from '../core/types.js';
import type { Config } from '../config/schema.js';
import type { PlanOptions } from '../plan/planner.js';
import type { SegmentTranscript } from '../transcript.js';
import { decodeWholeFile, reuseOrRun, streamAndRun, type ReusableSegment } from './decode-and-plan.js';
import type { JobEvents } from './events.js';
import type { JobRecord } from './job-record.js';
import type { JobRuntime } from './job.js';
import type { LatencyPlan } from './latency-plan.js';
import { runSegments, type RunSegmentsResult, type SegmentWork } from './run-segments.js';
import { spanBetween } from '../telemetry/tracing/spans.js';

export interface TranscribeStageInput {
  runtime: JobRuntime;
  record: JobRecord;
  config: Config;
  events: JobEvents | undefined;
  signal: AbortSignal;
  info: AudioInfo;
  cacheKey: string;
  chain: string[];
  primary: TranscriptionBackend;
  latency: LatencyPlan;
  workDir: string;
  streaming: boolean;
  planOnly: boolean;
  /** Decode one channel only (a speaker-per-channel track). */
  channel?: number;
  /** Where the waveform peaks go as the audio is decoded (audio/peaks.ts); absent: none are kept. */
  peaksPath?: string | undefined;
}

export interface TranscribeStageResult {
  plan: PlannedSegment[];
  durationSec: number;
  /** Absent for a plan-only run. */
  ran?: RunSegmentsResult;
  decodeStartMs: number;
  decodeEndMs: number;
}

export async function transcribeStage(input: TranscribeStageInput): Promise<TranscribeStageResult> {
  const peaks = input.peaksPath ? new PeaksWriter(input.peaksPath) : undefined;
  try {
    return await transcribeWithPeaks(input, peaks);
  } finally {
    // Reached with the peaks finished when the decode ended normally; else what was computed stays readable.
    await peaks?.abort();
  }
}

async function transcribeWithPeaks(input: TranscribeStageInput, peaks: PeaksWriter | undefined): Promise<TranscribeStageResult> {
  const { runtime, record, config, events, signal, info, latency } = input;
  const { store } = runtime;
  const { jobId } = record;
  const pcmPath = join(input.workDir, 'audio.pcm');
  const { targetsSec } = latency;
  const planOptions: PlanOptions = { targetSec: targetsSec.at(-1)!, ...(targetsSec.length > 1 ? { targetsSec } : {}), ...config.planning };
  const reusable = config.cache ? await store.findReusableSegments(input.cacheKey, jobId) : new Map<string, ReusableSegment>();
  let reused = 0;
  // In plan order, one at a time, so onSegmentPlanned comes in order.
  const workFor = async (segments: readonly PlannedSegment[], own = new Map<number, string>()) => {
    const work: SegmentWork[] = [];
    for (const segment of segments) {
      const json = own.get(segment.index);
      work.push(json ? { segment, reused: JSON.parse(json) as SegmentTranscript } : await reuseOrRun(segment, reusable, store, jobId, input.primary.id));
      if (work.at(-1)!.reused) reused++;
      events?.onSegmentPlanned?.(segment, work.at(-1)!.reused !== undefined);
    }
    return work;
  };
  const segmentOptions = {
    jobId,
    pcmPath,
    chain: input.chain,
    language: config.language,
    backends: runtime.backends,
    dispatcher: runtime.dispatcher,
    // Decided once, by plan/latency/concurrency.ts jobConcurrency (through the latency plan).
    concurrency: latency.concurrency,
    firstSegmentChain: latency.firstSegmentChain,
    hedger: latency.hedger,
    priority: config.priority,
    signal,
    events,
  };
  const decodeStartMs = performance.now();
  let decodeEndMs = decodeStartMs;
  const decodedNow = (durationSec: number) => {
    decodeEndMs = performance.now();
    spanBetween('decode', decodeStartMs, decodeEndMs, { 'parascribe.audio.duration_sec': durationSec });
    events?.onDecoded?.(durationSec, (decodeEndMs - decodeStartMs) / 1000);
    record.stage('planning');
  };
  const decodeOptions = {
    info,
    pcmPath,
    silence: config.silence,
    plan: planOptions,
    signal,
    maxBytes: decodeLimit(config.limits),
    maxDecodeMs: decodeDeadline(config.limits),
    ...(input.channel !== undefined ? { channel: input.channel } : {}),
    onDecodeProgress: (decodedSec: number) => events?.onDecodeProgress?.(decodedSec, info.durationSec),
    ...(peaks ? { onPcm: (chunk: Buffer) => peaks.push(chunk) } : {}),
  };

  if (!input.planOnly && input.streaming && (await store.listSegments(jobId)).length === 0) {
    const { plan, durationSec, ran } = await streamAndRun({
      ...decodeOptions,
      // Rows go in as segments are planned; insertSegments takes any batch of new indices.
      register: (segments) => store.insertSegments(jobId, segments).then(() => workFor(segments)),
      onDecoded: async (decoded) => {
        decodedNow(decoded.durationSec);
        await peaks?.finish();
        await record.progress({ duration_sec: decoded.durationSec });
      },
      onPlanned: async (whole) => {
        await record.progress({ chunk_count: whole.length });
        events?.onPlan?.(whole, reused);
        record.stage('transcribing');
      },
      segments: segmentOptions,
    });
    return { plan, durationSec, ran, decodeStartMs, decodeEndMs };
  }

  const whole = await decodeWholeFile(decodeOptions);
  decodedNow(whole.durationSec);
  await peaks?.finish();
  const { plan, durationSec } = whole;
  await record.progress({ duration_sec: durationSec, chunk_count: plan.length });
  const ownResults = record.resumed ? await store.resumeSegments(jobId, plan) : new Map<number, string>();
  if (!record.resumed) await store.insertSegments(jobId, plan);
  const work = await workFor(plan, ownResults);
  events?.onPlan?.(plan, reused);
  if (input.planOnly) return { plan, durationSec, decodeStartMs, decodeEndMs };
  record.stage('transcribing');
  // The sample sits where a streamed run of this file puts it (probed duration), so a resumed job's new segments match.
  const sample = { durationSec: info.durationSec ?? durationSec, untilOnDisk: async () => durationSec };
  const ran = await runSegments(work, { ...segmentOptions, pauses: whole.pauses, sample });
  return { plan, durationSec, ran, decodeStartMs, decodeEndMs };
}
