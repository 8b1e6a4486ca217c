/**
 * Signed, short-lived URLs for a job's audio. A browser's <audio> element fetches its source itself,
 * with Range requests but without an Authorization header, and the API key must never be put in a URL;
 * so the UI asks `POST /v1/jobs/:id/audio-url` (with its key) for a URL that grants that one job's
 * audio until it expires: the HMAC-SHA256 signature over the job id and the expiry is the credential.
 * The secret is random per server process (a restart invalidates the URLs; the UI asks again), or,
 * with several servers on one PostgreSQL store, one they share (runtime.cluster), so that a URL
 * signed by one server plays on every other.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const MEDIA_AUDIO_PATH = '/media/jobs';
export const AUDIO_URL_TTL_SEC = 6 * 3600;

export class AudioUrls {
  readonly #secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  #signature(jobId: string, exp: number): string {
    return createHmac('sha256', this.#secret).update(`audio\n${jobId}\n${exp}`).digest('base64url');
  }

  /** A path with query (relative to the server's origin) and when it expires (epoch seconds). */
  sign(jobId: string, ttlSec = AUDIO_URL_TTL_SEC, nowSec = Date.now() / 1000): { path: string; expiresAtSec: number } {
    const exp = Math.ceil(nowSec + ttlSec);
    const query = new URLSearchParams({ exp: String(exp), sig: this.#signature(jobId, exp) });
    return { path: `${MEDIA_AUDIO_PATH}/${encodeURIComponent(jobId)}/audio?${query}`, expiresAtSec: exp };
  }

  verify(jobId: string, expText: string | undefined, sig: string | undefined, nowSec = Date.now() / 1000): 'ok' | 'malformed' | 'bad signature' | 'expired' {
    if (!expText || !/^\d{1,12}$/.test(expText) || !sig || sig.length > 100) return 'malformed';
    const exp = Number(expText);
    const expected = Buffer.from(this.#signature(jobId, exp));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad signature';
    return exp < nowSec ? 'expired' : 'ok';
  }
}
