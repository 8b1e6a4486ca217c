/** A counting semaphore whose waits honour an AbortSignal: bounds requests in flight per endpoint. */
import { ParascribeError } from '../../errors.js';

export class Semaphore {
  #available: number;
  readonly #waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    this.#available = capacity;
  }

  get inUse(): number {
    return this.capacity - this.#available;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves with a release function (idempotent) once a slot is free; rejects ABORTED on abort. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new ParascribeError('ABORTED', 'aborted while waiting for a request slot'));
    if (this.#available > 0) {
      this.#available--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.#releaser());
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(grant);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new ParascribeError('ABORTED', 'aborted while waiting for a request slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(grant);
    });
  }

  async run<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake the queue.
      const next = this.#waiters.shift();
      if (next) next();
      else this.#available++;
    };
  }
}
