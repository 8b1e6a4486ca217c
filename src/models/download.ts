/**
 * Downloads one large file the careful way: into `<dest>.partial` beside the target, resumed with an
 * HTTP `Range` request after a cut connection (in this run, or a later one), checked against the
 * expected size and checksums, then fsynced and renamed, so that a half or wrong file never carries
 * the final name. A stall (no byte for `stallTimeoutMs`) counts as a cut connection. The caller's
 * signal stops it at once and keeps the partial file for the next try.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ParascribeError } from '../errors.js';

export interface Expected {
  sizeBytes?: number;
  sha1?: string;
  sha256?: string;
}

export interface DownloadProgress {
  phase: 'download' | 'verify';
  /** Bytes in the partial file (download) or hashed so far (verify). */
  bytes: number;
  totalBytes: number | null;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  expected: Expected;
  signal?: AbortSignal;
  /** No byte for this long ends the attempt (a cut connection); default 30 s. */
  stallTimeoutMs?: number;
  /** Further attempts after a cut connection, a stall or a 5xx/429; default 5. */
  retries?: number;
  /** Wait before attempt n (1-based retry count); default 1 s, 2 s, 4 s… up to 15 s. */
  retryDelayMs?: (retry: number) => number;
  onProgress?: (progress: DownloadProgress) => void;
  /** Told before each retry: why, and where it resumes. */
  onRetry?: (info: { retry: number; reason: string; resumeFromBytes: number }) => void;
  /** Names the model in messages. */
  label?: string;
}

export interface DownloadResult {
  path: string;
  sizeBytes: number;
  sha1: string;
  sha256: string;
  /** Bytes that were already on disk when this call started (a resume across runs). */
  resumedFromBytes: number;
  /** HTTP requests made. */
  requests: number;
}

/** An attempt that may be retried (a resume follows), or not. */
class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly reason: string,
  ) {
    super(message);
  }
}

const fail = (message: string, reason: string, retryable = true) =>
  new ParascribeError('MODEL_DOWNLOAD_FAILED', message, { isRetryable: retryable, details: { reason } });

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

/** Network errors before any answer: the host cannot be reached (offline, DNS, refused). */
function unreachable(error: unknown, url: string): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  const host = new URL(url).host;
  const why: Record<string, string> = {
    ENOTFOUND: `cannot resolve ${host}`,
    EAI_AGAIN: `cannot resolve ${host} (DNS unavailable)`,
    ECONNREFUSED: `${host} refused the connection`,
    ENETUNREACH: 'the network is unreachable',
    EHOSTUNREACH: `${host} is unreachable`,
    ECONNRESET: `${host} reset the connection`,
    ETIMEDOUT: `connecting to ${host} timed out`,
  };
  return why[code] ?? `cannot reach ${host} (${cause?.message ?? (error as Error).message})`;
}

/** `bytes 100-199/1000` → { start: 100, total: 1000 } (total null for `*`). */
export function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), total: match[2] === '*' ? null : Number(match[2]) };
}

/** Only one pull of a file at a time: a lock file holding the pid; a dead owner's lock is taken over. */
async function lock(path: string): Promise<() => Promise<void>> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      let alive = false;
      try {
        alive = Number.isInteger(pid) && pid > 0 && (process.kill(pid, 0), true);
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw fail(`another download of this file is running (pid ${pid}; lock ${path})`, 'locked', false);
      await rm(path, { force: true });
    }
  }
  throw fail(`cannot take the lock ${path}`, 'locked', false);
}

/** SHA-1 and SHA-256 of a file in one read. */
export async function hashFile(path: string, signal?: AbortSignal, onBytes: (bytes: number) => void = () => {}): Promise<{ sha1: string; sha256: string; size: number }> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) })) {
    sha1.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    onBytes(size);
  }
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex'), size };
}

