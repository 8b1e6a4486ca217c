/**
 * Circuit breaker per backend. Closed: calls pass, outcomes are counted. It opens after
 * `failureThreshold` consecutive failures, or when the error rate over the last `windowSize` calls
 * reaches `errorRateThreshold` (with at least `minCalls` in the window). Open: calls are refused until
 * `openSec` has passed. Half-open: one probe at a time; its success closes the breaker, its failure
 * opens it again.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

import { DEFAULT_BREAKER_OPTIONS, type BreakerOptions } from '../config/failure.js';

export { DEFAULT_BREAKER_OPTIONS, type BreakerOptions };

export interface BreakerTransition {
  backend: string;
  from: BreakerState;
  to: BreakerState;
  atSec: number;
  reason: string;
}

export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #consecutiveFailures = 0;
  #window: boolean[] = []; // true = failure
  #openedAtSec = 0;
  #probeInFlight = false;

  constructor(
    readonly backend: string,
    readonly options: BreakerOptions,
    private readonly onTransition: (transition: BreakerTransition) => void = () => {},
    private readonly nowSec: () => number = () => Date.now() / 1000,
  ) {}

  get state(): BreakerState {
    return this.#state;
  }

  /** Whether a call may go through now; in half-open, admits one probe and returns true for it. */
  tryAcquire(): boolean {
    if (this.#state === 'open' && this.nowSec() - this.#openedAtSec >= this.options.openSec) {
      this.#move('half-open', `open for ${this.options.openSec} s: probing`);
    }
    if (this.#state === 'closed') return true;
    if (this.#state === 'half-open' && !this.#probeInFlight) {
      this.#probeInFlight = true;
      return true;
    }
    return false;
  }

  /** Seconds until an open breaker half-opens (0 when it is not open). */
  secondsUntilProbe(): number {
    if (this.#state !== 'open') return 0;
    return Math.max(0, this.options.openSec - (this.nowSec() - this.#openedAtSec));
  }

  onSuccess(): void {
    this.#record(false);
    this.#consecutiveFailures = 0;
    if (this.#state === 'half-open') {
      this.#probeInFlight = false;
      this.#window = [];
      this.#move('closed', 'probe succeeded');
    }
  }

  onFailure(): void {
    this.#record(true);
    this.#consecutiveFailures++;
    if (this.#state === 'half-open') {
      this.#probeInFlight = false;
      this.#open('probe failed');
      return;
    }
    if (this.#state !== 'closed') return;
    if (this.#consecutiveFailures >= this.options.failureThreshold) {
      this.#open(`${this.#consecutiveFailures} consecutive failures`);
      return;
    }
    const failures = this.#window.filter(Boolean).length;
    if (this.#window.length >= this.options.minCalls && failures / this.#window.length >= this.options.errorRateThreshold) {
      this.#open(`error rate ${Math.round((100 * failures) / this.#window.length)} % over the last ${this.#window.length} calls`);
    }
  }

  /** A call that never reached the backend (aborted by us) releases a half-open probe slot. */
  release(): void {
    if (this.#state === 'half-open') this.#probeInFlight = false;
  }

  #record(failed: boolean): void {
    this.#window.push(failed);
    if (this.#window.length > this.options.windowSize) this.#window.shift();
  }

  #open(reason: string): void {
    this.#openedAtSec = this.nowSec();
    this.#move('open', reason);
  }

  #move(to: BreakerState, reason: string): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.onTransition({ backend: this.backend, from, to, atSec: this.nowSec(), reason });
  }
}

/** One breaker per backend id, created on first use; lives as long as the process's backends. */
export class BreakerBoard {
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly transitions: BreakerTransition[] = [];

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS,
    private readonly listener: (transition: BreakerTransition) => void = () => {},
    private readonly nowSec?: () => number,
  ) {}

  get(backend: string): CircuitBreaker {
    let breaker = this.#breakers.get(backend);
    if (!breaker) {
      breaker = new CircuitBreaker(
        backend,
        this.options,
        (transition) => {
          this.transitions.push(transition);
          this.listener(transition);
        },
        this.nowSec,
      );
      this.#breakers.set(backend, breaker);
    }
    return breaker;
  }

  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.#breakers].map(([id, b]) => [id, b.state]));
  }
}
