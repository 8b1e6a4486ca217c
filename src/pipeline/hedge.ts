/**
 * Hedged requests against the cold-start tail: when a segment has run past a high percentile of its
 * predicted time, a duplicate is dispatched (another container of the same endpoint, or another
 * backend); whichever finishes first wins and the other is cancelled. Hedges are capped by a budget
 * of extra work: the duplicated audio may not exceed a share of the recording, so the worst case
 * (both copies computed in full) costs at most that share of the job's compute.
 */
import type { SegmentAudio } from '../audio/segment-audio.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import type { DispatchScope, SegmentDispatcher } from '../queue/dispatch.js';
import type { SegmentTranscript } from '../transcript.js';
import type { SegmentTask } from '../core/types.js';
import { nowSec } from '../core/time.js';

export interface HedgeRecord {
  index: number;
  /** Seconds from the segment's dispatch to the hedge's. */
  afterSec: number;
  audioSec: number;
  chain: string[];
  winner: 'original' | 'hedge' | 'none';
  /** Seconds from the segment's dispatch until the winner answered. */
  settledAfterSec: number | null;
}

/** When to hedge segment `task`, given how many segments of the job were dispatched before it. */
export type HedgeThreshold = (task: SegmentTask, dispatchOrdinal: number) => number | undefined;

export interface HedgerOptions {
  threshold: HedgeThreshold;
  /** The recording's length: the budget is a share of it. */
  recordingSec: number;
  /** Duplicated audio may not exceed this share of the recording (worst-case extra compute). */
  maxExtraShare: number;
  /** Chain for the duplicate; absent: the segment's own (another worker of the same backend). */
  chain?: string[];
  onHedge?: (record: HedgeRecord) => void;
}

/**
 * One job's hedging state: its budget, its records and the dispatch count. Made per job, so no
 * state outlives it.
 */
export class Hedger {
  readonly records: HedgeRecord[] = [];
  #dispatched = 0;
  #hedgedAudioSec = 0;

  constructor(readonly options: HedgerOptions) {}

  get hedgedAudioSec(): number {
    return this.#hedgedAudioSec;
  }

  /** For the job's telemetry. */
  summary(): { count: number; won: number; audioSec: number; records: HedgeRecord[] } {
    return { count: this.records.length, won: this.records.filter((r) => r.winner === 'hedge').length, audioSec: this.#hedgedAudioSec, records: this.records };
  }

  #reserve(audioSec: number): boolean {
    if (this.#hedgedAudioSec + audioSec > this.options.maxExtraShare * this.options.recordingSec + 1e-9) return false;
    this.#hedgedAudioSec += audioSec;
    return true;
  }

  /**
   * Serves `task` through `dispatcher`, hedged. The caller's signal ends both copies. Resolves with the
   * first successful copy; rejects only when every copy launched has failed (with the original's error).
   */
  async dispatch(dispatcher: SegmentDispatcher, task: SegmentTask, audio: SegmentAudio, signal: AbortSignal, scope?: DispatchScope): Promise<SegmentTranscript> {
    const ordinal = this.#dispatched++;
    const afterSec = this.options.threshold(task, ordinal);
    if (afterSec === undefined || !(afterSec >= 0)) return dispatcher.dispatch(task, audio, signal, scope);

    const startedSec = nowSec();
    const original = new AbortController();
    const hedge = new AbortController();
    const onAbort = () => {
      original.abort(signal.reason);
      hedge.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const first = settle(dispatcher.dispatch(task, audio, original.signal, scope));
      const fired = new Promise<'fire'>((resolve) => {
        timer = setTimeout(() => resolve('fire'), afterSec * 1000);
      });
      const early = await Promise.race([first, fired]);
      if (early !== 'fire') return unwrap(early);
      if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
      const chain = this.options.chain ?? task.chain;
      if (!this.#reserve(audio.durationSec)) return unwrap(await first);

      const record: HedgeRecord = { index: task.index, afterSec: nowSec() - startedSec, audioSec: audio.durationSec, chain, winner: 'none', settledAfterSec: null };
      this.records.push(record);
      this.options.onHedge?.(record);
      const second = settle(dispatcher.dispatch({ ...task, chain, hedge: true }, audio, hedge.signal, scope));
      const winner = await firstSuccess([first, second]);
      record.settledAfterSec = nowSec() - startedSec;
      if (winner.index === -1) return unwrap(await first); // both failed: the original's error
      record.winner = winner.index === 0 ? 'original' : 'hedge';
      // The loser is cancelled: its backend call is aborted, and the store keeps the winner's result.
      (winner.index === 0 ? hedge : original).abort(new ParascribeError('ABORTED', 'hedge settled'));
      return winner.value;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: ParascribeError };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: toParascribeError(error) }),
  );
}

function unwrap<T>(settled: Settled<T>): T {
  if (settled.ok) return settled.value;
  throw settled.error;
}

/** The first of the promises to succeed (index and value), or index -1 when all failed. */
async function firstSuccess<T>(promises: Promise<Settled<T>>[]): Promise<{ index: number; value: T }> {
  return new Promise((resolve) => {
    let failed = 0;
    promises.forEach((promise, index) => {
      void promise.then((settled) => {
        if (settled.ok) resolve({ index, value: settled.value });
        else if (++failed === promises.length) resolve({ index: -1, value: undefined as T });
      });
    });
  });
}
