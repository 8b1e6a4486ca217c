/**
 * Typed errors. Every error that can reach a user carries a stable `code`; the CLI maps codes to exit
 * codes and the (later) HTTP API maps them to statuses. Errors that cross process boundaries are
 * matched by `code`, never by `instanceof`.
 */

export const ERROR_CODES = {
  INTERNAL: { exitCode: 1, retryable: false },
  INVALID_ARGUMENT: { exitCode: 2, retryable: false },
  INPUT_NOT_FOUND: { exitCode: 3, retryable: false },
  NO_AUDIO_FILES: { exitCode: 4, retryable: false },
  NOT_AUDIO: { exitCode: 5, retryable: false },
  CORRUPT_AUDIO: { exitCode: 6, retryable: false },
  EMPTY_AUDIO: { exitCode: 7, retryable: false },
  OUTPUT_NOT_WRITABLE: { exitCode: 8, retryable: false },
  UNKNOWN_BACKEND: { exitCode: 9, retryable: false },
  BACKEND_FAILED: { exitCode: 10, retryable: true },
  BACKEND_UNAVAILABLE: { exitCode: 11, retryable: false },
  INVALID_CONFIG: { exitCode: 12, retryable: false },
  JOB_NOT_FOUND: { exitCode: 13, retryable: false },
  UNSUPPORTED_LANGUAGE: { exitCode: 14, retryable: false },
  SEGMENT_TIMEOUT: { exitCode: 15, retryable: true },
  TOOL_MISSING: { exitCode: 16, retryable: false },
  BREAKER_OPEN: { exitCode: 17, retryable: false },
  // Service (HTTP API) errors; the CLI never sees most of them.
  UNAUTHORIZED: { exitCode: 18, retryable: false },
  RATE_LIMITED: { exitCode: 19, retryable: true },
  PAYLOAD_TOO_LARGE: { exitCode: 20, retryable: false },
  URL_REFUSED: { exitCode: 21, retryable: false },
  URL_FETCH_FAILED: { exitCode: 22, retryable: true },
  NOT_READY: { exitCode: 23, retryable: true },
  REQUEST_TIMEOUT: { exitCode: 24, retryable: true },
  /** A container outside the demuxer allowlist (a playlist, a concat list...): src/audio/ffmpeg-input.ts. */
  UNSUPPORTED_FORMAT: { exitCode: 25, retryable: false },
  /** Longer than `limits.maxAudioSec`, or more decoded PCM than `limits.maxDecodedMb`. */
  AUDIO_TOO_LONG: { exitCode: 26, retryable: false },
  /** `ask` needs an OpenAI-compatible chat endpoint and none is configured (`llm` section / PARASCRIBE_LLM_*). */
  LLM_NOT_CONFIGURED: { exitCode: 27, retryable: false },
  /** The chat endpoint failed: retryable for 429, 5xx, timeouts and lost connections (src/llm/client.ts). */
  LLM_FAILED: { exitCode: 28, retryable: true },
  /** An MCP tool's file path outside the configured `mcp.roots`, or no roots configured (src/mcp/roots.ts). */
  PATH_REFUSED: { exitCode: 29, retryable: false },
  /** `parascribe models pull`: offline, HTTP error, stalled, or the file failed its size/checksum check (src/models/download.ts). */
  MODEL_DOWNLOAD_FAILED: { exitCode: 30, retryable: true },
  /** The job's upload was deleted (`serve.keepUploadHours` after the job ended): nothing to play. */
  AUDIO_GONE: { exitCode: 31, retryable: false },
  /** The server's (or the CLI's work dir's) file system is full (ENOSPC, EDQUOT): try again once there is space. */
  STORAGE_FULL: { exitCode: 32, retryable: true },
  /** Decoding took longer than `limits.maxDecodeSec` of wall-clock time (a decompression bomb, a pathological file). */
  DECODE_TIMEOUT: { exitCode: 33, retryable: false },
  /** The caller's key has `serve.maxQueuedJobsPerKey` jobs waiting already: 429 with Retry-After (docs/limits.md). */
  QUEUE_FULL: { exitCode: 34, retryable: true },
  /** The caller's key has `serve.maxStreamsPerKey` event streams open already: 429 with Retry-After. */
  TOO_MANY_STREAMS: { exitCode: 35, retryable: true },
  ABORTED: { exitCode: 130, retryable: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ParascribeErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retryability (e.g. a backend error that is known to be permanent). */
  isRetryable?: boolean;
  details?: Record<string, unknown>;
}

export class ParascribeError extends Error {
  override readonly name = 'ParascribeError';
  readonly code: ErrorCode;
  readonly isRetryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ParascribeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.isRetryable = options.isRetryable ?? ERROR_CODES[code].retryable;
    this.details = options.details;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }
}

/** Matches by shape, not class, so errors rebuilt from a database row or another process still match. */
export function isParascribeError(value: unknown): value is ParascribeError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as { code: string }).code in ERROR_CODES &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

const DISK_FULL_ERRNOS = new Set(['ENOSPC', 'EDQUOT']);

/** Whether this error (or one it wraps) is a full file system: ENOSPC or EDQUOT. */
export function isDiskFull(value: unknown): boolean {
  for (let depth = 0, at = value; depth < 5 && typeof at === 'object' && at !== null; depth++, at = (at as { cause?: unknown }).cause) {
    if (DISK_FULL_ERRNOS.has(String((at as { code?: unknown }).code))) return true;
  }
  return false;
}

/** STORAGE_FULL for a write that failed on a full disk; `doing` says what was being written. */
export function storageFull(doing: string, cause?: unknown): ParascribeError {
  // Retry-After (HTTP 507): space comes back when an operator or the upload expiry frees some.
  return new ParascribeError('STORAGE_FULL', `the server ran out of disk space ${doing}; try again later`, { cause, details: { retryAfterSec: 30 } });
}

/** Normalises anything thrown into a ParascribeError; unknown errors become INTERNAL (a full disk: STORAGE_FULL). */
export function toParascribeError(value: unknown): ParascribeError {
  if (value instanceof ParascribeError) return value;
  if (isParascribeError(value)) {
    return new ParascribeError(value.code, value.message, { isRetryable: value.isRetryable });
  }
  if (value instanceof Error && value.name === 'AbortError') {
    return new ParascribeError('ABORTED', 'aborted', { cause: value });
  }
  if (isDiskFull(value)) return storageFull('writing a file', value);
  const message = value instanceof Error ? value.message : String(value);
  return new ParascribeError('INTERNAL', message, { cause: value });
}

/** Whether a code read back from elsewhere (a store row, another process) is one of ours. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
