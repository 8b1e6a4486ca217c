/** `parascribe models list | pull <name> | rm <name> | verify [name]`: the whisper.cpp model store. */
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { checksumLabel, DEFAULT_WHISPER_MODEL, type CatalogueEntry } from '../models/catalogue.js';
import type { DownloadProgress } from '../models/download.js';
import { ModelStore } from '../models/store.js';
import { table } from './render.js';

export interface ModelsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${bytes} B`;
}

const sizeOf = (entry: CatalogueEntry): string => (entry.sizeBytes !== undefined ? formatBytes(entry.sizeBytes) : entry.approxBytes > 0 ? `~${formatBytes(entry.approxBytes)}` : '?');

export function modelsListCommand(config: Config, options: { json: boolean }, io: Pick<ModelsIo, 'stdout'>): number {
  const store = new ModelStore(config);
  const entries = store.catalogue.list();
  const rows = entries.map((entry) => {
    const installed = store.installedPath(entry.name);
    const partial = installed ? 0 : store.partialBytes(entry);
    return { entry, installed, partial };
  });
  if (options.json) {
    const json = rows.map(({ entry, installed, partial }) => ({
      name: entry.name,
      kind: entry.kind,
      file: entry.file,
      sizeBytes: entry.sizeBytes ?? null,
      sha1: entry.sha1 ?? null,
      sha256: entry.sha256 ?? null,
      url: store.urlOf(entry),
      installed: installed !== null,
      path: installed,
      partialBytes: partial,
    }));
    io.stdout.write(`${JSON.stringify(json)}\n`);
    return 0;
  }
  const status = ({ entry, installed, partial }: (typeof rows)[number]): string => {
    if (installed) return 'installed';
    if (partial > 0) return `partial ${entry.sizeBytes ? `${Math.floor((100 * partial) / entry.sizeBytes)}%` : formatBytes(partial)} (pull resumes)`;
    return '-';
  };
  const lines = rows.map((row) => [
    `${row.entry.name}${row.entry.name === DEFAULT_WHISPER_MODEL ? ' *' : ''}`,
    row.entry.kind,
    sizeOf(row.entry),
    checksumLabel(row.entry),
    status(row),
  ]);
  io.stdout.write(`${table(['model', 'kind', 'size', 'checksum', 'status'], lines)}\n\n`);
  io.stdout.write(`* the default for --backend whispercpp without modelPath (backends.whispercpp.model picks another)\n`);
  io.stdout.write(`store: ${store.dir}\nsource: ${config.models.baseUrl ?? 'the upstream hosts (set PARASCRIBE_MODELS_URL for a mirror)'}\n`);
  return 0;
}

/** A one-line bar on a terminal, redrawn at most 10 times a second; nothing elsewhere. */
function progressBar(stream: NodeJS.WriteStream, label: string, enabled: boolean) {
  const active = enabled && stream.isTTY === true;
  let lastDraw = 0;
  let rate = { atMs: performance.now(), bytes: 0, perSec: 0 };
  return {
    update(p: DownloadProgress) {
      if (!active) return;
      const now = performance.now();
      if (now - rate.atMs >= 1000) rate = { atMs: now, bytes: p.bytes, perSec: ((p.bytes - rate.bytes) * 1000) / (now - rate.atMs) };
      if (now - lastDraw < 100 && p.bytes !== p.totalBytes) return;
      lastDraw = now;
      const fraction = p.totalBytes ? Math.min(1, p.bytes / p.totalBytes) : 0;
      const width = 24;
      const filled = Math.round(fraction * width);
      const amount = p.totalBytes ? `${formatBytes(p.bytes)}/${formatBytes(p.totalBytes)}` : formatBytes(p.bytes);
      const speed = p.phase === 'download' && rate.perSec > 0 ? ` ${formatBytes(rate.perSec)}/s` : '';
      const verb = p.phase === 'verify' ? 'verifying' : 'downloading';
      const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${amount}${speed} ${verb}`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
    },
    stop() {
      if (active) stream.write('\r\x1b[2K');
    },
  };
}

