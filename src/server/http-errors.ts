/**
 * Errors as the API shows them: `{ error: { code, message } }` with the status the code implies.
 * Unknown errors become a 500 with a generic message (the detail goes to the server log, never to
 * the client).
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toParascribeError, type ErrorCode, type ParascribeError } from '../errors.js';
import { clientMessage } from '../service/client-message.js';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  INVALID_ARGUMENT: 400,
  INVALID_CONFIG: 400,
  UNKNOWN_BACKEND: 400,
  UNSUPPORTED_LANGUAGE: 400,
  URL_REFUSED: 400,
  PATH_REFUSED: 403,
  UNAUTHORIZED: 401,
  JOB_NOT_FOUND: 404,
  AUDIO_GONE: 410,
  REQUEST_TIMEOUT: 408,
  ABORTED: 409,
  NOT_READY: 409,
  PAYLOAD_TOO_LARGE: 413,
  AUDIO_TOO_LONG: 413,
  DECODE_TIMEOUT: 413,
  NOT_AUDIO: 415,
  UNSUPPORTED_FORMAT: 415,
  // 507 Insufficient Storage, with Retry-After: the request was fine, the server's disk is full.
  STORAGE_FULL: 507,
  CORRUPT_AUDIO: 422,
  EMPTY_AUDIO: 422,
  RATE_LIMITED: 429,
  QUEUE_FULL: 429,
  TOO_MANY_STREAMS: 429,
  URL_FETCH_FAILED: 502,
  BACKEND_UNAVAILABLE: 503,
  BREAKER_OPEN: 503,
  TOOL_MISSING: 503,
  SEGMENT_TIMEOUT: 504,
  // 501, not 503: a server without an `llm` section will not grow one by retrying; 503 says "try later".
  LLM_NOT_CONFIGURED: 501,
  LLM_FAILED: 502,
};

export function statusForCode(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? (code === 'BACKEND_FAILED' ? 502 : 500);
}

/**
 * The JSON error body. The message goes through clientMessage, so no server path reaches a client
 * (`dataDir` and any other absolute path are replaced); a 500's message is generic.
 */
export function errorBody(error: ParascribeError, dataDir?: string): { error: { code: string; message: string } } {
  const internal = statusForCode(error.code) === 500;
  const known = dataDir ? [{ path: dataDir, as: '[server path]' }] : [];
  return { error: { code: error.code, message: internal ? 'internal error (see the server log)' : clientMessage(error.message, known) } };
}

export interface ErrorResponseOptions {
  /** The server log: gets the full message of every 5xx. */
  log?: (line: string) => void;
  dataDir?: string;
}

export function errorResponse(c: Context, thrown: unknown, options: ErrorResponseOptions = {}): Response {
  const error = toParascribeError(thrown);
  const status = statusForCode(error.code);
  if (status >= 500) options.log?.(`${c.req.method} ${c.req.path}: ${error.code}: ${error.message}`);
  const retryAfterSec = error.details?.retryAfterSec;
  // The body of a refused upload may be unread: the socket must not be reused for the next request.
  if (c.req.method === 'POST') c.header('Connection', 'close');
  if (typeof retryAfterSec === 'number') c.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterSec))));
  return c.json(errorBody(error, options.dataDir), status);
}
