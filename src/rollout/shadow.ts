/**
 * Shadow calls: a segment whose result is already stored is transcribed again by another backend, off
 * the job's path, and the disagreement (WER of the stored text against the other's) is stored per
 * segment. Used for shadow sampling (`shadow`: a reference backend) and for a canary's comparison
 * with `compareWith`.
 *
 * Never on the job's path: `submit` is synchronous and returns at once (the job never awaits a
 * shadow). The segment's audio is pinned (its file held open, nothing copied), since the job removes
 * its files when it ends. Calls run on this runner's own backend instances (their own HTTP agents,
 * concurrency limits and engine processes, never the jobs'), at most `maxConcurrent` at once; a
 * segment sampled while `maxPending` shadows are waiting or running is not shadowed. A local CPU
 * engine as the reference still competes with the jobs for CPU: docs/canary-and-shadow.md.
 *
 * Shutdown (`close`): pending shadows get `drainSec` to finish; then running ones are aborted and
 * waiting ones dropped.
 */
import type { PinnedSegmentAudio } from '../audio/segment-audio.js';
import type { BackendSet } from '../backends/set.js';
import { DEFAULT_SHADOW_LIMITS, type ShadowLimits } from '../config/rollout.js';
import { toParascribeError } from '../errors.js';
import { wordErrorRate } from '../eval/wer.js';
import type { JobStore } from '../store/jobs.js';

export interface ShadowRequest {
  jobId: string;
  index: number;
  kind: 'shadow' | 'canary';
  /** The backend whose result was stored, and its text. */
  backend: string;
  text: string;
  /** Seconds the stored result's attempt took (null: unknown). */
  backendSec: number | null;
  /** Transcribes the segment again. */
  reference: string;
  audio: PinnedSegmentAudio;
  language?: string | undefined;
  /** Told of the outcome once it is stored (a canary's comparison feeds its counts). */
  onDone?: (outcome: ShadowOutcome) => Promise<void> | void;
}

export interface ShadowOutcome {
  /** Null when the reference call failed. */
  wer: number | null;
  referenceWords: number | null;
  referenceSec: number | null;
}

/**
 * WER of `text` against `reference`, the stored result's disagreement with the reference backend.
 * An empty reference: 0 if the text is empty too, else 1 (not Infinity: it is a histogram's sample).
 */
export function disagreement(reference: string, text: string): { wer: number; referenceWords: number } {
  const result = wordErrorRate(reference, text, { alignment: false });
  if (result.referenceWords === 0) return { wer: result.insertions === 0 ? 0 : 1, referenceWords: 0 };
  return { wer: result.wer, referenceWords: result.referenceWords };
}

export interface ShadowRunnerOptions {
  /** The runner's own instances (never the jobs'). */
  backends: BackendSet;
  store: JobStore;
  /** Read at each decision, so a reloaded config applies to the next shadow. */
  limits: () => ShadowLimits;
  log: (line: string) => void;
}

export class ShadowRunner {
  readonly #options: ShadowRunnerOptions;
  readonly #waiting: ShadowRequest[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  /** No new shadows (closing); pending ones still run until stopped. */
  #closing = false;
  #stopped = false;
  /** Shadows not taken because too many were pending (logged once per burst). */
  #dropped = 0;

  constructor(options: ShadowRunnerOptions) {
    this.#options = options;
  }

  /** Waiting and running. */
  get pending(): number {
    return this.#waiting.length + this.#running.size;
  }

  /**
   * Queues a shadow call; false (and the audio released) when closing or full. Never throws and
   * never waits: the caller is a segment that is done.
   */
  submit(request: ShadowRequest): boolean {
    const limits = this.#options.limits();
    if (this.#closing || this.pending >= limits.maxPending) {
      request.audio.release();
      if (!this.#closing && this.#dropped++ === 0) this.#options.log(`shadow: ${limits.maxPending} shadow calls pending; segments sampled now are not shadowed`);
      return false;
    }
    this.#dropped = 0;
    this.#waiting.push(request);
    this.#pump();
    return true;
  }

  #pump(): void {
    const { maxConcurrent } = this.#options.limits();
    while (!this.#stopped && this.#running.size < maxConcurrent && this.#waiting.length > 0) {
      const request = this.#waiting.shift()!;
      const run: Promise<void> = this.#run(request).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #run(request: ShadowRequest): Promise<void> {
    const { store, backends, log } = this.#options;
    const { timeoutSec } = this.#options.limits();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('shadow call timed out', 'TimeoutError')), timeoutSec * 1000);
    const signal = AbortSignal.any([this.#stop.signal, timeout.signal]);
    const started = performance.now();
    let outcome: ShadowOutcome = { wer: null, referenceWords: null, referenceSec: null };
    let failure: { code: string; message: string } | undefined;
    try {
      const result = await backends.get(request.reference).transcribe({ audio: request.audio, signal, ...(request.language ? { language: request.language } : {}) });
      const { wer, referenceWords } = disagreement(result.text, request.text);
      outcome = { wer, referenceWords, referenceSec: (performance.now() - started) / 1000 };
    } catch (thrown) {
      // Shutting down: nothing is recorded (the shadow did not fail, it was not finished).
      if (this.#stop.signal.aborted) return;
      const error = toParascribeError(thrown);
      failure = timeout.signal.aborted ? { code: 'SHADOW_TIMEOUT', message: `no answer from ${request.reference} within ${timeoutSec} s` } : { code: error.code, message: error.message };
    } finally {
      clearTimeout(timer);
      request.audio.release();
    }
    try {
      await store.rollout.insertShadow({
        job_id: request.jobId,
        idx: request.index,
        kind: request.kind,
        backend: request.backend,
        reference: request.reference,
        wer: outcome.wer,
        reference_words: outcome.referenceWords,
        backend_sec: request.backendSec,
        reference_sec: outcome.referenceSec,
        error_code: failure?.code ?? null,
        error: failure?.message.slice(0, 500) ?? null,
      });
      await request.onDone?.(outcome);
    } catch (thrown) {
      // A job deleted meanwhile, a database away: the shadow is lost, never the job.
      log(`shadow of ${request.jobId} #${request.index} on ${request.reference} not recorded: ${(thrown as Error).message}`);
    }
  }

  /**
   * Takes no more shadows; those pending (waiting or running) get `drainSec` (default: the configured
   * one) to finish, then the running ones are aborted and the waiting ones dropped.
   */
  async close(drainSec = this.#options.limits().drainSec ?? DEFAULT_SHADOW_LIMITS.drainSec): Promise<void> {
    this.#closing = true;
    if (this.pending > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#drained(), new Promise((r) => (timer = setTimeout(r, drainSec * 1000)))]);
      clearTimeout(timer);
    }
    this.#stopped = true;
    for (const request of this.#waiting.splice(0)) request.audio.release();
    this.#stop.abort();
    await Promise.race([Promise.allSettled([...this.#running]), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.#options.backends.closeAll();
  }

  /** Resolves when nothing is waiting or running. */
  async #drained(): Promise<void> {
    while (this.pending > 0 && !this.#stopped) await Promise.race([...this.#running]).catch(() => {});
  }
}
