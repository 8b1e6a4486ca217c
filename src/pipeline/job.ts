/**
 * One transcription job, end to end: audio → plan → queue → backend → stitch → store → outputs.
 * The job row is created first and records the outcome, success or failure.
 */
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { checkAudioDuration, decodeLimit } from '../audio/limits.js';
import { probeAudio, wavDataBytes } from '../audio/probe.js';
import type { BackendSet } from '../backends/set.js';
import type { TranscriptionBackend } from '../backends/spec.js';
import { computeCacheKey, hashFile, type TranscriptCache } from '../cache/index.js';
import { fixedSegmentSec, type Config } from '../config/schema.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../outputs/formats.js';
import { assertWritableOutput, writeFileAtomic } from '../outputs/write.js';
import type { PlannedSegment, PlanOptions } from '../plan/planner.js';
import { stitch } from '../stitch/stitcher.js';
import { newJobId, nowSec, type JobStore } from '../store/jobs.js';
import { jobTelemetry } from '../telemetry/from-store.js';
import type { JobTelemetry, JobTimings } from '../telemetry/summary.js';
import type { SegmentTranscript, Transcript } from '../transcript.js';
import type { JobEvents } from './events.js';
import { runSegments, type RunSegmentsResult, type SegmentWork } from './run-segments.js';
import { decodeWholeFile, reuseOrRun, streamAndRun, type ReusableSegment } from './decode-and-plan.js';
import type { BreakerBoard } from '../queue/breaker.js';
import type { BackendLoad } from '../queue/load.js';
import { DEFAULT_RETRY_POLICY } from '../queue/retry.js';
import type { SegmentDispatcher } from '../queue/dispatch.js';
import { latencyPlan } from './latency-plan.js';
import { chooseChain } from './route.js';
import { warmPool } from './warm-pool.js';

