/**
 * The transcript cache. Key = SHA-256 of the input's bytes + backend + model + every option that
 * changes the output; the value is the stitched transcript, one JSON file per key in the data dir.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomic } from '../outputs/write.js';
import type { JobStore } from '../store/jobs.js';
import type { Transcript } from '../transcript.js';

/** Hashes a file's bytes, remembering the hash by (path, size, mtime) so a re-run does not re-read it. */
export async function hashFile(path: string, store: JobStore, signal?: AbortSignal): Promise<string> {
  const absolute = resolve(path);
  const info = await stat(absolute);
  const remembered = await store.getFileHash(absolute, info.size, info.mtimeMs);
  if (remembered) return remembered;
  const hash = createHash('sha256');
  await pipeline(createReadStream(absolute), hash, ...(signal ? [{ signal }] : []));
  const digest = hash.digest('hex');
  await store.putFileHash(absolute, info.size, info.mtimeMs, digest);
  return digest;
}

/** JSON with sorted keys, so that equal settings always give the same key. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface CacheKeyParts {
  fileSha256: string;
  backend: string;
  model: string;
  backendFingerprint: Record<string, unknown>;
  /** Options that change the transcript: language, segmentation, pause detection... */
  options: Record<string, unknown>;
}

export function computeCacheKey(parts: CacheKeyParts): string {
  return createHash('sha256').update(canonicalJson({ v: 1, ...parts })).digest('hex');
}

export class TranscriptCache {
  constructor(readonly dir: string) {}

  #path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<Transcript | undefined> {
    try {
      return JSON.parse(await readFile(this.#path(key), 'utf8')) as Transcript;
    } catch {
      return undefined; // missing or unreadable: a miss, never an error
    }
  }

  async put(key: string, transcript: Transcript): Promise<void> {
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    await writeFileAtomic(this.#path(key), JSON.stringify(transcript));
  }
}
