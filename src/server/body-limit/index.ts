/**
 * The size limit of request bodies that are not uploads (`serve.maxJsonBodyKb`): JSON job requests,
 * ask questions, MCP messages. Those are read into memory, so they are bounded here, before any route
 * parses them: by Content-Length when sent, else while a chunked body streams in. Multipart uploads
 * stream to disk under their own limit (`serve.maxUploadMb`, multipart/) and pass through.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ParascribeError } from '../../errors.js';

/** The one refusal of an over-limit body, whether this middleware or a route's reader (json-body/) counts it. */
export function bodyTooLarge(maxKb: number): ParascribeError {
  return new ParascribeError('PAYLOAD_TOO_LARGE', `a request body other than an upload is at most ${maxKb} KiB (serve.maxJsonBodyKb)`, { details: { maxJsonBodyKb: maxKb } });
}

export function jsonBodyLimit(maxKb: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: Math.floor(maxKb * 1024),
    onError: () => {
      throw bodyTooLarge(maxKb);
    },
  });
  return async (c, next) => {
    if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) return next();
    return limit(c, next);
  };
}

/**
 * Reads and drops what is left of a refused request's body, up to `maxBytes` or `timeoutMs`: a client
 * still sending when the answer comes and the connection closes reads a reset, not our answer. Past
 * either bound it stops (the connection then closes anyway: a refusal must stay cheap).
 */
export async function discardBody(body: ReadableStream<Uint8Array> | null, maxBytes = 1024 * 1024, timeoutMs = 5_000): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), timeoutMs);
  try {
    for (let read = 0; read <= maxBytes; ) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.length;
    }
    await reader.cancel().catch(() => undefined);
  } catch {
    // The client went away: nothing left to drain.
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}
