/**
 * Serves one segment through the job's backend chain: per backend, attempts with a timeout and
 * retries (shared policy: transient failures within the time budget, others up to maxAttempts),
 * gated by that backend's circuit breaker; on an exhausted budget or attempt cap, an open breaker
 * (but on the last backend, which waits for it, on the budget) or a result that looks failed, the next
 * backend. Every attempt is recorded on the segment row; waiting for a breaker is not an attempt.
 */
import type { SegmentAudio } from '../audio/segment-audio.js';
import type { BackendSet } from '../backends/set.js';
import type { BackendWarning, TranscribeResult } from '../backends/spec.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import type { BreakerBoard } from '../queue/breaker.js';
import type { BackendLoad } from '../queue/load.js';
import { SYSTEM_CLOCK, withRetry, type RetryClock, type RetryPolicy } from '../queue/retry.js';
import { type JobStore } from '../store/jobs.js';
import type { JobEvents } from './events.js';
import { suspiciousReason, type QualityThresholds } from './quality.js';
import { divertUnderPressure, type PressureRule } from './route.js';
import type { RecordingContext } from '../core/types.js';
import { nowSec } from '../core/time.js';
import { attemptSpan, resultSuspicious } from '../telemetry/tracing/spans.js';

export interface AttemptRecord {
  backend: string;
  attempt: number;
  startedAtSec: number;
  endedAtSec: number;
  outcome: 'ok' | 'error' | 'skipped' | 'suspicious' | 'cancelled';
  /** Made by a hedged duplicate (pipeline/hedge.ts). */
  hedge?: boolean;
  /** A canary candidate's one attempt (rollout/canary-serve.ts). */
  canary?: boolean;
  errorCode?: string;
  error?: string;
  /** Backoff waited before this attempt (Retry-After included). */
  delayBeforeMs?: number;
  /** Time waited for this backend's open circuit breaker before this attempt (not an attempt itself). */
  breakerWaitMs?: number;
}

export interface ServeContext {
  jobId: string;
  chain: string[];
  backends: BackendSet;
  breakers: BreakerBoard;
  load: BackendLoad;
  pressure: Record<string, PressureRule>;
  quality: QualityThresholds;
  language: string | undefined;
  retryPolicy: RetryPolicy;
  /** Backoff and budget time (tests: a virtual clock); absent: the system's. */
  retryClock?: RetryClock | undefined;
  segmentTimeoutSec: number | undefined;
  store: JobStore;
  events?: JobEvents | undefined;
  /** This call is a hedged duplicate: its attempts are marked so. */
  hedge?: boolean | undefined;
  /**
   * Attempt lists by segment index, shared by the calls that serve the same segment at once (an
   * original and its hedge), so that neither overwrites the other's record. Absent: one per call.
   */
  attemptLogs?: Map<number, AttemptRecord[]> | undefined;
}

export interface Served {
  result: TranscribeResult;
  backend: string;
  warnings: BackendWarning[];
  costUsd: number;
}

/** Errors that say something about the backend's health, not about this one request. */
const countsAgainstBackend = (error: ParascribeError): boolean =>
  error.isRetryable || error.code === 'BACKEND_UNAVAILABLE' || error.code === 'TOOL_MISSING';

