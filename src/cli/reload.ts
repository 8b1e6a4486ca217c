/**
 * Config reload for the long-running commands (`serve`, `worker`): on SIGHUP, and when the config
 * file changes on disk (its directory is watched, since editors replace a file rather than write it
 * in place; a change is taken once the file has been quiet for `debounceMs` and only when its content
 * differs). What a reload applies, and how a broken config is refused: config/holder.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import type { ReloadResult } from '../config/holder.js';

/** How a long-running command reads its config again: the same sources as at start. */
export interface ConfigSource {
  load: () => Config;
  /** The config file (watched when it exists at start). */
  path?: string | undefined;
}

export interface ReloadWiring {
  reload: (reason: string) => ReloadResult;
  path?: string | undefined;
  log: (line: string) => void;
  debounceMs?: number;
}

const digest = (path: string): string | undefined => {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
};

/** Starts listening; returns the function that stops it. */
export function watchForReloads(wiring: ReloadWiring): () => void {
  const onHangup = () => wiring.reload('SIGHUP');
  process.on('SIGHUP', onHangup);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const { path } = wiring;
  if (path && existsSync(path)) {
    let seen = digest(path);
    const name = basename(path);
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file !== null && file !== name) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          const now = digest(path);
          if (now === undefined || now === seen) return; // removed mid-replace, or touched without a change
          seen = now;
          wiring.reload('config file changed');
        }, wiring.debounceMs ?? 250);
      });
      watcher.on('error', (error) => wiring.log(`config file watch stopped (${error.message}); SIGHUP still reloads`));
    } catch (error) {
      wiring.log(`config file ${path} is not watched (${(error as Error).message}); SIGHUP reloads it`);
    }
  }
  return () => {
    process.off('SIGHUP', onHangup);
    clearTimeout(timer);
    watcher?.close();
  };
}
