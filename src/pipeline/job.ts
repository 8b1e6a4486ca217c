/**
 * One transcription job, end to end, as named stages:
 *   prepare (output writable, probe, limits, backends usable) → identify (content hash, cache key)
 *   → cache (a hit finishes at once) → plan (latency plan, warm pool) → transcribe (decode, plan,
 *   run segments: job-transcribe.ts) → finish (stitch, cache, output file, job row completed).
 * The job row is created first and records the outcome, success or failure; its writes go through
 * one JobRecord (job-record.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkAudioDuration } from '../audio/limits.js';
import { probeAudio, wavDataBytes, type AudioInfo } from '../audio/probe.js';
import type { BackendSet } from '../backends/set.js';
import type { TranscriptionBackend } from '../backends/spec.js';
import { computeCacheKey, hashFile, type TranscriptCache } from '../cache/index.js';
import type { Config } from '../config/schema.js';
import { nowSec } from '../core/time.js';
import type { PlannedSegment } from '../core/types.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../outputs/formats.js';
import { assertWritableOutput, writeFileAtomic } from '../outputs/write.js';
import type { BreakerBoard } from '../queue/breaker.js';
import { isHandoff, type SegmentDispatcher } from '../queue/dispatch.js';
import { stitch } from '../stitch/stitcher.js';
import type { JobStore } from '../store/jobs.js';
import { jobTelemetry } from '../telemetry/from-store.js';
import { inJobSpan, inSpan, jobIdentified } from '../telemetry/tracing/spans.js';
import type { JobTelemetry, JobTimings } from '../telemetry/summary.js';
import type { Transcript } from '../transcript.js';
import type { JobEvents } from './events.js';
import { JobRecord } from './job-record.js';
import { transcribeStage, type TranscribeStageResult } from './job-transcribe.js';
import { latencyPlan } from './latency-plan.js';
import { resolveChain } from './route.js';
import { warmPool } from './warm-pool.js';

export { resolveChain } from './route.js';

/** What a job uses of its process (a Runtime, src/runtime.ts, is one). */
export interface JobRuntime {
  readonly store: JobStore;
  readonly cache: TranscriptCache;
  readonly backends: BackendSet;
  readonly breakers: BreakerBoard;
  readonly dispatcher: SegmentDispatcher;
}

export interface JobRequest {
  runtime: JobRuntime;
  input: string;
  /** Where the transcript goes; null for plan-only runs. */
  outputPath: string | null;
  format: OutputFormat;
  /** This job's options: the process's config, with a service caller's choices on top. */
  config: Config;
  signal: AbortSignal;
  events?: JobEvents;
  /** Probe, decode, detect pauses and plan, then stop (for benchmarks and `--plan-only`). */
  planOnly?: boolean;
  /**
   * A fresh job transcribes its first segments while the rest is still being decoded (the default).
   * false: decode the whole file, then plan, then transcribe (benchmarks compare the two).
   */
  streaming?: boolean;
  /** Where the waveform peaks are written as the audio is decoded (audio/peaks.ts); the service sets it. */
  peaksPath?: string;
  /**
   * An existing job row to run (the service creates it when the upload is accepted). Finished segments
   * of that row are kept, so a job restarted after a crash redoes only what is missing.
   */
  jobId?: string;
  /**
   * Transcribe this channel only (0 = left): one track of a recording with a speaker per channel
   * (pipeline/channels.ts runs one job per channel and merges them). Part of the cache key.
   */
  channel?: number;
  /**
   * Where the rendered transcript goes besides `outputPath`, before the row says completed (a shared
   * store: every API server can then serve it). Throwing a JobHandoff leaves the row alone (another
   * server holds the job now).
   */
  publishOutput?: (rendered: string) => Promise<void>;
}

export interface JobOutcome {
  jobId: string;
  status: 'completed' | 'planned';
  source: string;
  output: string | null;
  cacheKey: string;
  transcript: Transcript | null;
  plan: PlannedSegment[];
  telemetry: JobTelemetry;
}

/** Options that change the transcript (and so the cache key). Output format does not. */
function transcriptOptions(config: Config, channel?: number) {
  return { language: config.language ?? null, segmentSec: config.segmentSec, planning: config.planning, silence: config.silence, ...(channel !== undefined ? { channel } : {}) };
}

/** What the stages share once the job row exists. */
interface JobRun {
  request: JobRequest;
  record: JobRecord;
  chain: string[];
  primary: TranscriptionBackend;
}

/** One job; with tracing on, one trace (telemetry/tracing/spans.ts) whose spans are its stages. */
export function runJob(request: JobRequest): Promise<JobOutcome> {
  return inJobSpan(request.input, () => runStages(request));
}

