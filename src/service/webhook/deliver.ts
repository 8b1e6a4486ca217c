/**
 * Webhook delivery: POST a job's summary to its `webhook_url`, signed (see signature.ts), retried with
 * the shared full-jitter backoff (queue/retry.ts) on network errors, timeouts, 408, 409, 425, 429 and
 * 5xx. A Retry-After on a retryable reply is a floor under the backoff. Other 4xx and every 3xx are
 * final (redirects are never followed: a receiver that moved must be re-registered).
 *
 * Delivery failure never throws: the result says `delivered: false` and carries the attempt log.
 * Bad arguments throw INVALID_ARGUMENT before anything is sent. Aborting `signal` stops at once (an
 * in-flight request is cancelled, a pending wait cut short) and REJECTS with ParascribeError
 * `ABORTED`, whose `details.attempts` holds the log so far.
 */
import { ParascribeError } from '../../errors.js';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, parseRetryAfterMs, sleep as abortableSleep, type RetryPolicy } from '../../queue/retry.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';

export type WebhookEvent = 'job.completed' | 'job.failed' | 'job.cancelled';
const EVENTS: readonly string[] = ['job.completed', 'job.failed', 'job.cancelled'] satisfies WebhookEvent[];

export interface WebhookDelivery {
  url: string;
  event: WebhookEvent;
  /** JSON-serialisable job summary; serialised once, the same bytes on every attempt. */
  payload: unknown;
  /** Unique per job+event, stable across retries: receivers dedupe on it. Visible ASCII, ≤ 200 chars. */
  deliveryId: string;
}

export interface WebhookOptions {
  secret: string;
  /** Attempts in all, the first included (default 6). */
  maxAttempts?: number;
  /** Per attempt, until the response headers arrive (default 10 000 ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Clock in epoch MILLISECONDS (like Date.now); signs each attempt and stamps `atSec`. */
  now?: () => number;
  /** Waits between attempts; must reject or return early when `signal` aborts (default: real timer). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Backoff base and cap; defaults from DEFAULT_RETRY_POLICY. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this ends the delivery instead of holding it (default 300 000 ms). */
  maxRetryAfterMs?: number;
  /** Jitter source for the backoff (default Math.random); tests pin it. */
  random?: () => number;
}

export interface WebhookAttempt {
  /** When the attempt started, epoch seconds with millisecond precision (the signature's t is its floor). */
  atSec: number;
  /** HTTP status, or null when no response arrived (network error, timeout, abort). */
  status: number | null;
  /** Why the attempt did not deliver; null on success. */
  error: string | null;
  /** Wait before this attempt (backoff or Retry-After, whichever is longer); 0 for the first. */
  waitedMs: number;
}

export interface WebhookResult {
  delivered: boolean;
  attempts: WebhookAttempt[];
}

export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 6;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 300_000;
const USER_AGENT = 'parascribe-webhook/1';
const MAX_TIMER_MS = 2_147_483_647; // setTimeout fires at once beyond this

