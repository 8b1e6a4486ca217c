/**
 * One segment served through its backend chain and its result stored once: the step every queue
 * driver ends in, whether in the job's own process (`localDispatcher` below) or in a
 * `parascribe worker` on another machine (queue/bullmq/worker.ts).
 */
import type { SegmentAudio } from '../audio/segment-audio.js';
import { toParascribeError } from '../errors.js';
import type { SegmentDispatcher } from '../queue/dispatch.js';
import { toSegmentTranscript, type SegmentTranscript } from '../transcript.js';
import { serveSegment, type AttemptRecord, type ServeContext } from './serve-segment.js';
import type { SegmentTask } from '../core/types.js';
import type { Rollout } from '../rollout/index.js';

/** A process's serving machinery: its backends, breakers, load, policies and the job store. */
export type ServingDeps = Omit<ServeContext, 'jobId' | 'chain' | 'language'> & {
  /** Canary rollout and shadow sampling (src/rollout/); absent: the chain alone. */
  rollout?: Rollout | undefined;
};

export async function serveAndStore(task: SegmentTask, audio: SegmentAudio, deps: ServingDeps, signal: AbortSignal): Promise<SegmentTranscript> {
  const { rollout, ...serving } = deps;
  // One attempt list for the segment, whoever serves it (a canary attempt, then the chain).
  const attemptLogs = deps.attemptLogs ?? new Map<number, AttemptRecord[]>();
  const ctx: ServeContext = { ...serving, attemptLogs, jobId: task.jobId, chain: task.chain, language: task.language, hedge: task.hedge };
  try {
    const served = rollout ? await rollout.serve(task, audio, ctx, signal) : await serveSegment(task.index, audio, task.speechSec, ctx, signal, task.recording);
    const transcript = toSegmentTranscript(served.result);
    const stored = await deps.store.completeSegment(task.jobId, task.index, {
      resultJson: JSON.stringify(transcript),
      computeSec: served.result.computeSec,
      coldStart: served.result.coldStart,
      warningsJson: JSON.stringify(served.warnings),
      backend: served.backend,
      costUsd: served.costUsd,
    });
    if (stored && rollout) {
      const ok = [...(attemptLogs.get(task.index) ?? [])].reverse().find((a) => a.outcome === 'ok' && a.backend === served.backend);
      rollout.afterStored(task, audio, served, transcript.text, ok ? ok.endedAtSec - ok.startedAtSec : null);
    }
    return transcript;
  } catch (thrown) {
    const error = toParascribeError(thrown);
    // An aborted segment is the job's business (cancelled, or handed back to the queue by a stopping
    // worker): the job marks its open segments itself.
    if (error.code !== 'ABORTED') {
      await deps.store.failSegment(task.jobId, task.index, error.code, error.message);
    }
    // The original: a queue worker tells a failed store write (retry later) from a failed segment (final).
    throw thrown;
  }
}

/**
 * The embedded queue driver: segments are served by this process's own backends. One per process
 * (the runtime's); each job's attempt lists live while a call of that job is in flight, so that a
 * hedge and its original share one list and nothing outlives the job.
 */
export function localDispatcher(deps: ServingDeps): SegmentDispatcher {
  const jobs = new Map<string, { attemptLogs: Map<number, AttemptRecord[]>; inFlight: number }>();
  return {
    servesLocally: true,
    canHedge: true,
    dispatch: async (task, audio, signal, scope) => {
      let job = jobs.get(task.jobId);
      if (!job) jobs.set(task.jobId, (job = { attemptLogs: new Map(), inFlight: 0 }));
      job.inFlight++;
      try {
        return await serveAndStore(task, audio, { ...deps, attemptLogs: job.attemptLogs, ...(scope ? { events: scope } : {}) }, signal);
      } finally {
        if (--job.inFlight === 0) jobs.delete(task.jobId);
      }
    },
  };
}