export async function serveSegment(
  index: number,
  audio: SegmentAudio,
  speechSec: number,
  ctx: ServeContext,
  signal: AbortSignal,
  recording: RecordingContext | undefined,
): Promise<Served> {
  const attempts: AttemptRecord[] = ctx.attemptLogs?.get(index) ?? [];
  ctx.attemptLogs?.set(index, attempts);
  let ownLast = -1; // this call's latest entry (the list may be shared with a hedge)
  const record = async (entry: AttemptRecord, coldStart?: boolean) => {
    ownLast = attempts.push(ctx.hedge ? { ...entry, hedge: true } : entry) - 1;
    attemptSpan(index, attempts[ownLast]!, coldStart);
    await ctx.store.updateSegment(ctx.jobId, index, { attempts_json: JSON.stringify(attempts) });
  };
  const timeoutSec = ctx.segmentTimeoutSec ?? 120 + audio.durationSec * 4;
  const clock = ctx.retryClock ?? SYSTEM_CLOCK;
  const chain = divertUnderPressure(ctx.chain, ctx.pressure, (id) => ctx.load.get(id));
  let lastError: ParascribeError | undefined;
  let fallbackResult: Served | undefined;
  let costUsd = 0;

  for (const [position, backendId] of chain.entries()) {
    const backend = ctx.backends.get(backendId);
    const breaker = ctx.breakers.get(backendId);
    // The last backend of the chain has no one to hand over to: it waits for its breaker to let a call
    // through (a half-open probe), on the retry budget, instead of failing the segment. The others
    // hand over at once.
    const isLast = position === chain.length - 1;
    let delayBeforeMs: number | undefined;
    let breakerWaitMs = 0;
    let result: TranscribeResult;
    // The segment counts against this backend's backlog for its whole turn (retries and backoff
    // included), from the routing decision on with no await in between: segments dispatched together
    // must see each other, or all of them find the backlog under the limit.
    const release = ctx.load.acquire(backendId);
    try {
      result = await withRetry(
        async (attempt) => {
          const startedAtSec = nowSec();
          const delay = { ...(delayBeforeMs === undefined ? {} : { delayBeforeMs }), ...(breakerWaitMs > 0 ? { breakerWaitMs: Math.round(breakerWaitMs) } : {}) };
          breakerWaitMs = 0;
          if (!isLast && !breaker.tryAcquire()) {
            await record({ backend: backendId, attempt, startedAtSec, endedAtSec: nowSec(), outcome: 'skipped', errorCode: 'BREAKER_OPEN', error: `circuit breaker of ${backendId} is open`, ...delay });
            throw new ParascribeError('BREAKER_OPEN', `circuit breaker of ${backendId} is open`);
          }
          await ctx.store.markSegmentStarted(ctx.jobId, index, backendId);
          // A timer we hold, not AbortSignal.timeout: inside AbortSignal.any a timeout signal can be
          // garbage-collected before it fires (Node 20, nodejs/node#57736), and the attempt then waits
          // for the backend's own limit instead. The reason is still a TimeoutError, as backends expect.
          const timeout = new AbortController();
          const timer = setTimeout(() => timeout.abort(new DOMException('segment attempt timed out', 'TimeoutError')), Math.ceil(timeoutSec * 1000));
          const attemptSignal = AbortSignal.any([signal, timeout.signal]);
          try {
            const served = await backend.transcribe({
              audio,
              signal: attemptSignal,
              ...(ctx.language ? { language: ctx.language } : {}),
              ...(recording ? { recording } : {}),
            });
            breaker.onSuccess();
            await record({ backend: backendId, attempt, startedAtSec, endedAtSec: nowSec(), outcome: 'ok', ...delay }, served.coldStart);
            return served;
          } catch (thrown) {
            let error = toParascribeError(thrown);
            if (!signal.aborted && attemptSignal.aborted && error.code !== 'SEGMENT_TIMEOUT') {
              error = new ParascribeError('SEGMENT_TIMEOUT', `segment ${index} timed out on ${backendId} after ${Math.round(timeoutSec)} s`);
            }
            if (signal.aborted) breaker.release();
            else if (countsAgainstBackend(error)) breaker.onFailure();
            else breaker.release();
            const outcome = signal.aborted ? 'cancelled' : 'error';
            await record({ backend: backendId, attempt, startedAtSec, endedAtSec: nowSec(), outcome, errorCode: error.code, error: error.message, ...delay });
            throw error;
          } finally {
            clearTimeout(timer);
          }
        },
        {
          policy: ctx.retryPolicy,
          signal,
          clock,
          // Admitted: go (0). Open: wait until it half-opens; half-open with a probe out: look again shortly.
          ...(isLast ? { gate: () => (breaker.tryAcquire() ? 0 : Math.max(breaker.secondsUntilProbe(), 0.25) * 1000) } : {}),
          gateError: () => new ParascribeError('BREAKER_OPEN', `circuit breaker of ${backendId} is open`),
          onGateWait: (waitMs) => {
            breakerWaitMs += waitMs;
          },
          onRetry: (attempt, error, delayMs) => {
            delayBeforeMs = delayMs;
            ctx.events?.onRetry?.(index, attempt, `${backendId}: ${error.message}`, delayMs);
          },
        },
      );
    } catch (thrown) {
      const error = toParascribeError(thrown);
      if (error.code === 'ABORTED' || signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
      // Out of budget: the message says which backend was failing, for how long, after how many attempts.
      lastError = error.details?.budgetExhausted ? new ParascribeError(error.code, `segment ${index}: ${backendId} was ${error.message}`, { isRetryable: false, cause: error, ...(error.details ? { details: error.details } : {}) }) : error;
      continue;
    } finally {
      release();
    }

    const segmentCostUsd = (backend.capabilities.costPerAudioMinuteUsd * audio.durationSec) / 60;
    costUsd += segmentCostUsd;
    const reason = suspiciousReason(result, speechSec, ctx.quality);
    const served: Served = { result, backend: backendId, warnings: [...result.warnings], costUsd };
    if (reason && position < chain.length - 1) {
      // Keep it in case every later backend fails; try the next one.
      attempts[ownLast] = { ...attempts[ownLast]!, outcome: 'suspicious', error: reason };
      resultSuspicious(index, backendId, reason);
      await ctx.store.updateSegment(ctx.jobId, index, { attempts_json: JSON.stringify(attempts) });
      fallbackResult ??= { ...served, warnings: [...served.warnings, { type: 'quality-suspicious', message: `${backendId}: ${reason}` }] };
      continue;
    }
    if (reason) served.warnings.push({ type: 'quality-suspicious', message: `${backendId}: ${reason}` });
    return served;
  }
  if (fallbackResult) return { ...fallbackResult, costUsd };
  throw lastError ?? new ParascribeError('BACKEND_FAILED', `segment ${index}: no backend could serve it`);
}
