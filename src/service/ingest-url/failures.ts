/** The ParascribeErrors that URL ingestion throws, with one-line messages meant for API users. */
import { STATUS_CODES } from 'node:http';
import { ParascribeError } from '../../errors.js';

export function refused(message: string): ParascribeError {
  return new ParascribeError('URL_REFUSED', `URL refused: ${message}`);
}

export function fetchFailed(message: string, options: { retryable?: boolean; cause?: unknown } = {}): ParascribeError {
  return new ParascribeError('URL_FETCH_FAILED', message, {
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    ...(options.retryable === undefined ? {} : { isRetryable: options.retryable }),
  });
}

export function tooLarge(message: string): ParascribeError {
  return new ParascribeError('PAYLOAD_TOO_LARGE', message);
}

export function aborted(cause: unknown): ParascribeError {
  return new ParascribeError('ABORTED', 'the download was aborted', { cause });
}

/** Non-2xx answer. 4xx are permanent except 408 (timeout) and 429 (rate limited); 5xx may be retried. */
export function httpStatusError(status: number): ParascribeError {
  const text = STATUS_CODES[status];
  const retryable = status >= 500 || status === 408 || status === 429;
  return fetchFailed(`the server answered HTTP ${status}${text ? ` ${text}` : ''}`, { retryable });
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const NETWORK_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ERR_STREAM_PREMATURE_CLOSE: 'the connection closed before the download finished',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  HPE_INVALID_CONSTANT: 'the server sent an invalid HTTP response',
  HPE_INVALID_HEADER_TOKEN: 'the server sent an invalid HTTP header',
  HPE_HEADER_OVERFLOW: 'the server sent HTTP headers that are too large',
};

/** A short, single-line reason for a socket/TLS/parser error. */
export function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  if (code && NETWORK_MESSAGES[code]) return NETWORK_MESSAGES[code];
  if (code && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))) return `TLS error (${code})`;
  if (code) return code;
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').trim().slice(0, 200) || 'unknown network error';
}

export function diskError(err: unknown): ParascribeError {
  const code = errorCode(err);
  return new ParascribeError('INTERNAL', `could not store the download on the server${code ? ` (${code})` : ''}`, { cause: err });
}
