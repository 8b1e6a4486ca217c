/**
 * One canary attempt: the candidate gets the segment once (no retries, no breaker: the canary's own
 * verdict judges its health), under the same per-attempt timeout and result-quality guard as the chain.
 * It is recorded on the segment's attempt log (marked `canary`); when it fails, the caller serves the
 * segment through the normal chain, which appends its attempts to the same log. The job never fails
 * because of the candidate.
 */
import type { SegmentAudio } from '../audio/segment-audio.js';
import { nowSec } from '../core/time.js';
import type { SegmentTask } from '../core/types.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import { suspiciousReason } from '../pipeline/quality.js';
import type { AttemptRecord, ServeContext, Served } from '../pipeline/serve-segment.js';

export interface CanaryTry {
  /** The candidate's result; absent when it failed. */
  served?: Served;
  /** Seconds the candidate's call took (null when it failed). */
  callSec: number | null;
}

export async function tryCanary(candidate: string, task: SegmentTask, audio: SegmentAudio, ctx: ServeContext, signal: AbortSignal): Promise<CanaryTry> {
  const logs = ctx.attemptLogs ?? new Map<number, AttemptRecord[]>();
  const attempts = logs.get(task.index) ?? [];
  logs.set(task.index, attempts);
  const startedAtSec = nowSec();
  const record = async (entry: Omit<AttemptRecord, 'backend' | 'attempt' | 'startedAtSec' | 'endedAtSec'>) => {
    attempts.push({ backend: candidate, attempt: 1, startedAtSec, endedAtSec: nowSec(), canary: true, ...entry });
    await ctx.store.updateSegment(ctx.jobId, task.index, { attempts_json: JSON.stringify(attempts) });
  };
  const timeoutSec = ctx.segmentTimeoutSec ?? 120 + audio.durationSec * 4;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new DOMException('canary attempt timed out', 'TimeoutError')), Math.ceil(timeoutSec * 1000));
  const release = ctx.load.acquire(candidate);
  try {
    const backend = ctx.backends.get(candidate);
    await ctx.store.markSegmentStarted(ctx.jobId, task.index, candidate);
    const started = performance.now();
    const result = await backend.transcribe({
      audio,
      signal: AbortSignal.any([signal, timeout.signal]),
      ...(ctx.language ? { language: ctx.language } : {}),
      ...(task.recording ? { recording: task.recording } : {}),
    });
    const callSec = (performance.now() - started) / 1000;
    const reason = suspiciousReason(result, task.speechSec, ctx.quality);
    if (reason) {
      await record({ outcome: 'suspicious', error: `${candidate}: ${reason}` });
      return { callSec: null };
    }
    await record({ outcome: 'ok' });
    const costUsd = (backend.capabilities.costPerAudioMinuteUsd * audio.durationSec) / 60;
    return { served: { result, backend: candidate, warnings: [...result.warnings], costUsd }, callSec };
  } catch (thrown) {
    if (signal.aborted) {
      await record({ outcome: 'cancelled', errorCode: 'ABORTED', error: 'aborted' }).catch(() => {});
      throw new ParascribeError('ABORTED', 'aborted');
    }
    const error = timeout.signal.aborted
      ? new ParascribeError('SEGMENT_TIMEOUT', `segment ${task.index} timed out on ${candidate} after ${Math.round(timeoutSec)} s`)
      : toParascribeError(thrown);
    await record({ outcome: 'error', errorCode: error.code, error: error.message });
    return { callSec: null };
  } finally {
    clearTimeout(timer);
    release();
  }
}
