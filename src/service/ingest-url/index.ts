/**
 * Server-side download of a user-supplied audio URL (`POST /v1/jobs { "url": ... }`), hardened against
 * SSRF: http/https only, no credentials, every hop's host resolved here and refused if any address is
 * private/reserved (unless the operator's `allow` list says otherwise), connections pinned to the
 * validated addresses, manual redirects, size cap, overall and idle timeouts, caller abort. The body
 * is streamed to `destPath + '.part'` and renamed on success; on any failure nothing is left on disk.
 */
import { open, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { ParascribeError } from '../../errors.js';
import { compileAllowList } from './address.js';
import { aborted, describeNetworkError, diskError, fetchFailed, httpStatusError, refused, tooLarge } from './failures.js';
import { pickFilename } from './filename.js';
import { sendRequest, systemResolver, validateTarget } from './target.js';

export { isForbiddenAddress, isForbiddenHostname } from './address.js';

export interface UrlIngestOptions {
  /** Size cap in bytes. */
  maxBytes: number;
  /** Whole download (every hop: DNS + connect + headers + body). */
  timeoutMs: number;
  /** No bytes for this long → fail (default 30 s). */
  idleTimeoutMs?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** Hosts or CIDRs that may be fetched even though private (e.g. a test server on 127.0.0.1); default none. */
  allow?: string[];
  signal?: AbortSignal;
  /** For tests: resolver override; default node:dns lookup with all: true. */
  lookup?: (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;
}

export interface DownloadedUrl {
  path: string;
  bytes: number;
  finalUrl: string;
  contentType: string | null;
  filename: string | null;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;
const MAX_TIMER_MS = 2 ** 31 - 1;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function checkOptions(options: UrlIngestOptions): void {
  const positive = (value: number | undefined): boolean => value === undefined || (Number.isFinite(value) && value > 0);
  const count = (value: number | undefined): boolean => value === undefined || (Number.isInteger(value) && value >= 0);
  if (!count(options.maxBytes)) throw new ParascribeError('INVALID_ARGUMENT', 'maxBytes must be a non-negative integer');
  if (!positive(options.timeoutMs)) throw new ParascribeError('INVALID_ARGUMENT', 'timeoutMs must be a positive number');
  if (!positive(options.idleTimeoutMs)) throw new ParascribeError('INVALID_ARGUMENT', 'idleTimeoutMs must be a positive number');
  if (!count(options.maxRedirects)) throw new ParascribeError('INVALID_ARGUMENT', 'maxRedirects must be a non-negative integer');
}

function parseContentLength(value: string | undefined): number | null {
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : null;
}

function nextHop(location: string, current: URL): URL {
  try {
    return new URL(location, current);
  } catch {
    throw fetchFailed('the server sent a redirect to an invalid URL', { retryable: false });
  }
}

/** Streams the body into `partPath`, enforcing the cap; closes the file before returning or throwing. */
async function writeBody(res: IncomingMessage, partPath: string, maxBytes: number, onData: () => void): Promise<number> {
  const file = await open(partPath, 'w').catch((err: unknown) => {
    throw diskError(err);
  });
  let bytes = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      onData();
      bytes += chunk.length;
      if (bytes > maxBytes) throw tooLarge(`the file is larger than the limit of ${maxBytes} bytes`);
      for (let offset = 0; offset < chunk.length; ) {
        const { bytesWritten } = await file.write(chunk, offset).catch((err: unknown) => {
          throw diskError(err);
        });
        offset += bytesWritten;
      }
    }
    if (!res.complete) throw fetchFailed('the connection closed before the download finished');
  } finally {
    await file.close().catch(() => {});
  }
  return bytes;
}

/**
 * Downloads `url` to `destPath`. Throws ParascribeError: URL_REFUSED (policy), PAYLOAD_TOO_LARGE,
 * URL_FETCH_FAILED (network, timeouts, non-2xx; 4xx not retryable), ABORTED (caller's signal),
 * INVALID_ARGUMENT (unparseable URL or bad options), INVALID_CONFIG (bad `allow` entry), INTERNAL (disk).
 */
export async function downloadUrlToFile(url: string, destPath: string, options: UrlIngestOptions): Promise<DownloadedUrl> {
  checkOptions(options);
  const allow = compileAllowList(options.allow);
  const resolver = options.lookup ?? systemResolver;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new ParascribeError('INVALID_ARGUMENT', 'the URL is not valid');
  }
  if (options.signal?.aborted) throw aborted(options.signal.reason);

  // One controller carries every reason to stop (caller abort, overall timeout, idle timeout).
  const controller = new AbortController();
  const stop = (reason: ParascribeError): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onCallerAbort = (): void => stop(aborted(options.signal?.reason));
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const overallTimer = setTimeout(
    () => stop(fetchFailed(`the download did not finish within ${options.timeoutMs} ms`)),
    Math.min(options.timeoutMs, MAX_TIMER_MS),
  );
  let idleTimer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => stop(fetchFailed(`the server sent no data for ${idleMs} ms`)), Math.min(idleMs, MAX_TIMER_MS));
  };
  const partPath = `${destPath}.part`;
  let partOpened = false;
  try {
    for (let redirects = 0; ; redirects++) {
      const target = await validateTarget(current, allow, resolver, controller.signal);
      touch();
      const res = await sendRequest(target, controller.signal);
      touch();
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        res.destroy();
        if (redirects >= maxRedirects) throw refused(`too many redirects (more than ${maxRedirects})`);
        current = nextHop(location, current);
        continue;
      }
      if (status < 200 || status > 299) {
        res.destroy();
        throw httpStatusError(status);
      }
      const declared = parseContentLength(res.headers['content-length']);
      if (declared !== null && declared > options.maxBytes) {
        res.destroy();
        throw tooLarge(`the file is ${declared} bytes; the limit is ${options.maxBytes} bytes`);
      }
      const destroyBody = (): void => {
        res.destroy(controller.signal.reason instanceof Error ? controller.signal.reason : undefined);
      };
      controller.signal.addEventListener('abort', destroyBody, { once: true });
      partOpened = true;
      const bytes = await writeBody(res, partPath, options.maxBytes, touch).finally(() => {
        controller.signal.removeEventListener('abort', destroyBody);
      });
      if (controller.signal.aborted) throw controller.signal.reason;
      clearTimeout(idleTimer);
      await rename(partPath, destPath).catch((err: unknown) => {
        throw diskError(err);
      });
      return {
        path: destPath,
        bytes,
        finalUrl: current.href,
        contentType: res.headers['content-type']?.trim() || null,
        filename: pickFilename(res.headers['content-disposition'], current),
      };
    }
  } catch (err) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
    if (!controller.signal.aborted) controller.abort(reason); // tears down anything still open
    if (partOpened) await rm(partPath, { force: true }).catch(() => {});
    if (reason instanceof ParascribeError) throw reason;
    throw fetchFailed(`could not download from ${current.host}: ${describeNetworkError(reason)}`, { cause: reason });
  } finally {
    clearTimeout(overallTimer);
    clearTimeout(idleTimer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

/**
 * Checks that a URL the server will call later (a webhook) passes the same policy as a download:
 * http(s), no credentials, no internal name, no private or reserved address unless allowed.
 */
export async function assertPublicUrl(url: string, options: { allow?: string[]; signal?: AbortSignal; lookup?: UrlIngestOptions['lookup'] } = {}): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ParascribeError('INVALID_ARGUMENT', 'the URL is not valid');
  }
  await validateTarget(parsed, compileAllowList(options.allow), options.lookup ?? systemResolver, options.signal ?? new AbortController().signal);
}
