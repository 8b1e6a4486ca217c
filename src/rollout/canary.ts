/**
 * The canary's state, as this process sees it: whether the candidate may get segments (read from the
 * store, cached for `ttlMs`, so every process on the store, workers included, follows a rollback
 * within that time, and this process at once), and its counts (added in the store, then judged:
 * canary-state.ts). A verdict is written once; the process whose write moved it logs it.
 */
import { createHash } from 'node:crypto';
import type { CanaryConfig } from '../config/rollout.js';
import type { JobStore } from '../store/jobs.js';
import type { CanaryRolloutRow } from '../store/rollout.js';
import { judgeCanary, type CanaryCounts, type CanaryStatus } from './canary-state.js';

export interface CanaryVerdictEvent {
  rollout: string;
  backend: string;
  status: CanaryStatus;
  reason: string | null;
}

export interface CanaryControllerOptions {
  store: JobStore;
  log: (line: string) => void;
  /** How long a status read from the store is trusted (default 2 s). */
  ttlMs?: number;
  /** Told of each verdict this process wrote. */
  onVerdict?: (event: CanaryVerdictEvent) => void;
}

/** JSON with object keys sorted, so equal settings hash alike. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The rollout's name: configured, or the candidate's id with a hash of its settings and compareWith. */
export function rolloutKey(canary: CanaryConfig, candidateSettings: unknown): string {
  if (canary.rollout) return canary.rollout;
  const hash = createHash('sha256').update(stableJson({ settings: candidateSettings ?? {}, compareWith: canary.compareWith })).digest('hex').slice(0, 10);
  return `${canary.backend}@${hash}`;
}

const countsOf = (row: CanaryRolloutRow): CanaryCounts => ({
  segments: row.segments,
  errors: row.errors,
  compared: row.compared,
  werSum: row.wer_sum,
  candidateSec: row.candidate_sec,
  referenceSec: row.reference_sec,
});

export class CanaryController {
  readonly #options: CanaryControllerOptions;
  readonly #statuses = new Map<string, { status: CanaryStatus; readAtMs: number }>();

  constructor(options: CanaryControllerOptions) {
    this.#options = options;
  }

  /** The rollout's status (its row created on first use); undefined when the store cannot say. */
  async status(key: string, canary: CanaryConfig): Promise<CanaryStatus | undefined> {
    const cached = this.#statuses.get(key);
    if (cached && (cached.status === 'rolled-back' || performance.now() - cached.readAtMs < (this.#options.ttlMs ?? 2_000))) return cached.status;
    try {
      const row = await this.#options.store.rollout.ensureRollout(key, canary.backend, canary.compareWith);
      return this.#remember(key, row.status as CanaryStatus);
    } catch (thrown) {
      this.#options.log(`canary ${canary.backend}: its state could not be read (${(thrown as Error).message}); segments go to the normal chain`);
      return undefined;
    }
  }

  /** One canary attempt ended: served, or failed (and handed to the normal chain). */
  async recordAttempt(key: string, canary: CanaryConfig, failed: boolean): Promise<void> {
    const row = await this.#options.store.rollout.addCanarySegment(key, failed);
    if (row) await this.#judge(key, canary, row);
  }

  /** One candidate result compared with compareWith's on the same segment. */
  async recordComparison(key: string, canary: CanaryConfig, comparison: { wer: number; candidateSec: number; referenceSec: number }): Promise<void> {
    const row = await this.#options.store.rollout.addCanaryComparison(key, comparison);
    if (row) await this.#judge(key, canary, row);
  }

  #remember(key: string, status: CanaryStatus): CanaryStatus {
    this.#statuses.set(key, { status, readAtMs: performance.now() });
    return status;
  }

  async #judge(key: string, canary: CanaryConfig, row: CanaryRolloutRow): Promise<void> {
    const verdict = judgeCanary(countsOf(row), canary, row.status as CanaryStatus);
    if (verdict.status === row.status) {
      this.#remember(key, verdict.status);
      return;
    }
    const moved = await this.#options.store.rollout.decide(key, verdict.status, verdict.reason);
    // Another process may have decided first (a rollback): read what the store holds now.
    if (!moved) {
      const now = await this.#options.store.rollout.getRollout(key);
      if (now) this.#remember(key, now.status as CanaryStatus);
      return;
    }
    this.#remember(key, verdict.status);
    const what = verdict.status === 'rolled-back' ? 'rolled back; its segments go to the normal chain again' : 'ready to promote';
    this.#options.log(`canary ${canary.backend} (rollout ${key}): ${what}: ${verdict.reason}`);
    this.#options.onVerdict?.({ rollout: key, backend: canary.backend, status: verdict.status, reason: verdict.reason });
  }
}
