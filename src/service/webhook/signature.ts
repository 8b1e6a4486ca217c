/**
 * Webhook signatures, Stripe / Standard Webhooks style:
 *
 *   Parascribe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The timestamp is inside the signed text, so a captured request cannot be replayed outside the
 * receiver's tolerance window. `verifyWebhook` accepts several `v1=` entries (a sender rotating its
 * secret may send one per secret) and compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ParascribeError } from '../../errors.js';

export const SIGNATURE_HEADER = 'Parascribe-Signature';
/** Receivers reject signatures whose timestamp is further than this from their clock (either way). */
export const DEFAULT_TOLERANCE_SEC = 300;

function hmacHex(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`, 'utf8').digest('hex');
}

/** The `Parascribe-Signature` header value for `body` sent at `timestampSec` (whole unix seconds). */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  if (secret.length === 0) throw new ParascribeError('INVALID_ARGUMENT', 'webhook secret is empty');
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new ParascribeError('INVALID_ARGUMENT', `webhook timestamp must be whole unix seconds, got ${timestampSec}`);
  }
  return `t=${timestampSec},v1=${hmacHex(secret, timestampSec, body)}`;
}

/**
 * True when `header` carries a v1 signature of `body` under `secret` whose timestamp is within
 * `toleranceSec` of `nowSec` (past or future). Never throws: a malformed header is just false.
 * `body` must be the raw request body, byte for byte as received (not re-serialised JSON).
 */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  toleranceSec: number = DEFAULT_TOLERANCE_SEC,
  nowSec: number = Date.now() / 1000,
): boolean {
  if (secret.length === 0 || typeof header !== 'string') return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,15}$/.test(value)) return false;
      timestamp = Number(value);
    } else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) {
      candidates.push(value.toLowerCase());
    }
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (!(Math.abs(nowSec - timestamp) <= toleranceSec)) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  let ok = false;
  // Every candidate is compared (no early exit), each in constant time; lengths are fixed by the regex.
  for (const candidate of candidates) ok = timingSafeEqual(expected, Buffer.from(candidate, 'hex')) || ok;
  return ok;
}
