/**
 * HTTP outcomes → ParascribeError. Retryable: network failures, our per-attempt timeout, 408, 409,
 * 429 and 5xx, and a 200 whose body is not JSON. Of these, all but the unusable 200 are `transient`
 * (retried within the segment's time budget; the unusable body counts against maxAttempts: see
 * queue/retry.ts). Not retryable: other 4xx (400, 404, 413, 415, 422...).
 * 401/403 mean the key or account is wrong: BACKEND_UNAVAILABLE. Messages are one line and never hold
 * the API key (it is redacted even when the server echoes it).
 */
import { ParascribeError, type ErrorCode } from '../../errors.js';
import { parseRetryAfterMs } from '../../queue/retry.js';

export interface ErrorContext {
  instanceId: string;
  url: string;
  apiKey?: string | undefined;
}

const MAX_MESSAGE = 300;

export function redact(text: string, apiKey: string | undefined): string {
  let out = text;
  if (apiKey) out = out.split(apiKey).join('***');
  // Bearer tokens and sk-… keys that are not ours (e.g. echoed by a proxy) go too.
  return out.replace(/Bearer\s+\S+/gi, 'Bearer ***').replace(/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-***');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

/** The server's own words: OpenAI's `{error:{message,type,code}}`, `{error:"..."}`, `{detail}` or text. */
export function serverMessage(body: string): string {
  try {
    const json = JSON.parse(body) as unknown;
    if (json && typeof json === 'object') {
      const { error, detail, message } = json as { error?: unknown; detail?: unknown; message?: unknown };
      if (error && typeof error === 'object') {
        const e = error as { message?: unknown; type?: unknown; code?: unknown };
        const tag = [e.type, e.code].filter((v) => typeof v === 'string' && v.length > 0).join('/');
        if (typeof e.message === 'string') return tag ? `${e.message} (${tag})` : e.message;
      }
      if (typeof error === 'string') return error;
      if (typeof detail === 'string') return detail;
      if (detail !== undefined) return JSON.stringify(detail);
      if (typeof message === 'string') return message;
    }
  } catch {
    // not JSON: the text itself
  }
  return body;
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function httpError(status: number, body: string, headers: Headers, context: ErrorContext): ParascribeError {
  const code: ErrorCode = status === 401 || status === 403 ? 'BACKEND_UNAVAILABLE' : 'BACKEND_FAILED';
  const retryAfterMs = parseRetryAfterMs(headers);
  const said = oneLine(redact(serverMessage(body), context.apiKey)) || '(empty body)';
  return new ParascribeError(code, `backend "${context.instanceId}": HTTP ${status} from ${context.url}: ${said}`, {
    isRetryable: isRetryableStatus(status),
    details: { status, retryAfterMs, backend: context.instanceId, serverMessage: said, transient: isRetryableStatus(status) },
  });
}

/** A 200 whose body we cannot use (truncated or broken JSON, an HTML error page...): retry. */
export function malformedError(status: number, why: string, context: ErrorContext): ParascribeError {
  return new ParascribeError('BACKEND_FAILED', `backend "${context.instanceId}": HTTP ${status} from ${context.url} with an unusable body (${oneLine(why)})`, {
    isRetryable: true,
    details: { status, retryAfterMs: undefined, backend: context.instanceId },
  });
}

function causeCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function causeMessage(error: unknown): string {
  let last = error instanceof Error ? error.message : String(error);
  for (let e: unknown = (error as { cause?: unknown })?.cause, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) last = e.message;
  return last;
}

/**
 * Anything fetch (or reading the body) threw. `callerSignal` aborted → ABORTED; our own timer →
 * SEGMENT_TIMEOUT; otherwise a network failure (refused, reset, hang-up, DNS): retryable.
 */
export function transportError(error: unknown, callerSignal: AbortSignal, timedOut: boolean, timeoutSec: number, context: ErrorContext): ParascribeError {
  const details = { status: undefined, retryAfterMs: undefined, backend: context.instanceId, transient: true };
  if (callerSignal.aborted) return new ParascribeError('ABORTED', `backend "${context.instanceId}": request aborted`, { details });
  if (timedOut) {
    return new ParascribeError('SEGMENT_TIMEOUT', `backend "${context.instanceId}": no answer from ${context.url} within ${timeoutSec} s`, {
      isRetryable: true,
      details,
    });
  }
  if (error instanceof ParascribeError) return error;
  const code = causeCode(error);
  const what = oneLine(redact([code, causeMessage(error)].filter(Boolean).join(': '), context.apiKey));
  return new ParascribeError('BACKEND_FAILED', `backend "${context.instanceId}": network error talking to ${context.url}: ${what}`, {
    isRetryable: true,
    details: { ...details, errno: code },
  });
}
