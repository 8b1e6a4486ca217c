/** Maps backend ids to factories. One instance per process, built by createBackendRegistry(). */
import { ParascribeError } from '../errors.js';
import { parseBackendSettings } from './settings.js';
import type { BackendContext, BackendFactory, TranscriptionBackend } from './spec.js';
import { openaiFactory } from './openai/index.js';
import { pocketsphinxFactory } from './pocketsphinx/index.js';
import { whispercppFactory } from './whispercpp/index.js';

export class BackendRegistry {
  readonly #factories = new Map<string, BackendFactory>();

  register(factory: BackendFactory): this {
    this.#factories.set(factory.id, factory);
    return this;
  }

  ids(): string[] {
    return [...this.#factories.keys()].sort();
  }

  /**
   * Validates settings with the factory's schema and builds the backend. `id` is a backend type, or
   * the name of a configured instance whose settings say `"type": "<backend type>"`.
   */
  create(id: string, settings: unknown = {}, context: BackendContext = {}): TranscriptionBackend {
    const { type, ...rest } = (settings && typeof settings === 'object' ? settings : {}) as { type?: unknown } & Record<string, unknown>;
    const typeId = typeof type === 'string' ? type : id;
    const factory = this.#factories.get(typeId);
    if (!factory) {
      const configured = typeof type === 'string' ? ` (configured as type "${type}")` : '';
      throw new ParascribeError('UNKNOWN_BACKEND', `unknown backend "${id}"${configured} (available: ${this.ids().join(', ')})`);
    }
    return factory.create(parseBackendSettings(factory.settingsSchema, rest, id), id, context);
  }
}

export function createBackendRegistry(): BackendRegistry {
  return new BackendRegistry().register(pocketsphinxFactory).register(openaiFactory).register(whispercppFactory);
}
