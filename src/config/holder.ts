/**
 * The running process's config, replaceable without a restart (SIGHUP, or an edit of the config file:
 * cli/reload.ts). A reload reads the config again from the same sources (file, environment, flags),
 * validates it (the schema, then `check`: every backend it names can be built), and swaps only the
 * parts that are safe to swap while jobs run:
 *
 *   routing (rules, pressure, canary), shadow, and backends (settings for backend instances built
 *   from now on; an instance already in use keeps its settings until a restart).
 *
 * Other changes (port, data directory, database, limits…) are named in the log as needing a restart.
 * A config that does not load or validate is refused with one log line, and the running one stays.
 */
import { isDeepStrictEqual } from 'node:util';
import { toParascribeError } from '../errors.js';
import type { Config } from './schema.js';

export const RELOADABLE_KEYS = ['routing', 'shadow', 'backends'] as const satisfies ReadonlyArray<keyof Config>;

export interface ReloadResult {
  applied: boolean;
  /** Reloadable settings that changed (and now apply). */
  changed: string[];
  /** Settings that changed in the sources but apply only after a restart. */
  needRestart: string[];
  /** Why the new config was refused. */
  error?: string;
}

export interface ConfigHolderOptions {
  /** Reads the config again from its sources; absent: reloads are refused. */
  load?: (() => Config) | undefined;
  /** Throws when the new config cannot serve (a backend it names cannot be built). */
  check?: (config: Config) => void;
  log: (line: string) => void;
}

export class ConfigHolder {
  #current: Config;
  readonly #options: ConfigHolderOptions;
  readonly #listeners: Array<(next: Config, previous: Config) => void> = [];

  constructor(initial: Config, options: ConfigHolderOptions) {
    this.#current = initial;
    this.#options = options;
  }

  get current(): Config {
    return this.#current;
  }

  /** Called after each applied reload, with the new and the previous config. */
  onChange(listener: (next: Config, previous: Config) => void): void {
    this.#listeners.push(listener);
  }

  reload(reason: string): ReloadResult {
    const { log } = this.#options;
    let loaded: Config;
    try {
      if (!this.#options.load) throw new Error('this process has no config source to reload');
      loaded = this.#options.load();
      this.#options.check?.(loaded);
    } catch (thrown) {
      const error = toParascribeError(thrown).message;
      log(`config reload (${reason}) refused, the running config stays: ${error}`);
      return { applied: false, changed: [], needRestart: [], error };
    }
    const previous = this.#current;
    const reloadable = new Set<string>(RELOADABLE_KEYS);
    const keys = new Set([...Object.keys(previous), ...Object.keys(loaded)]);
    const differs = (key: string) => !isDeepStrictEqual((previous as Record<string, unknown>)[key], (loaded as Record<string, unknown>)[key]);
    const changed = [...keys].filter((key) => reloadable.has(key) && differs(key));
    const needRestart = [...keys].filter((key) => !reloadable.has(key) && differs(key));
    const restartNote = needRestart.length > 0 ? `; changed but applied only after a restart: ${needRestart.join(', ')}` : '';
    if (changed.length === 0) {
      log(`config reload (${reason}): nothing to apply${restartNote}`);
      return { applied: false, changed, needRestart };
    }
    const next = { ...previous } as Record<string, unknown>;
    for (const key of RELOADABLE_KEYS) {
      if (loaded[key] === undefined) delete next[key];
      else next[key] = loaded[key];
    }
    this.#current = next as Config;
    for (const listener of this.#listeners) listener(this.#current, previous);
    log(`config reloaded (${reason}): ${changed.join(', ')} now apply to new segments${restartNote}`);
    return { applied: true, changed, needRestart };
  }
}
