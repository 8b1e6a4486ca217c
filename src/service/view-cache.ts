/**
 * A short-lived cache of job views for status polling (`GET /v1/jobs/:id` at hundreds of requests a
 * second must not take CPU from the job it polls). An entry lives at most `ttlMs` and is dropped at
 * once when the pipeline reports a change, so a poller sees a change within `ttlMs` at worst.
 */
export class ViewCache<V> {
  readonly #entries = new Map<string, { owner: string | null; view: V; atMs: number }>();

  constructor(
    private readonly ttlMs = 250,
    private readonly maxEntries = 10_000,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  get(jobId: string): { owner: string | null; view: V } | undefined {
    const entry = this.#entries.get(jobId);
    if (!entry) return undefined;
    if (this.nowMs() - entry.atMs > this.ttlMs) {
      this.#entries.delete(jobId);
      return undefined;
    }
    return entry;
  }

  set(jobId: string, owner: string | null, view: V): void {
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(jobId, { owner, view, atMs: this.nowMs() });
  }

  invalidate(jobId: string): void {
    this.#entries.delete(jobId);
  }
}
