/**
 * Short-lived signed URLs for segment audio: the API server holds the decoded recording, workers on
 * other machines fetch just their segment over HTTP (no shared filesystem). The signature (HMAC-SHA256
 * with the deployment's worker secret) covers the job, segment, byte range and expiry, so a URL grants
 * exactly one segment's audio until it expires.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SEGMENT_AUDIO_PATH = '/internal/v1/segments';

export interface SegmentAudioRef {
  jobId: string;
  index: number;
  startSec: number;
  endSec: number;
}

function signature(secret: string, ref: SegmentAudioRef, expiresAtSec: number): string {
  return createHmac('sha256', secret).update(`${ref.jobId}\n${ref.index}\n${ref.startSec}\n${ref.endSec}\n${expiresAtSec}`).digest('base64url');
}

export function signSegmentUrl(baseUrl: string, secret: string, ref: SegmentAudioRef, ttlSec: number, nowSec = Date.now() / 1000): string {
  const exp = Math.ceil(nowSec + ttlSec);
  const url = new URL(`${SEGMENT_AUDIO_PATH}/${encodeURIComponent(ref.jobId)}/${ref.index}`, baseUrl);
  url.search = new URLSearchParams({ start: String(ref.startSec), end: String(ref.endSec), exp: String(exp), sig: signature(secret, ref, exp) }).toString();
  return url.toString();
}

export type Verified = { ok: true; ref: SegmentAudioRef } | { ok: false; reason: 'malformed' | 'bad signature' | 'expired' };

/** Checks a request's path parameters and query against the secret. */
export function verifySegmentUrl(secret: string, jobId: string, indexText: string, query: (name: string) => string | undefined, nowSec = Date.now() / 1000): Verified {
  const [start, end, exp, sig] = ['start', 'end', 'exp', 'sig'].map(query);
  const numbers = [indexText, start, end, exp].map((v) => (v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN));
  if (numbers.some(Number.isNaN) || !sig || !/^[a-z0-9]{1,64}$/.test(jobId) || !Number.isInteger(numbers[0])) return { ok: false, reason: 'malformed' };
  const ref = { jobId, index: numbers[0]!, startSec: numbers[1]!, endSec: numbers[2]! };
  const expected = Buffer.from(signature(secret, ref, numbers[3]!));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  if (numbers[3]! < nowSec) return { ok: false, reason: 'expired' };
  return { ok: true, ref };
}