async function runStages(request: JobRequest): Promise<JobOutcome> {
  const { config, runtime } = request;
  const { chain, primary } = resolveChain(config, runtime.backends);
  const record = await JobRecord.open({
    store: runtime.store,
    breakers: runtime.breakers,
    events: request.events,
    jobId: request.jobId,
    input: request.input,
    format: request.format,
    config,
    chain,
    backend: { id: primary.id, model: primary.model },
    options: transcriptOptions(config, request.channel),
  });
  const workDir = join(config.dataDir, 'work', record.jobId);
  jobIdentified(record.jobId, primary.id, chain);
  try {
    const run: JobRun = { request, record, chain, primary };
    const info = await inSpan('probe', {}, () => prepare(run), (i) => ({ 'parascribe.audio.format': i.formatName, ...(i.durationSec === null ? {} : { 'parascribe.audio.duration_sec': i.durationSec }) }));
    const cacheKey = await inSpan('hash', {}, () => identify(run, info));
    if (config.cache && !request.planOnly) {
      const cached = await runtime.cache.get(cacheKey);
      if (cached) {
        // No segments run, so none is indexed as it completes: the transcript is, for search.
        await runtime.store.search.indexTranscript(record.jobId, cached);
        return await inSpan('write', { 'parascribe.cache_hit': true }, () => finish(run, cacheKey, cached, [], true));
      }
    }
    const latency = await inSpan('plan', {}, () => planLatency(run, info), (l) => ({ 'parascribe.plan.targets_sec': l.targetsSec, 'parascribe.plan.source': l.note.source }));
    const warming = config.warmPool.enabled && runtime.dispatcher.servesLocally ? warmPool(primary, config.warmPool.size ?? latency.model?.k ?? 1, config.warmPool.timeoutSec, request.signal) : undefined;
    record.stage('decoding');
    await mkdir(workDir, { recursive: true });
    const done = await inSpan('transcribe', {}, () => transcribeStage({
      runtime,
      record,
      config,
      events: request.events,
      signal: request.signal,
      info,
      cacheKey,
      chain,
      primary,
      latency,
      workDir,
      streaming: request.streaming !== false,
      peaksPath: request.peaksPath,
      planOnly: request.planOnly === true,
      ...(request.channel !== undefined ? { channel: request.channel } : {}),
    }), (d) => ({ 'parascribe.segments': d.plan.length }));
    const decodeSec = (done.decodeEndMs - done.decodeStartMs) / 1000;
    if (!done.ran) return await plannedOnly(run, cacheKey, done, decodeSec);
    const transcript = await inSpan('stitch', {}, () => stitchAndCache(run, cacheKey, done));
    const firstResultAtSec = (await runtime.store.listSegments(record.jobId)).find((row) => row.idx === 0)?.completed_at;
    const timings: JobTimings = {
      decodeSec,
      ...(done.ran.firstDispatchMs !== null ? { firstDispatchSec: (done.ran.firstDispatchMs - done.decodeStartMs) / 1000 } : {}),
      ...(firstResultAtSec ? { firstResultSec: firstResultAtSec - record.startedAtSec } : {}),
      plan: latency.note,
      ...(latency.hedger ? { hedges: latency.hedger.summary() } : {}),
      ...(warming ? { warmPool: await warming } : {}),
    };
    return await inSpan('write', {}, () => finish(run, cacheKey, transcript, done.plan, false, timings));
  } catch (thrown) {
    // Handed to a later run (shutdown, lease lost): the row is that run's, not this one's to end.
    if (isHandoff(thrown)) throw thrown;
    const error = toParascribeError(thrown);
    if (!(request.signal.aborted && isHandoff(request.signal.reason))) await record.failed(error);
    throw error;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Fails before any work if the output could not be written, the audio is unusable, or no backend works. */
async function prepare({ request, record, chain, primary }: JobRun): Promise<AudioInfo> {
  const { signal, config, runtime } = request;
  if (config.speakers === 'backend' && !primary.capabilities.diarization) {
    throw new ParascribeError(
      'INVALID_ARGUMENT',
      `--speakers backend: backend "${primary.id}" gives no speaker labels (an openai backend with model gpt-4o-transcribe-diarize and responseFormat "diarized_json" does; for a stereo recording with one speaker per channel use --speakers channels)`,
    );
  }
  if (request.outputPath) await assertWritableOutput(request.outputPath);
  record.stage('probing');
  const info = await probeAudio(request.input, { signal });
  checkAudioDuration(info, config.limits);
  if (request.channel !== undefined && request.channel >= (info.channels ?? 1)) {
    throw new ParascribeError('INVALID_ARGUMENT', `${request.input}: has ${info.channels ?? 1} audio channel(s), no channel ${request.channel + 1}`);
  }
  const wav = info.formatName === 'wav' ? await wavDataBytes(info.path, info.sizeBytes) : null;
  if (wav && wav.present < wav.declared) {
    throw new ParascribeError('CORRUPT_AUDIO', `${request.input}: truncated WAV (header declares ${wav.declared} data bytes, file holds ${wav.present})`);
  }
  // A broken fallback alone is tolerated. When other processes serve the segments, they check their
  // own backends when they start.
  if (runtime.dispatcher.servesLocally) {
    const checks = await Promise.allSettled(chain.map((id) => runtime.backends.get(id).check?.(signal)));
    const firstFailure = checks.find((c) => c.status === 'rejected');
    if (checks.every((c) => c.status === 'rejected') && firstFailure) throw firstFailure.reason;
  }
  return info;
}

/** The content hash and the cache key: the same audio with the same options is the same transcript. */
async function identify({ request, record, primary }: JobRun, info: AudioInfo): Promise<string> {
  record.stage('hashing');
  const fileSha256 = await hashFile(request.input, request.runtime.store, request.signal);
  const cacheKey = computeCacheKey({ fileSha256, backend: primary.id, model: primary.model, backendFingerprint: primary.fingerprint, options: transcriptOptions(request.config, request.channel) });
  await record.progress({ cache_key: cacheKey, duration_sec: info.durationSec });
  return cacheKey;
}

/** Segment sizes ('auto'), fast first words and hedging, from the backend's fitted latency model. */
function planLatency({ request, chain, primary }: JobRun, info: AudioInfo) {
  const { runtime, config, signal } = request;
  return latencyPlan({
    config,
    store: runtime.store,
    chain,
    durationSec: info.durationSec ?? 0,
    maxSegmentSec: primary.capabilities.maxSegmentSec,
    maxConcurrency: primary.capabilities.maxConcurrency,
    prior: primary.latencyPrior?.(),
    // A queue's own limit (distributed mode) passes straight through: the workers set the pace.
    remoteInFlight: runtime.dispatcher.maxInFlight,
    canHedge: runtime.dispatcher.canHedge,
    signal,
  });
}

async function stitchAndCache({ request, record, primary }: JobRun, cacheKey: string, done: TranscribeStageResult): Promise<Transcript> {
  record.stage('stitching');
  const { transcripts, prepareComputeSec } = done.ran!;
  const { config, runtime } = request;
  const language = config.language ?? transcripts.find((t) => t.language)?.language ?? primary.capabilities.languages[0] ?? 'und';
  const transcript = stitch(
    done.plan.map((segment, i) => ({ startSec: segment.startSec, endSec: segment.endSec, transcript: transcripts[i]! })),
    { durationSec: done.durationSec, language },
  );
  // Only a transcript entirely from the primary backend is what this cache key promises.
  const segmentRows = await runtime.store.listSegments(record.jobId);
  if (segmentRows.every((row) => row.backend === primary.id)) await runtime.cache.put(cacheKey, transcript);
  await record.progress({ prepare_compute_sec: prepareComputeSec });
  return transcript;
}

async function plannedOnly({ request, record }: JobRun, cacheKey: string, done: TranscribeStageResult, decodeSec: number): Promise<JobOutcome> {
  await record.planned();
  const telemetry = await jobTelemetry(request.runtime.store, record.jobId, done.durationSec, nowSec() - record.startedAtSec, false, { decodeSec });
  return { jobId: record.jobId, status: 'planned', source: request.input, output: null, cacheKey, transcript: null, plan: done.plan, telemetry };
}

/** Telemetry, the output file (atomically), and the completed row. */
async function finish({ request, record, primary }: JobRun, cacheKey: string, transcript: Transcript, plan: PlannedSegment[], cacheHit: boolean, timings?: JobTimings): Promise<JobOutcome> {
  record.stage('writing');
  const completedAtSec = nowSec();
  const { jobId, startedAtSec } = record;
  const telemetry = await jobTelemetry(request.runtime.store, jobId, transcript.durationSec, completedAtSec - startedAtSec, cacheHit, timings);
  if (request.outputPath) {
    const rendered = OUTPUT_FORMATS[request.format].render({
      job: { id: jobId, source: request.input, backend: primary.id, model: primary.model, createdAt: new Date(startedAtSec * 1000).toISOString() },
      transcript,
      telemetry,
      subtitles: request.config.subtitles,
    });
    await writeFileAtomic(request.outputPath, rendered, { signal: request.signal });
    await request.publishOutput?.(rendered);
  }
  await record.completed({ durationSec: transcript.durationSec, segments: plan.length, cacheHit, outputPath: request.outputPath, telemetry, completedAtSec });
  return { jobId, status: 'completed', source: request.input, output: request.outputPath, cacheKey, transcript, plan, telemetry };
}