export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const { url, dest, expected, signal } = options;
  const label = options.label ?? dest;
  const partial = `${dest}.partial`;
  const metaPath = `${partial}.json`;
  const retries = options.retries ?? 5;
  const stallMs = options.stallTimeoutMs ?? 30_000;
  const wait = options.retryDelayMs ?? ((n: number) => Math.min(15_000, 1000 * 2 ** (n - 1)));
  const aborted = () => new ParascribeError('ABORTED', `download of ${label} cancelled (the partial file is kept; pull again to resume)`);
  if (signal?.aborted) throw aborted();
  const unlock = await lock(`${dest}.lock`);
  try {
    // A partial file of another URL (a mirror switched) is not ours to continue.
    const meta = JSON.parse(await readFile(metaPath, 'utf8').catch(() => '{}')) as { url?: string; etag?: string };
    if (meta.url !== url) await rm(partial, { force: true });
    let etag = meta.url === url ? meta.etag : undefined;
    const resumedFromBytes = await sizeOf(partial);
    let requests = 0;
    let retry = 0;
    let gotAnswer = false;
    /** One HTTP request; true once the partial file holds the whole file. */
    async function attempt(): Promise<boolean> {
      let offset = await sizeOf(partial);
      if (expected.sizeBytes !== undefined && offset > expected.sizeBytes) {
        await rm(partial, { force: true });
        offset = 0;
      }
      if (expected.sizeBytes !== undefined && offset === expected.sizeBytes) return true;
      const controller = new AbortController();
      let stalled = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => ((stalled = true), controller.abort(new Error('stalled'))), stallMs);
      };
      const headers: Record<string, string> = { 'user-agent': 'parascribe (model pull)' };
      if (offset > 0) {
        headers.range = `bytes=${offset}-`;
        if (etag) headers['if-range'] = etag;
      }
      requests++;
      arm();
      let handle: FileHandle | undefined;
      try {
        let response: Response;
        try {
          response = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal });
        } catch (error) {
          if (signal?.aborted) throw error;
          if (stalled) throw new AttemptFailed(`no answer for ${stallMs / 1000} s (stalled)`, true, 'stalled');
          // The first request failing to connect means offline (or a wrong host): say so at once.
          const message = unreachable(error, url);
          if (!gotAnswer) throw new AttemptFailed(`${message}. Offline? Pull on a machine with network access and copy ${basename(dest)} into ${dirname(dest)}, or set PARASCRIBE_MODELS_URL to a reachable mirror`, false, 'offline');
          throw new AttemptFailed(message, true, 'network');
        }
        gotAnswer = true;
        const status = response.status;
        if (status === 416 && offset > 0) {
          // Range beyond the end: the partial file may be whole already; the checks decide.
          await response.body?.cancel().catch(() => undefined);
          const total = parseContentRange(response.headers.get('content-range'))?.total;
          if (total === offset) return true;
          await rm(partial, { force: true });
          throw new AttemptFailed('the server refused the resume range (HTTP 416); starting over', true, 'range');
        }
        if (!response.ok) {
          await response.body?.cancel().catch(() => undefined);
          if (status === 404 || status === 410) throw new AttemptFailed(`not found (HTTP ${status}); is the base URL a mirror of ${new URL(url).origin}?`, false, 'not-found');
          const retryable = status === 429 || status === 408 || status >= 500;
          throw new AttemptFailed(`HTTP ${status} ${response.statusText}`.trim(), retryable, 'http');
        }
        let start = 0;
        let total: number | null = null;
        const length = response.headers.get('content-length');
        if (status === 206) {
          const range = parseContentRange(response.headers.get('content-range'));
          if (!range || range.start !== offset) {
            await response.body?.cancel().catch(() => undefined);
            await rm(partial, { force: true });
            throw new AttemptFailed('the server answered a different range; starting over', true, 'range');
          }
          start = offset;
          total = range.total;
        } else if (length !== null) {
          total = Number(length); // 200: the whole file (a server without Range support, or a changed file)
        }
        if (total !== null && expected.sizeBytes !== undefined && total !== expected.sizeBytes) {
          await response.body?.cancel().catch(() => undefined);
          throw new AttemptFailed(`the server's file is ${total} bytes, the catalogue expects ${expected.sizeBytes}`, false, 'size');
        }
        etag = response.headers.get('etag') ?? undefined;
        await writeFile(metaPath, JSON.stringify({ url, ...(etag ? { etag } : {}) }));
        handle = await open(partial, start === 0 ? 'w' : 'a');
        let bytes = start;
        options.onProgress?.({ phase: 'download', bytes, totalBytes: total });
        try {
          for await (const chunk of response.body ?? []) {
            arm();
            await handle.write(chunk as Uint8Array);
            bytes += (chunk as Uint8Array).length;
            options.onProgress?.({ phase: 'download', bytes, totalBytes: total });
          }
        } catch (error) {
          if (signal?.aborted) throw error;
          if (stalled) throw new AttemptFailed(`no data for ${stallMs / 1000} s at ${bytes} bytes (stalled)`, true, 'stalled');
          throw new AttemptFailed(`the connection was cut at ${bytes} bytes (${(error as Error).message})`, true, 'cut');
        }
        if (total !== null && bytes < total) throw new AttemptFailed(`the connection ended at ${bytes} of ${total} bytes`, true, 'cut');
        return true;
      } finally {
        clearTimeout(timer);
        await handle?.close().catch(() => undefined);
      }
    }

    for (;;) {
      try {
        const done = await attempt();
        if (done) break;
      } catch (error) {
        if (signal?.aborted) throw aborted();
        if (!(error instanceof AttemptFailed)) throw error;
        if (!error.retryable || retry >= retries) {
          throw fail(`cannot download ${label} from ${url}: ${error.message}${error.retryable && retries > 0 ? ` (after ${retry + 1} attempts)` : ''}`, error.reason, error.retryable);
        }
        retry++;
        options.onRetry?.({ retry, reason: error.message, resumeFromBytes: await sizeOf(partial) });
        await delay(wait(retry), undefined, signal ? { signal } : {}).catch(() => undefined);
        if (signal?.aborted) throw aborted();
      }
    }

    const total = await sizeOf(partial);
    const digests = await hashFile(partial, signal, (bytes) => options.onProgress?.({ phase: 'verify', bytes, totalBytes: total })).catch((error: unknown) => {
      throw signal?.aborted ? aborted() : error;
    });
    const problems: string[] = [];
    if (expected.sizeBytes !== undefined && digests.size !== expected.sizeBytes) problems.push(`${digests.size} bytes, expected ${expected.sizeBytes}`);
    if (expected.sha256 && digests.sha256 !== expected.sha256.toLowerCase()) problems.push(`SHA-256 ${digests.sha256}, expected ${expected.sha256}`);
    if (expected.sha1 && digests.sha1 !== expected.sha1.toLowerCase()) problems.push(`SHA-1 ${digests.sha1}, expected ${expected.sha1}`);
    if (problems.length > 0) {
      await rm(partial, { force: true });
      await rm(metaPath, { force: true });
      throw fail(`${label} from ${url} failed its check (${problems.join('; ')}); the file was deleted. Is the mirror serving a different file?`, 'checksum', false);
    }
    const handle = await open(partial, 'r+');
    await handle.sync().finally(() => handle.close());
    await rename(partial, dest);
    await rm(metaPath, { force: true });
    const dir = await open(dirname(dest), 'r').catch(() => undefined);
    await dir?.sync().catch(() => undefined);
    await dir?.close();
    return { path: dest, sizeBytes: digests.size, sha1: digests.sha1, sha256: digests.sha256, resumedFromBytes, requests };

  } finally {
    await unlock();
  }
}
