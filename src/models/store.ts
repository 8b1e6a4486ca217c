/**
 * The model store: `<dataDir>/models/`, one file per model under its upstream name (ggml-base.en.bin),
 * and `manifest.json` recording what each pull downloaded (URL, size, SHA-1, SHA-256, when), so that
 * `models verify` can check a model whose checksum is not published against what was pulled.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../outputs/write.js';
import { Catalogue, type CatalogueEntry } from './catalogue.js';
import { downloadFile, hashFile, type DownloadProgress } from './download.js';

export interface PulledRecord {
  name: string;
  file: string;
  url: string;
  sizeBytes: number;
  sha1: string;
  sha256: string;
  /** What the pull was checked against: 'sha1', 'sha256', 'size'; empty when nothing was known. */
  checkedAgainst: string[];
  /** ISO 8601. */
  pulledAt: string;
}

export interface StoreSettings {
  dataDir: string;
  models?: { baseUrl?: string | undefined; catalogue?: string | undefined; stallTimeoutSec?: number; retries?: number };
}

export interface PullOptions {
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  onRetry?: (info: { retry: number; reason: string; resumeFromBytes: number }) => void;
  /** Overrides the configured values (tests). */
  stallTimeoutMs?: number;
  retries?: number;
  retryDelayMs?: (retry: number) => number;
}

export interface VerifyResult {
  name: string;
  file: string;
  status: 'ok' | 'mismatch' | 'unverified';
  /** What the file was compared with. */
  against: string | null;
  detail: string;
}

const MANIFEST = 'manifest.json';

export class ModelStore {
  readonly dir: string;
  readonly #settings: NonNullable<StoreSettings['models']>;
  #catalogue: Catalogue | undefined;

  constructor(settings: StoreSettings, catalogue?: Catalogue) {
    this.dir = join(settings.dataDir, 'models');
    this.#settings = settings.models ?? {};
    this.#catalogue = catalogue;
  }

