/**
 * The pace of a request body as it streams in: fails it (REQUEST_TIMEOUT) when no byte has come for
 * `idleTimeoutMs`, or when, once `idleTimeoutMs` has passed, the average rate is under
 * `minBytesPerSec`, so a client trickling a byte a second (each byte resetting an idle timer) cannot
 * hold a connection, a job directory and a file open for the whole request timeout.
 */
import { ParascribeError } from '../errors.js';

export interface PaceOptions {
  idleTimeoutMs: number;
  /** 0: no minimum rate. */
  minBytesPerSec: number;
  /** What the messages call the body (default "the upload"). */
  noun?: string;
}

/** Too slow? Pure: the rate check alone, for tests with tables of cases. */
export function tooSlow(totalBytes: number, elapsedMs: number, options: PaceOptions): boolean {
  if (options.minBytesPerSec <= 0 || elapsedMs < options.idleTimeoutMs) return false;
  return totalBytes / (elapsedMs / 1000) < options.minBytesPerSec;
}

export class BodyPace {
  total = 0;
  readonly #started = performance.now();
  #idle: NodeJS.Timeout | undefined;
  #rate: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly options: PaceOptions,
    private readonly fail: (error: ParascribeError) => void,
  ) {
    this.#arm();
    // The rate is checked on a clock too: a client that sends a byte just before each idle timeout
    // would otherwise only be looked at when its bytes arrive.
    if (options.minBytesPerSec > 0) {
      this.#rate = setInterval(() => this.#checkRate(), Math.max(250, Math.min(5_000, options.idleTimeoutMs / 2)));
      this.#rate.unref();
    }
  }

  bytes(count: number): void {
    this.total += count;
    this.#arm();
    this.#checkRate();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#idle);
    clearInterval(this.#rate);
  }

  #arm(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#failOnce(new ParascribeError('REQUEST_TIMEOUT', `${this.options.noun ?? 'the upload'} stalled for ${this.options.idleTimeoutMs / 1000} s`)), this.options.idleTimeoutMs);
  }

  #checkRate(): void {
    const elapsedMs = performance.now() - this.#started;
    if (tooSlow(this.total, elapsedMs, this.options)) {
      const rate = Math.round(this.total / (elapsedMs / 1000));
      this.#failOnce(new ParascribeError('REQUEST_TIMEOUT', `${this.options.noun ?? 'the upload'} is arriving too slowly (${rate} bytes/s, under the minimum of ${this.options.minBytesPerSec})`));
    }
  }

  #failOnce(error: ParascribeError): void {
    if (this.#stopped) return;
    this.stop();
    this.fail(error);
  }
}

/**
 * The same request with its body paced: a body that stalls or trickles errors out (REQUEST_TIMEOUT) for
 * whoever reads it, for readers we do not write (the MCP SDK's transport reads its own body).
 */
export function pacedRequest(request: Request, options: PaceOptions): Request {
  if (!request.body) return request;
  const reader = request.body.getReader();
  let pace: BodyPace | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      pace = new BodyPace(options, (error) => {
        controller.error(error);
        void reader.cancel(error).catch(() => undefined);
      });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          pace?.stop();
          controller.close();
          return;
        }
        pace?.bytes(value.byteLength);
        controller.enqueue(value);
      } catch (error) {
        pace?.stop();
        controller.error(error);
      }
    },
    cancel(reason) {
      pace?.stop();
      return reader.cancel(reason);
    },
  });
  return new Request(request, { body, duplex: 'half' } as RequestInit);
}
