/**
 * Wakes whoever waits on a job (SSE streams, synchronous OpenAI-style calls) when its state changes.
 * Waiters re-read the store after every wake, so a missed or merged notification costs at most one
 * timeout, never an event.
 */
export class JobWatch {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** `onChange` hears every notification (e.g. to drop a cached view). */
  constructor(private readonly onChange: (jobId: string) => void = () => {}) {}

  notify(jobId: string): void {
    this.onChange(jobId);
    const waiters = this.#waiters.get(jobId);
    if (!waiters) return;
    this.#waiters.delete(jobId);
    for (const wake of waiters) wake();
  }

  /** Resolves on the job's next change, after `timeoutMs`, or when `signal` aborts; never rejects. */
  wait(jobId: string, timeoutMs: number, signal?: AbortSignal): Promise<'changed' | 'timeout' | 'aborted'> {
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(jobId);
      if (!waiters) this.#waiters.set(jobId, (waiters = new Set()));
      const finish = (result: 'changed' | 'timeout' | 'aborted') => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const set = this.#waiters.get(jobId);
        set?.delete(wake);
        if (set?.size === 0) this.#waiters.delete(jobId);
        resolve(result);
      };
      const wake = () => finish('changed');
      const onAbort = () => finish('aborted');
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waiters currently registered (for tests and leak checks). */
  get size(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }
}
