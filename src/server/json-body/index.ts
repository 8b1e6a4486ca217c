/**
 * A small JSON request body, read with the same guards as an upload: a size cap whether or not the
 * client declared a Content-Length (a chunked body is counted as it arrives, never buffered past the
 * cap), the idle timeout between chunks, a minimum average rate (a body trickled in a byte a second
 * is cut off), and the client going away. `c.req.json()` has none of these.
 */
import { ParascribeError } from '../../errors.js';
import { BodyPace } from '../body-pace.js';
import { bodyTooLarge } from '../body-limit/index.js';

export interface JsonBodyOptions {
  /** `serve.maxJsonBodyKb`: the body-limit middleware's cap, counted here again for a route reached without it. */
  maxKb: number;
  idleTimeoutMs: number;
  /** Average bytes per second the body must keep up once `idleTimeoutMs` has passed (0: no minimum). */
  minBytesPerSec: number;
  /** The INVALID_ARGUMENT message for a body that is not JSON. */
  invalidMessage: string;
}

export async function readJsonBody(request: Request, options: JsonBodyOptions): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxKb * 1024) throw bodyTooLarge(options.maxKb);
  if (!request.body) throw new ParascribeError('INVALID_ARGUMENT', options.invalidMessage);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let failure: ParascribeError | undefined;
  const pace = new BodyPace({ ...options, noun: 'the request body' }, (error) => {
    failure ??= error;
    void reader.cancel().catch(() => undefined);
  });
  const onAbort = () => {
    failure ??= new ParascribeError('ABORTED', 'the client went away during the request');
    void reader.cancel().catch(() => undefined);
  };
  request.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw failure ?? new ParascribeError('ABORTED', `the request body was cut off: ${(error as Error).message}`);
      }
      if (failure) throw failure;
      if (chunk.done) break;
      chunks.push(chunk.value);
      pace.bytes(chunk.value.length);
      if (pace.total > options.maxKb * 1024) {
        await reader.cancel().catch(() => undefined);
        throw bodyTooLarge(options.maxKb);
      }
    }
    if (failure) throw failure;
  } finally {
    pace.stop();
    request.signal.removeEventListener('abort', onAbort);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ParascribeError('INVALID_ARGUMENT', options.invalidMessage);
  }
}
