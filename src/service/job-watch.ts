/**
 * Wakes whoever waits on a job (SSE streams, synchronous OpenAI-style calls) when its state changes.
 * Waiters re-read the store after every wake, so a missed or merged notification costs at most one
 * timeout, never an event.
 */
export class JobWatch {
  readonly #waiters = new Map<string, Set<() => void>>();

  /**
   * `onChange` hears every notification (e.g. to drop a cached view); `remote` when another API
   * server sent it (service/cluster/), so it is not sent on again.
   */
  constructor(private readonly onChange: (jobId: string, remote: boolean) => void = () => {}) {}

  notify(jobId: string, remote = false): void {
    this.onChange(jobId, remote);
    const waiters = this.#waiters.get(jobId);
    if (!waiters) return;
    this.#waiters.delete(jobId);
    for (const wake of waiters) wake();
  }

  /** Wakes every waiter (notifications may have been missed: each re-reads the store). */
  wakeAll(): void {
    for (const jobId of [...this.#waiters.keys()]) this.notify(jobId, true);
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