/** 408 Request Timeout, 409 Conflict, 425 Too Early, 429 Too Many Requests and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'failed'; status: number | null; error: string; retryable: boolean; retryAfterMs: number | undefined }
  | { kind: 'aborted' };

function invalid(message: string): ParascribeError {
  return new ParascribeError('INVALID_ARGUMENT', `webhook: ${message}`);
}

function checkNumber(name: string, value: number, min: number, max: number, integer = false): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw invalid(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function serialise(payload: unknown): string {
  let body: string | undefined;
  try {
    body = JSON.stringify(payload);
  } catch (error) {
    throw invalid(`payload is not JSON-serialisable (${error instanceof Error ? error.message : String(error)})`);
  }
  if (body === undefined) throw invalid('payload is not JSON-serialisable');
  return body;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(`"${url}" is not http(s)`);
  if (parsed.username || parsed.password) throw invalid('URLs with credentials are refused');
  return parsed.href;
}

/** One line: fetch's "fetch failed" hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function describe(thrown: unknown): string {
  const cause = (thrown as { cause?: unknown } | null)?.cause as { code?: unknown; message?: unknown } | undefined;
  const parts = [cause?.code, cause?.message ?? (thrown instanceof Error ? thrown.message : String(thrown))];
  return parts.filter((p) => typeof p === 'string' && p.length > 0).join(' ').replace(/\s+/g, ' ').slice(0, 300);
}

async function attemptOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number, nowMs: number, signal: AbortSignal | undefined): Promise<Outcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal });
    // What the receiver says is not read; cancelling releases the connection.
    await response.body?.cancel().catch(() => undefined);
    const { status } = response;
    if (status >= 200 && status <= 299) return { kind: 'delivered', status };
    if (status >= 300 && status <= 399) {
      const location = (response.headers.get('location') ?? '').slice(0, 200);
      return { kind: 'failed', status, error: `HTTP ${status} redirect${location ? ` to ${location}` : ''} not followed`, retryable: false, retryAfterMs: undefined };
    }
    const retryable = isRetryableStatus(status);
    const retryAfterMs = retryable ? parseRetryAfterMs(response.headers, nowMs) : undefined;
    return { kind: 'failed', status, error: `HTTP ${status}`, retryable, retryAfterMs };
  } catch (thrown) {
    if (signal?.aborted) return { kind: 'aborted' };
    if (timedOut) return { kind: 'failed', status: null, error: `timeout: no response within ${timeoutMs} ms`, retryable: true, retryAfterMs: undefined };
    return { kind: 'failed', status: null, error: `network error: ${describe(thrown)}`, retryable: true, retryAfterMs: undefined };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function aborted(delivery: WebhookDelivery, attempts: WebhookAttempt[], cause?: unknown): ParascribeError {
  return new ParascribeError('ABORTED', `webhook ${delivery.deliveryId}: delivery aborted after ${attempts.length} attempt(s)`, {
    cause,
    details: { deliveryId: delivery.deliveryId, attempts },
  });
}

export async function deliverWebhook(delivery: WebhookDelivery, options: WebhookOptions): Promise<WebhookResult> {
  if (typeof options.secret !== 'string' || options.secret.length === 0) throw invalid('secret is empty');
  if (!EVENTS.includes(delivery.event)) throw invalid(`unknown event "${String(delivery.event)}"`);
  if (typeof delivery.deliveryId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(delivery.deliveryId)) {
    throw invalid('deliveryId must be 1-200 visible ASCII characters');
  }
  const url = checkUrl(delivery.url);
  const body = serialise(delivery.payload);
  const maxAttempts = checkNumber('maxAttempts', options.maxAttempts ?? DEFAULT_WEBHOOK_MAX_ATTEMPTS, 1, 100, true);
  const timeoutMs = checkNumber('timeoutMs', options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS, 1, MAX_TIMER_MS);
  const maxRetryAfterMs = checkNumber('maxRetryAfterMs', options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS, 0, MAX_TIMER_MS);
  const policy: RetryPolicy = {
    maxAttempts,
    baseDelayMs: checkNumber('baseDelayMs', options.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs, 0, MAX_TIMER_MS),
    maxDelayMs: checkNumber('maxDelayMs', options.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs, 0, MAX_TIMER_MS),
  };
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const { signal } = options;

  const attempts: WebhookAttempt[] = [];
  let waitMs = 0;
  if (signal?.aborted) throw aborted(delivery, attempts);
  for (let n = 1; n <= maxAttempts; n++) {
    if (n > 1) {
      try {
        await sleep(waitMs, signal);
      } catch (error) {
        if (signal?.aborted) throw aborted(delivery, attempts, error);
        throw error;
      }
      if (signal?.aborted) throw aborted(delivery, attempts);
    }
    const nowMs = now();
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      'Parascribe-Event': delivery.event,
      'Parascribe-Delivery': delivery.deliveryId,
      [SIGNATURE_HEADER]: signWebhook(options.secret, Math.floor(nowMs / 1000), body),
    };
    const outcome = await attemptOnce(url, headers, body, timeoutMs, nowMs, signal);
    const attempt: WebhookAttempt = { atSec: nowMs / 1000, status: null, error: 'aborted', waitedMs: n === 1 ? 0 : waitMs };
    attempts.push(attempt);
    if (outcome.kind === 'aborted') throw aborted(delivery, attempts);
    attempt.status = outcome.status;
    if (outcome.kind === 'delivered') {
      attempt.error = null;
      return { delivered: true, attempts };
    }
    attempt.error = outcome.error;
    if (!outcome.retryable || n === maxAttempts) break;
    const retryAfterMs = outcome.retryAfterMs ?? 0;
    if (retryAfterMs > maxRetryAfterMs) {
      attempt.error += ` (Retry-After ${retryAfterMs} ms is over the ${maxRetryAfterMs} ms limit: not retried)`;
      break;
    }
    // Same rule as withRetry: the server's Retry-After is a floor under our jittered backoff.
    waitMs = Math.max(backoffDelayMs(n, policy, options.random), retryAfterMs);
  }
  return { delivered: false, attempts };
}