  /** Loaded on first use, so that a process that never touches models never reads a custom catalogue. */
  get catalogue(): Catalogue {
    return (this.#catalogue ??= Catalogue.load(this.#settings.catalogue));
  }

  pathOf(entry: CatalogueEntry): string {
    return join(this.dir, entry.file);
  }

  /** The file of a model by name when it is in the store (unknown names: null). */
  installedPath(name: string): string | null {
    const entry = this.catalogue.find(name);
    if (!entry) return null;
    const path = this.pathOf(entry);
    return existsSync(path) ? path : null;
  }

  /** Bytes of an interrupted pull waiting to be resumed (0 when none). */
  partialBytes(entry: CatalogueEntry): number {
    try {
      return statSync(`${this.pathOf(entry)}.partial`).size;
    } catch {
      return 0;
    }
  }

  urlOf(entry: CatalogueEntry): string {
    return this.catalogue.urlOf(entry, this.#settings.baseUrl);
  }

  async manifest(): Promise<Record<string, PulledRecord>> {
    try {
      return JSON.parse(await readFile(join(this.dir, MANIFEST), 'utf8')) as Record<string, PulledRecord>;
    } catch {
      return {};
    }
  }

  async #saveManifest(update: (records: Record<string, PulledRecord>) => void): Promise<void> {
    const records = await this.manifest();
    update(records);
    await writeFileAtomic(join(this.dir, MANIFEST), `${JSON.stringify(records, null, 2)}\n`);
  }

  /** Downloads a model into the store; `already` when it was there (and `force` was not given). */
  async pull(name: string, options: PullOptions = {}): Promise<{ entry: CatalogueEntry; path: string; already: boolean; record: PulledRecord | undefined; resumedFromBytes: number }> {
    const entry = this.catalogue.get(name);
    const path = this.pathOf(entry);
    if (existsSync(path) && !options.force) {
      return { entry, path, already: true, record: (await this.manifest())[entry.file], resumedFromBytes: 0 };
    }
    // With --force the installed file stays until the new one has passed its checks and replaces it.
    await mkdir(this.dir, { recursive: true });
    const url = this.urlOf(entry);
    const result = await downloadFile({
      url,
      dest: path,
      label: entry.name,
      expected: {
        ...(entry.sizeBytes !== undefined ? { sizeBytes: entry.sizeBytes } : {}),
        ...(entry.sha1 ? { sha1: entry.sha1 } : {}),
        ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
      },
      stallTimeoutMs: options.stallTimeoutMs ?? (this.#settings.stallTimeoutSec ?? 30) * 1000,
      retries: options.retries ?? this.#settings.retries ?? 5,
      ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
    const record: PulledRecord = {
      name: entry.name,
      file: entry.file,
      url,
      sizeBytes: result.sizeBytes,
      sha1: result.sha1,
      sha256: result.sha256,
      checkedAgainst: [...(entry.sha1 ? ['sha1'] : []), ...(entry.sha256 ? ['sha256'] : []), ...(entry.sizeBytes !== undefined ? ['size'] : [])],
      pulledAt: new Date().toISOString(),
    };
    await this.#saveManifest((records) => (records[entry.file] = record));
    return { entry, path, already: false, record, resumedFromBytes: result.resumedFromBytes };
  }

  /** Deletes a model (and any partial download of it); false when there was nothing to delete. */
  async remove(name: string): Promise<boolean> {
    const entry = this.catalogue.get(name);
    const path = this.pathOf(entry);
    const existed = existsSync(path) || existsSync(`${path}.partial`);
    for (const suffix of ['', '.partial', '.partial.json']) await rm(`${path}${suffix}`, { force: true });
    if ((await this.manifest())[entry.file]) await this.#saveManifest((records) => delete records[entry.file]);
    return existed;
  }

  /** Re-hashes installed models (one by name, or all) and compares them with the catalogue or the pull record. */
  async verify(name?: string, signal?: AbortSignal): Promise<VerifyResult[]> {
    const entries = name ? [this.catalogue.get(name)] : this.catalogue.list().filter((e) => existsSync(this.pathOf(e)));
    const records = await this.manifest();
    const results: VerifyResult[] = [];
    for (const entry of entries) {
      const path = this.pathOf(entry);
      if (!existsSync(path)) {
        results.push({ name: entry.name, file: entry.file, status: 'mismatch', against: null, detail: `not installed (parascribe models pull ${entry.name})` });
        continue;
      }
      results.push(compare(entry, await hashFile(path, signal), records[entry.file]));
    }
    return results;
  }
}

/** A pure comparison: catalogue checksum first, then the size, then the pull record. */
export function compare(entry: CatalogueEntry, actual: { size: number; sha1: string; sha256: string }, record: PulledRecord | undefined): VerifyResult {
  const base = { name: entry.name, file: entry.file };
  if (entry.sizeBytes !== undefined && actual.size !== entry.sizeBytes) {
    return { ...base, status: 'mismatch', against: 'size', detail: `${actual.size} bytes, the catalogue says ${entry.sizeBytes}` };
  }
  if (entry.sha256) {
    const ok = actual.sha256 === entry.sha256;
    return { ...base, status: ok ? 'ok' : 'mismatch', against: 'sha256 (catalogue)', detail: ok ? `sha256 ${actual.sha256}` : `sha256 ${actual.sha256}, expected ${entry.sha256}` };
  }
  if (entry.sha1) {
    const ok = actual.sha1 === entry.sha1;
    return { ...base, status: ok ? 'ok' : 'mismatch', against: 'sha1 (whisper.cpp)', detail: ok ? `sha1 ${actual.sha1}` : `sha1 ${actual.sha1}, expected ${entry.sha1}` };
  }
  if (record) {
    const ok = actual.sha256 === record.sha256;
    return {
      ...base,
      status: ok ? 'ok' : 'mismatch',
      against: 'sha256 (recorded at pull)',
      detail: ok ? `sha256 ${actual.sha256}, as pulled ${record.pulledAt}` : `sha256 ${actual.sha256}, pulled as ${record.sha256} on ${record.pulledAt}`,
    };
  }
  return { ...base, status: 'unverified', against: entry.sizeBytes !== undefined ? 'size' : null, detail: `${entry.sizeBytes !== undefined ? 'size matches; ' : ''}no published checksum and no pull record; sha256 ${actual.sha256}` };
}
