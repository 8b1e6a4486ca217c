/**
 * Errors as the API shows them: `{ error: { code, message } }` with the status the code implies.
 * Unknown errors become a 500 with a generic message (the detail goes to the server log, never to
 * the client).
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toParascribeError, type ErrorCode, type ParascribeError } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  INVALID_ARGUMENT: 400,
  INVALID_CONFIG: 400,
  UNKNOWN_BACKEND: 400,
  UNSUPPORTED_LANGUAGE: 400,
  URL_REFUSED: 400,
  UNAUTHORIZED: 401,
  JOB_NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  ABORTED: 409,
  NOT_READY: 409,
  PAYLOAD_TOO_LARGE: 413,
  NOT_AUDIO: 415,
  CORRUPT_AUDIO: 422,
  EMPTY_AUDIO: 422,
  RATE_LIMITED: 429,
  URL_FETCH_FAILED: 502,
  BACKEND_UNAVAILABLE: 503,
  BREAKER_OPEN: 503,
  TOOL_MISSING: 503,
  SEGMENT_TIMEOUT: 504,
};

export function statusForCode(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? (code === 'BACKEND_FAILED' ? 502 : 500);
}

export function errorBody(error: ParascribeError): { error: { code: string; message: string } } {
  const internal = statusForCode(error.code) === 500;
  return { error: { code: error.code, message: internal ? 'internal error (see the server log)' : error.message } };
}

export function errorResponse(c: Context, thrown: unknown, log?: (line: string) => void): Response {
  const error = toParascribeError(thrown);
  const status = statusForCode(error.code);
  if (status >= 500) log?.(`${c.req.method} ${c.req.path}: ${error.code}: ${error.message}`);
  const retryAfterSec = error.details?.retryAfterSec;
  // The body of a refused upload may be unread: the socket must not be reused for the next request.
  if (c.req.method === 'POST') c.header('Connection', 'close');
  if (typeof retryAfterSec === 'number') c.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterSec))));
  return c.json(errorBody(error), status);
}
