/**
 * The backends a process uses, created on first use from config and kept for reuse (a warm model,
 * an HTTP agent, a concurrency limit live on the instance). Closed together at exit.
 */
import { isDeepStrictEqual } from 'node:util';
import type { BackendRegistry } from './registry.js';
import type { BackendContext, TranscriptionBackend } from './spec.js';

export class BackendSet {
  readonly #instances = new Map<string, TranscriptionBackend>();
  #settingsById: Record<string, unknown>;

  constructor(
    private readonly registry: BackendRegistry,
    settingsById: Record<string, unknown>,
    private readonly context: BackendContext = {},
  ) {
    this.#settingsById = settingsById;
  }

  /**
   * Settings for the backends built from now on (a reloaded config). Built ones keep theirs (requests
   * are in flight on them): returns those whose settings changed, which apply after a restart.
   */
  updateSettings(settingsById: Record<string, unknown>): string[] {
    const kept = this.ids().filter((id) => !isDeepStrictEqual(this.#settingsById[id], settingsById[id]));
    this.#settingsById = settingsById;
    return kept;
  }

  /** Throws UNKNOWN_BACKEND / INVALID_CONFIG for an id that cannot be built. */
  get(id: string): TranscriptionBackend {
    let backend = this.#instances.get(id);
    if (!backend) {
      backend = this.registry.create(id, this.#settingsById[id] ?? {}, this.context);
      this.#instances.set(id, backend);
    }
    return backend;
  }

  /** Ids of the backends created so far. */
  ids(): string[] {
    return [...this.#instances.keys()];
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#instances.values()].map((b) => b.close?.()));
    this.#instances.clear();
  }
}
