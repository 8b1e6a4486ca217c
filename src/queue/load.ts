/** Segments assigned to each backend and not yet finished: the backlog that routing under pressure reads. */
export class BackendLoad {
  readonly #counts = new Map<string, number>();

  get(backend: string): number {
    return this.#counts.get(backend) ?? 0;
  }

  /** Counts a segment against the backend until the returned release is called (once). */
  acquire(backend: string): () => void {
    this.#counts.set(backend, this.get(backend) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#counts.set(backend, this.get(backend) - 1);
    };
  }
}
