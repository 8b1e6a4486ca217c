/**
 * The pipeline's spans, through `@opentelemetry/api` only: with no provider registered (tracing off,
 * provider.ts) every call here is the API's no-op. The tree of one job:
 *
 *   job (root; one trace per job)
 *   ├─ probe        output writable, probe, limits, backends usable
 *   ├─ hash         content hash and cache key
 *   ├─ plan         segment sizes and concurrency (the latency plan)
 *   ├─ transcribe   ├─ decode (decode + pause detection + incremental planning, until the whole file is on disk)
 *   │               ├─ prepare-recording (the primary backend's look at a sample, e.g. pocketsphinx's calibration)
 *   │               └─ segment ×N ─ attempt ×M            (embedded: served in this process)
 *   │                          └─ dispatch ×D ─┄┄ worker.segment ─ attempt ×M   (distributed: queue/*.ts)
 *   ├─ stitch
 *   └─ write        output file and the completed row
 *
 * Attributes are `parascribe.*`; an error sets the span's status and `parascribe.error.code`.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span, type SpanOptions } from '@opentelemetry/api';
import type { AttemptRecord } from '../../pipeline/serve-segment.js';
import type { PlannedSegment } from '../../core/types.js';
import type { JobOutcome } from '../../pipeline/job.js';

export const TRACER_NAME = 'parascribe';

export const tracer = () => trace.getTracer(TRACER_NAME);

/** The error's code (ParascribeError) or name, its message on the span, and an ERROR status. */
export function markFailed(span: Span, thrown: unknown): void {
  const code = typeof (thrown as { code?: unknown })?.code === 'string' ? (thrown as { code: string }).code : undefined;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (code) span.setAttribute('parascribe.error.code', code);
  if (thrown instanceof Error) span.recordException(thrown);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code ? `${code}: ${message}` : message });
}

/**
 * Runs `work` in a new active span (a child of the active one): ended when it settles, marked failed
 * if it rejects. `describe` adds attributes from the result.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>, describe?: (result: T) => Attributes, options: SpanOptions = {}): Promise<T> {
  return tracer().startActiveSpan(name, { ...options, attributes }, async (span) => {
    try {
      const result = await work();
      if (describe) span.setAttributes(describe(result));
      return result;
    } catch (thrown) {
      markFailed(span, thrown);
      throw thrown;
    } finally {
      span.end();
    }
  });
}

/** A span for something already timed (start and end in performance.now() or epoch milliseconds). */
export function spanBetween(name: string, startMs: number, endMs: number, attributes: Attributes = {}): void {
  tracer().startSpan(name, { startTime: startMs, attributes }).end(endMs);
}

/** One job, the root of its own trace (a CLI run of several files gives one trace per file). */
export function inJobSpan(input: string, work: () => Promise<JobOutcome>): Promise<JobOutcome> {
  return inSpan('job', { 'parascribe.input': input }, work, (outcome) => {
    const t = outcome.telemetry;
    return {
      'parascribe.job.id': outcome.jobId,
      'parascribe.job.status': outcome.status,
      'parascribe.audio.duration_sec': t.durationSec,
      'parascribe.wall_sec': t.wallSec,
      'parascribe.compute_sec': t.computeSec,
      'parascribe.segments': outcome.plan.length,
      'parascribe.segments_reused': t.segmentsReused,
      'parascribe.cold_starts': t.coldStarts,
      'parascribe.cost_usd': t.costUsd,
      'parascribe.cache_hit': t.cacheHit,
    };
  }, { root: true, kind: SpanKind.INTERNAL });
}

/** What the job span knows once the job row exists: its id, primary backend and chain. */
export function jobIdentified(jobId: string, backend: string, chain: readonly string[]): void {
  trace.getActiveSpan()?.setAttributes({ 'parascribe.job.id': jobId, 'parascribe.backend': backend, 'parascribe.chain': [...chain] });
}

/** One segment of a job, from its dispatch to its result (attempts, or queue dispatches, are its children). */
export function inSegmentSpan<T>(segment: PlannedSegment, chain: readonly string[], work: () => Promise<T>): Promise<T> {
  return inSpan('segment', {
    'parascribe.segment.index': segment.index,
    'parascribe.segment.start_sec': segment.startSec,
    'parascribe.segment.end_sec': segment.endSec,
    'parascribe.chain': [...chain],
  }, work);
}

/**
 * One attempt on one backend, recorded when it ends (from the attempt record serve-segment.ts keeps):
 * backend, attempt number, outcome, error code, backoff and breaker wait before it, cold start.
 */
export function attemptSpan(index: number, entry: AttemptRecord, coldStart?: boolean): void {
  const span = tracer().startSpan('attempt', {
    startTime: entry.startedAtSec * 1000,
    attributes: {
      'parascribe.segment.index': index,
      'parascribe.backend': entry.backend,
      'parascribe.attempt': entry.attempt,
      'parascribe.attempt.outcome': entry.outcome,
      ...(entry.hedge ? { 'parascribe.hedge': true } : {}),
      ...(coldStart !== undefined ? { 'parascribe.cold_start': coldStart } : {}),
      ...(entry.delayBeforeMs !== undefined ? { 'parascribe.retry.delay_ms': entry.delayBeforeMs } : {}),
      ...(entry.breakerWaitMs !== undefined ? { 'parascribe.breaker_wait_ms': entry.breakerWaitMs } : {}),
      ...(entry.errorCode ? { 'parascribe.error.code': entry.errorCode } : {}),
    },
  });
  if (entry.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: `${entry.errorCode ?? 'ERROR'}: ${entry.error ?? ''}` });
  span.end(entry.endedAtSec * 1000);
}

/** A result that looks failed (quality check): the next backend is asked; an event on the segment's span. */
export function resultSuspicious(index: number, backend: string, reason: string): void {
  trace.getActiveSpan()?.addEvent('quality-suspicious', { 'parascribe.segment.index': index, 'parascribe.backend': backend, 'parascribe.reason': reason });
}
