/**
 * Shadow sampling and canary rollout around the serving of one segment (pipeline/serve-and-store.ts
 * calls `serve`, then `afterStored` once the result is stored). One per process, owned by the runtime;
 * it reads the config at each decision, so a reloaded config applies to the next segment.
 *
 *   serve:        a sampled segment (routing.canary.share) goes to the candidate once; if that fails
 *                 it goes through the normal chain. Not while the rollout is rolled back.
 *   afterStored:  a canary's result is compared with compareWith's (when a WER or latency threshold
 *                 judges it); a sampled segment (shadow.share) is transcribed by shadow.backend. Both
 *                 off the job's path (shadow.ts).
 */
import type { SegmentAudio } from '../audio/segment-audio.js';
import type { BackendRegistry } from '../backends/registry.js';
import { BackendSet } from '../backends/set.js';
import { DEFAULT_SHADOW_LIMITS, type CanaryConfig } from '../config/rollout.js';
import type { Config } from '../config/schema.js';
import type { SegmentTask } from '../core/types.js';
import { serveSegment, type ServeContext, type Served } from '../pipeline/serve-segment.js';
import type { JobStore } from '../store/jobs.js';
import { CanaryController, rolloutKey, type CanaryVerdictEvent } from './canary.js';
import { tryCanary } from './canary-serve.js';
import { isSampled } from './sample.js';
import { ShadowRunner, type ShadowRequest } from './shadow.js';

export interface RolloutServed extends Served {
  /** Served by the canary candidate. */
  canary?: { key: string; config: CanaryConfig; callSec: number };
}

export interface RolloutOptions {
  /** The current config (a reload replaces it). */
  config: () => Config;
  store: JobStore;
  registry: BackendRegistry;
  log: (line: string) => void;
  onVerdict?: (event: CanaryVerdictEvent) => void;
}

export class Rollout {
  readonly canary: CanaryController;
  readonly shadows: ShadowRunner;
  readonly #options: RolloutOptions;
  /** The shadow calls' own backend instances. */
  readonly #shadowBackends: BackendSet;
  readonly #keys = new WeakMap<CanaryConfig, string>();
  /** Canary counts on their way to the store: close() waits for them. */
  readonly #writes = new Set<Promise<void>>();

  constructor(options: RolloutOptions) {
    this.#options = options;
    this.canary = new CanaryController({ store: options.store, log: options.log, ...(options.onVerdict ? { onVerdict: options.onVerdict } : {}) });
    this.#shadowBackends = new BackendSet(options.registry, options.config().backends);
    this.shadows = new ShadowRunner({ backends: this.#shadowBackends, store: options.store, log: options.log, limits: () => options.config().shadow ?? DEFAULT_SHADOW_LIMITS });
  }

  /** The reloaded config's backend settings, for shadow backends built from now on. */
  backendsChanged(settings: Record<string, unknown>): void {
    this.#shadowBackends.updateSettings(settings);
  }

  /** The rollout this canary config counts into. */
  keyOf(canary: CanaryConfig): string {
    let key = this.#keys.get(canary);
    if (!key) this.#keys.set(canary, (key = rolloutKey(canary, this.#options.config().backends[canary.backend])));
    return key;
  }

  /** Serves the segment: the canary candidate first when it is sampled and not rolled back, else (and after it fails) the chain. */
  async serve(task: SegmentTask, audio: SegmentAudio, ctx: ServeContext, signal: AbortSignal): Promise<RolloutServed> {
    const pick = await this.#pickCanary(task);
    if (pick) {
      const tried = await tryCanary(pick.config.backend, task, audio, ctx, signal);
      this.#track(this.canary.recordAttempt(pick.key, pick.config, !tried.served));
      if (tried.served) return { ...tried.served, canary: { ...pick, callSec: tried.callSec! } };
    }
    return serveSegment(task.index, audio, task.speechSec, ctx, signal, task.recording);
  }

  async #pickCanary(task: SegmentTask): Promise<{ key: string; config: CanaryConfig } | undefined> {
    const canary = this.#options.config().routing.canary;
    // A hedge duplicates a segment in flight; a job whose chain starts with the candidate is no trial.
    if (!canary || task.hedge || task.chain[0] === canary.backend) return undefined;
    const key = this.keyOf(canary);
    if (!isSampled(`canary:${key}`, task.jobId, task.index, canary.share)) return undefined;
    const status = await this.canary.status(key, canary);
    return status === 'active' || status === 'ready' ? { key, config: canary } : undefined;
  }

  /**
   * The segment's result is stored (by this call): schedule its comparisons. Returns at once; the
   * calls run in the background (shadow.ts).
   */
  afterStored(task: SegmentTask, audio: SegmentAudio, served: RolloutServed, text: string, backendSec: number | null): void {
    if (served.canary) {
      const { key, config: canary, callSec } = served.canary;
      if (canary.maxShadowWer !== undefined || canary.maxLatencyRatio !== undefined) {
        this.#shadow(task, audio, {
          kind: 'canary',
          reference: canary.compareWith,
          backend: served.backend,
          text,
          backendSec: callSec,
          onDone: (outcome) =>
            outcome.wer === null || outcome.referenceSec === null ? undefined : this.canary.recordComparison(key, canary, { wer: outcome.wer, candidateSec: callSec, referenceSec: outcome.referenceSec }),
        });
      }
    }
    const { shadow } = this.#options.config();
    if (shadow && shadow.backend !== served.backend && isSampled('shadow', task.jobId, task.index, shadow.share)) {
      this.#shadow(task, audio, { kind: 'shadow', reference: shadow.backend, backend: served.backend, text, backendSec });
    }
  }

  #shadow(task: SegmentTask, audio: SegmentAudio, request: Omit<ShadowRequest, 'jobId' | 'index' | 'audio' | 'language'>): void {
    let pinned;
    try {
      pinned = audio.pin?.();
    } catch {
      pinned = undefined; // the file is already gone: nothing to compare
    }
    if (!pinned) return;
    this.shadows.submit({ ...request, jobId: task.jobId, index: task.index, audio: pinned, language: task.language });
  }

  #track(write: Promise<void>): void {
    const tracked = write.catch((thrown: unknown) => this.#options.log(`canary: counts not recorded (${(thrown as Error).message})`));
    this.#writes.add(tracked);
    void tracked.finally(() => this.#writes.delete(tracked));
  }

  /** Waits briefly for canary counts being written, then stops the shadow calls (shadow.ts close). */
  async close(): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#writes]), new Promise((r) => setTimeout(r, 5_000).unref())]);
    await this.shadows.close();
  }
}