export async function modelsPullCommand(config: Config, name: string, options: { force: boolean; quiet: boolean }, io: ModelsIo): Promise<number> {
  const store = new ModelStore(config);
  const entry = store.catalogue.get(name);
  const say = (line: string) => {
    if (!options.quiet) io.stderr.write(`${line}\n`);
  };
  const partial = store.partialBytes(entry);
  if (!store.installedPath(entry.name) || options.force) {
    say(`parascribe: pulling ${entry.name} (${sizeOf(entry)}) from ${store.urlOf(entry)}${partial > 0 && !options.force ? `, resuming at ${formatBytes(partial)}` : ''}`);
  }
  const bar = progressBar(io.stderr, entry.name, !options.quiet);
  let result;
  try {
    result = await store.pull(entry.name, {
      force: options.force,
      signal: io.signal,
      onProgress: (p) => bar.update(p),
      onRetry: ({ retry, reason, resumeFromBytes }) => {
        bar.stop();
        say(`parascribe: ${reason}; retry ${retry}, resuming at ${formatBytes(resumeFromBytes)}`);
      },
    });
  } finally {
    bar.stop();
  }
  if (result.already) {
    say(`parascribe: ${entry.name} is already in the store (--force downloads it again; \`parascribe models verify ${entry.name}\` checks it)`);
  } else {
    const record = result.record!;
    const checked = entry.sha256
      ? 'SHA-256 matches the catalogue'
      : entry.sha1
        ? "SHA-1 matches whisper.cpp's published checksum"
        : entry.sizeBytes !== undefined
          ? `no checksum is published: size checked, SHA-256 ${record.sha256} recorded for \`models verify\``
          : `no size or checksum is published: SHA-256 ${record.sha256} recorded for \`models verify\``;
    say(`parascribe: pulled ${entry.name} (${formatBytes(record.sizeBytes)}; ${checked})`);
    if (entry.kind === 'whisper') {
      const use = entry.name === DEFAULT_WHISPER_MODEL ? '' : ` with "backends": { "whispercpp": { "model": "${entry.name}" } } in the config file`;
      say(`parascribe: use it: parascribe transcribe --backend whispercpp <file>${use}`);
    } else {
      say(`parascribe: use it with "backends": { "whispercpp": { "vadModel": "${entry.name}" } } in the config file`);
    }
  }
  io.stdout.write(`${result.path}\n`);
  return 0;
}

export async function modelsRemoveCommand(config: Config, name: string, io: Pick<ModelsIo, 'stderr'>): Promise<number> {
  const store = new ModelStore(config);
  const removed = await store.remove(name);
  io.stderr.write(removed ? `parascribe: removed ${store.catalogue.get(name).name}\n` : `parascribe: ${name} is not in the store\n`);
  return 0;
}

/** Exit 0 when every checked model matches; MODEL_DOWNLOAD_FAILED on a mismatch (an unverifiable model is reported, not failed). */
export async function modelsVerifyCommand(config: Config, name: string | undefined, options: { json: boolean }, io: ModelsIo): Promise<number> {
  const store = new ModelStore(config);
  const results = await store.verify(name, io.signal);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(results)}\n`);
  } else if (results.length === 0) {
    io.stdout.write(`no models in ${store.dir} (parascribe models pull ${DEFAULT_WHISPER_MODEL})\n`);
  } else {
    io.stdout.write(`${table(['model', 'status', 'checked against', 'detail'], results.map((r) => [r.name, r.status, r.against ?? '-', r.detail]))}\n`);
  }
  const bad = results.filter((r) => r.status === 'mismatch');
  if (bad.length > 0) {
    const names = bad.map((r) => r.name);
    throw new ParascribeError('MODEL_DOWNLOAD_FAILED', `${names.join(', ')} failed verification; pull again: ${names.map((n) => `parascribe models pull ${n} --force`).join('; ')}`, {
      isRetryable: false,
      details: { reason: 'checksum' },
    });
  }
  return 0;
}
