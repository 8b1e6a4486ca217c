/**
 * Open event streams per API key (`serve.maxStreamsPerKey`). Each SSE response holds a connection,
 * a job watcher and timers for as long as the client keeps it, so one key could hold thousands. A
 * stream counts from its answer until its body ends or the client goes away; past the limit the
 * request is refused with 429 TOO_MANY_STREAMS and Retry-After. State lives in the instance.
 */
import type { MiddlewareHandler } from 'hono';
import { ParascribeError } from '../../errors.js';
import type { AuthEnv } from '../auth/index.js';

/** Retry-After of a refused stream: streams end when their job does, or when a client drops one. */
export const STREAM_RETRY_AFTER_SEC = 5;

export class OpenStreams {
  readonly #open = new Map<string, number>();

  constructor(private readonly maxPerKey: number) {}

  count(owner: string): number {
    return this.#open.get(owner) ?? 0;
  }

  /** Takes a stream slot for `owner` (or throws TOO_MANY_STREAMS); the returned release is idempotent. */
  acquire(owner: string): () => void {
    const open = this.count(owner);
    if (open >= this.maxPerKey) {
      throw new ParascribeError('TOO_MANY_STREAMS', `${open} event streams are open for your key, the most it may hold (serve.maxStreamsPerKey = ${this.maxPerKey}); close one, or poll GET /v1/jobs/{id}`, {
        details: { retryAfterSec: STREAM_RETRY_AFTER_SEC, maxStreamsPerKey: this.maxPerKey },
      });
    }
    this.#open.set(owner, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(owner) - 1;
      if (left > 0) this.#open.set(owner, left);
      else this.#open.delete(owner);
    };
  }

  /**
   * The response with its slot held until the body has been read to its end or cancelled (the client
   * went away); a response without a body releases at once.
   */
  hold(response: Response, release: () => void): Response {
    if (!response.body) {
      release();
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            release();
            controller.close();
          } else controller.enqueue(value);
        } catch (error) {
          release();
          controller.error(error);
        }
      },
      async cancel(reason) {
        release();
        await reader.cancel(reason).catch(() => undefined);
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  }
}

/** For routes that always stream (GET /v1/jobs/:id/events): the slot is taken before the route runs. */
export function streamLimit(streams: OpenStreams): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const release = streams.acquire(c.get('owner'));
    try {
      await next();
    } catch (error) {
      release();
      throw error;
    }
    // An error answer (another owner's job...) is not a stream: its slot goes back at once.
    if (!(c.res.headers.get('content-type') ?? '').startsWith('text/event-stream')) release();
    else c.res = streams.hold(c.res, release);
  };
}