export interface JobRequest {
  input: string;
  /** Where the transcript goes; null for plan-only runs. */
  outputPath: string | null;
  format: OutputFormat;
  config: Config;
  /** The process's backends, breakers and load: shared by every job of the process. */
  backends: BackendSet;
  breakers: BreakerBoard;
  load: BackendLoad;
  store: JobStore;
  cache: TranscriptCache;
  signal: AbortSignal;
  events?: JobEvents;
  /** Where segments are served (queue driver); absent: this process's backends. */
  dispatcher?: SegmentDispatcher;
  /** Probe, decode, detect pauses and plan, then stop (for benchmarks and `--plan-only`). */
  planOnly?: boolean;
  /**
   * A fresh job transcribes its first segments while the rest is still being decoded (the default).
   * false: decode the whole file, then plan, then transcribe (benchmarks compare the two).
   */
  streaming?: boolean;
  /**
   * An existing job row to run (the service creates it when the upload is accepted). Finished segments
   * of that row are kept, so a job restarted after a crash redoes only what is missing.
   */
  jobId?: string;
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
function transcriptOptions(config: Config) {
  return { language: config.language ?? null, segmentSec: config.segmentSec, planning: config.planning, silence: config.silence };
}

/** The job's backend chain from config and routing; every id in it must be buildable. */
export function resolveChain(config: Config, backends: BackendSet): { chain: string[]; primary: TranscriptionBackend } {
  const { chain } = chooseChain(config.routing, {
    language: config.language,
    priority: config.priority,
    explicitBackend: config.backend,
    fallback: config.fallback,
  });
  const built = chain.map((id) => backends.get(id));
  return { chain, primary: built[0]! };
}

export async function runJob(request: JobRequest): Promise<JobOutcome> {
  const { config, store, events } = request;
  const { chain, primary: backend } = resolveChain(config, request.backends);
  const jobId = request.jobId ?? newJobId();
  const existing = request.jobId ? await store.getJob(request.jobId) : undefined;
  if (request.jobId && !existing) throw new ParascribeError('JOB_NOT_FOUND', `no job ${request.jobId}`);
  if (!existing) {
    await store.createJob({
      id: jobId,
      source: request.input,
      segmentSec: fixedSegmentSec(config),
      backend: backend.id,
      format: request.format,
      language: config.language ?? null,
      priority: config.priority,
      options: { ...transcriptOptions(config), chain },
    });
  }
  events?.onJobCreated?.(jobId);
  const workDir = join(config.dataDir, 'work', jobId);
  // A resumed job keeps its first start: its wall clock includes the outage, as its user saw it.
  const startedAtSec = existing?.started_at ?? nowSec();
  try {
    await store.updateJob(jobId, { status: 'running', started_at: startedAtSec, model: backend.model, pid: process.pid, error_code: null, error: null });
    return await execute(jobId, workDir, startedAtSec, chain, request, existing !== undefined);
  } catch (thrown) {
    const error = toParascribeError(thrown);
    // The original error matters more than a failed bookkeeping write.
    await store
      .updateJob(jobId, {
        status: error.code === 'ABORTED' ? 'cancelled' : 'failed',
        completed_at: nowSec(),
        error_code: error.code,
        error: error.message,
      })
      .catch(() => {});
    await store.cancelOpenSegments(jobId).catch(() => {});
    await recordBreakerEvents(request, jobId, startedAtSec).catch(() => {});
    throw error;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Breaker state changes during the job, for `jobs show`. */
async function recordBreakerEvents(request: JobRequest, jobId: string, startedAtSec: number): Promise<void> {
  const events = request.breakers.transitions.filter((t) => t.atSec >= startedAtSec);
  if (events.length > 0) await request.store.updateJob(jobId, { breaker_events_json: JSON.stringify(events) });
}

async function execute(jobId: string, workDir: string, startedAtSec: number, chain: string[], request: JobRequest, resumed: boolean): Promise<JobOutcome> {
  const { config, store, signal, events, cache } = request;
  const backends = chain.map((id) => request.backends.get(id));
  const backend = backends[0]!;
  // Fail before any work if the transcript could not be written at the end.
  if (request.outputPath) await assertWritableOutput(request.outputPath);
  events?.onStage?.('probing');
  const info = await probeAudio(request.input, { signal });
  checkAudioDuration(info, config.limits);
  const wav = info.formatName === 'wav' ? await wavDataBytes(info.path, info.sizeBytes) : null;
  if (wav && wav.present < wav.declared) {
    throw new ParascribeError('CORRUPT_AUDIO', `${request.input}: truncated WAV (header declares ${wav.declared} data bytes, file holds ${wav.present})`);
  }
  // Fail fast when no backend of the chain can work at all; a broken fallback alone is tolerated.
  // With a remote queue the workers run the backends, and check them when they start.
  const remote = request.dispatcher !== undefined && request.dispatcher.kind !== 'local';
  const checks = remote ? [] : await Promise.allSettled(backends.map((b) => b.check?.(signal)));
  const firstFailure = checks.find((c) => c.status === 'rejected');
  if (checks.every((c) => c.status === 'rejected') && firstFailure) throw firstFailure.reason;

  events?.onStage?.('hashing');
  const fileSha256 = await hashFile(request.input, store, signal);
  const cacheKey = computeCacheKey({ fileSha256, backend: backend.id, model: backend.model, backendFingerprint: backend.fingerprint, options: transcriptOptions(config) });
  await store.updateJob(jobId, { cache_key: cacheKey, duration_sec: info.durationSec });

  const finish = async (transcript: Transcript, plan: PlannedSegment[], cacheHit: boolean, timings?: JobTimings): Promise<JobOutcome> => {
    events?.onStage?.('writing');
    const completedAtSec = nowSec();
    const telemetry = await jobTelemetry(store, jobId, transcript.durationSec, completedAtSec - startedAtSec, cacheHit, timings);
    if (request.outputPath) {
      const rendered = OUTPUT_FORMATS[request.format].render({
        job: { id: jobId, source: request.input, backend: backend.id, model: backend.model, createdAt: new Date(startedAtSec * 1000).toISOString() },
        transcript,
        telemetry,
      });
      await writeFileAtomic(request.outputPath, rendered, { signal });
    }
    await store.updateJob(jobId, {
      status: 'completed',
      completed_at: completedAtSec,
      duration_sec: transcript.durationSec,
      // All backend compute of the job: its segments plus the per-recording preparation.
      gpu_elapsed_sec: telemetry.computeSec,
      chunk_count: plan.length,
      cache_hit: cacheHit ? 1 : 0,
      cost_usd: telemetry.costUsd,
      output_path: request.outputPath,
      telemetry_json: JSON.stringify(telemetry),
    });
    await recordBreakerEvents(request, jobId, startedAtSec);
    return { jobId, status: 'completed', source: request.input, output: request.outputPath, cacheKey, transcript, plan, telemetry };
  };

  if (config.cache && !request.planOnly) {
    const cached = await cache.get(cacheKey);
    if (cached) return finish(cached, [], true);
  }

  // Segment sizes ('auto'), fast first words and hedging, from the backend's fitted latency model.
  const latency = await latencyPlan({ config, store, chain, durationSec: info.durationSec ?? 0, maxSegmentSec: backend.capabilities.maxSegmentSec, maxConcurrency: backend.capabilities.maxConcurrency, prior: backend.latencyPrior?.(), remoteInFlight: remote ? config.distributed.maxSegmentsInFlight : undefined, canHedge: !remote, signal });
  const warming = config.warmPool.enabled && !remote ? warmPool(backend, config.warmPool.size ?? latency.model?.k ?? 1, config.warmPool.timeoutSec, signal) : undefined;
  events?.onStage?.('decoding');
  await mkdir(workDir, { recursive: true });
  const pcmPath = join(workDir, 'audio.pcm');
  const { targetsSec } = latency;
  const planOptions: PlanOptions = { targetSec: targetsSec.at(-1)!, ...(targetsSec.length > 1 ? { targetsSec } : {}), ...config.planning };
  const reusable = config.cache ? await store.findReusableSegments(cacheKey, jobId) : new Map<string, ReusableSegment>();
  let reused = 0;
  // In plan order, one at a time, so onSegmentPlanned comes in order.
  const workFor = async (segments: readonly PlannedSegment[], own = new Map<number, string>()) => {
    const work: SegmentWork[] = [];
    for (const segment of segments) {
      const json = own.get(segment.index);
      work.push(json ? { segment, reused: JSON.parse(json) as SegmentTranscript } : await reuseOrRun(segment, reusable, store, jobId, backend.id));
      if (work.at(-1)!.reused) reused++;
      events?.onSegmentPlanned?.(segment, work.at(-1)!.reused !== undefined);
    }
    return work;
  };
  const segmentOptions = {
    jobId,
    pcmPath,
    chain,
    backends: request.backends,
    breakers: request.breakers,
    load: request.load,
    pressure: config.routing.pressure,
    quality: config.quality,
    language: config.language,
    // Remote: as many segments on the queue as allowed; the workers' number and concurrency set the pace.
    concurrency: remote ? config.distributed.maxSegmentsInFlight : latency.concurrency ?? config.concurrency ?? backend.capabilities.maxConcurrency ?? availableParallelism(),
    firstSegmentChain: latency.firstSegmentChain,
    hedger: latency.hedger,
    priority: config.priority,
    dispatcher: request.dispatcher,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
    segmentTimeoutSec: config.segmentTimeoutSec,
    store,
    signal,
    events,
  };
  const decodeStartMs = performance.now();
  let decodeEndMs = decodeStartMs;
  const decodedNow = (durationSec: number) => {
    decodeEndMs = performance.now();
    events?.onDecoded?.(durationSec, (decodeEndMs - decodeStartMs) / 1000);
    events?.onStage?.('planning');
  };
  const decodeOptions = {
    info,
    pcmPath,
    silence: config.silence,
    plan: planOptions,
    signal,
    maxBytes: decodeLimit(config.limits),
    onDecodeProgress: (decodedSec: number) => events?.onDecodeProgress?.(decodedSec, info.durationSec),
  };
  let plan: PlannedSegment[];
  let durationSec: number;
  let ran: RunSegmentsResult;

  // A fresh job decodes, plans and transcribes at once. A resumed job (its segment rows exist) and a
  // plan-only run decode the whole file first: a resume matches the old rows against the whole plan.
  if (!request.planOnly && request.streaming !== false && (await store.listSegments(jobId)).length === 0) {
    ({ plan, durationSec, ran } = await streamAndRun({
      ...decodeOptions,
      // Rows go in as segments are planned; insertSegments takes any batch of new indices.
      register: (segments) => store.insertSegments(jobId, segments).then(() => workFor(segments)),
      onDecoded: (decoded) => {
        decodedNow(decoded.durationSec);
        return store.updateJob(jobId, { duration_sec: decoded.durationSec });
      },
      onPlanned: async (whole) => {
        await store.updateJob(jobId, { chunk_count: whole.length });
        events?.onPlan?.(whole, reused);
        events?.onStage?.('transcribing');
      },
      segments: segmentOptions,
    }));
  } else {
    const whole = await decodeWholeFile(decodeOptions);
    decodedNow(whole.durationSec);
    ({ plan, durationSec } = whole);
    await store.updateJob(jobId, { duration_sec: durationSec, chunk_count: plan.length });
    const ownResults = resumed ? await store.resumeSegments(jobId, plan) : new Map<number, string>();
    if (!resumed) await store.insertSegments(jobId, plan);
    const work = await workFor(plan, ownResults);
    events?.onPlan?.(plan, reused);
    if (request.planOnly) {
      await store.updateJob(jobId, { status: 'completed', completed_at: nowSec(), error: 'plan only' });
      const telemetry = await jobTelemetry(store, jobId, durationSec, nowSec() - startedAtSec, false, { decodeSec: (decodeEndMs - decodeStartMs) / 1000 });
      return { jobId, status: 'planned', source: request.input, output: null, cacheKey, transcript: null, plan, telemetry };
    }
    events?.onStage?.('transcribing');
    // The sample sits where a streamed run of this file puts it (probed duration), so a resumed job's new segments match.
    const sample = { durationSec: info.durationSec ?? durationSec, untilOnDisk: async () => durationSec };
    ran = await runSegments(work, { ...segmentOptions, pauses: whole.pauses, sample });
  }

  events?.onStage?.('stitching');
  const { transcripts } = ran;
  const language = config.language ?? transcripts.find((t) => t.language)?.language ?? backend.capabilities.languages[0] ?? 'und';
  const transcript = stitch(
    plan.map((segment, i) => ({ startSec: segment.startSec, endSec: segment.endSec, transcript: transcripts[i]! })),
    { durationSec, language },
  );
  // Only a transcript entirely from the primary backend is what this cache key promises.
  const segmentRows = await store.listSegments(jobId);
  if (segmentRows.every((row) => row.backend === backend.id)) await cache.put(cacheKey, transcript);
  await store.updateJob(jobId, { prepare_compute_sec: ran.prepareComputeSec });
  const firstResultAtSec = segmentRows.find((row) => row.idx === 0)?.completed_at;
  return finish(transcript, plan, false, {
    decodeSec: (decodeEndMs - decodeStartMs) / 1000,
    ...(ran.firstDispatchMs !== null ? { firstDispatchSec: (ran.firstDispatchMs - decodeStartMs) / 1000 } : {}),
    ...(firstResultAtSec ? { firstResultSec: firstResultAtSec - startedAtSec } : {}),
    plan: latency.note,
    ...(latency.hedger ? { hedges: latency.hedger.summary() } : {}),
    ...(warming ? { warmPool: await warming } : {}),
  });
}
