/**
 * The one LLM client: streamed OpenAI-compatible chat (`POST {baseURL}/chat/completions` with
 * `stream: true`) over fetch. Failure handling is the process's shared kind: withRetry's backoff with
 * full jitter (Retry-After as a floor), a CircuitBreaker, and typed errors (LLM_FAILED, retryable per
 * status; BREAKER_OPEN). Two timeouts: `idleTimeoutMs` of silence (before the first chunk or between
 * chunks) catches a hung server early; `timeoutMs` bounds the whole answer.
 *
 * Retries happen only before the first piece of the answer was handed on: after that the caller has
 * shown text, and a second attempt would answer differently and repeat it. A failure mid-answer is
 * therefore final (LLM_FAILED, not retryable).
 */
import { ParascribeError, toParascribeError } from '../errors.js';
import type { CircuitBreaker } from '../queue/breaker.js';
import { parseRetryAfterMs, withRetry, type RetryPolicy } from '../queue/retry.js';
import type { LlmSettings } from './settings.js';
import { sseData } from './sse.js';
import { estimatePromptTokens, estimateTokens } from './tokens.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Default: the settings' maxAnswerTokens. */
  maxTokens?: number;
  signal?: AbortSignal;
  /** Each piece of the answer as it arrives (only ever from one attempt: see the header). */
  onDelta?: (text: string) => void;
}

export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
  /** The server reported no usage: ~4 characters per token (tokens.ts). */
  estimated: boolean;
}

export interface ChatAnswer {
  text: string;
  usage: ChatUsage;
  finishReason: string | null;
  /** The model the server says answered (may differ from the one asked for, e.g. a LiteLLM alias). */
  model: string;
  attempts: number;
  /** From the start of the successful attempt's request to its first piece of text. */
  firstTokenMs: number | null;
}

export interface ChatClientDeps {
  breaker: CircuitBreaker;
  /** Its backoff (base and cap) is used; attempts are llm.maxAttempts. */
  retryPolicy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;
  fetch?: typeof fetch;
  onRetry?: (attempt: number, error: ParascribeError, delayMs: number) => void;
}

/** Statuses worth another try: the server is busy, rate-limiting or broken, not refusing the request. */
const RETRYABLE_STATUS = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

interface StreamChunk {
  model?: string;
  choices?: Array<{ delta?: { content?: string | null }; message?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

export class ChatClient {
  readonly #fetch: typeof fetch;

  constructor(
    readonly settings: LlmSettings,
    private readonly deps: ChatClientDeps,
  ) {
    this.#fetch = deps.fetch ?? fetch;
  }

  /** Where errors say the endpoint is: the host only (a URL may carry a key in its query). */
  get endpoint(): string {
    try {
      return new URL(this.settings.baseURL).host;
    } catch {
      return 'the LLM endpoint';
    }
  }

  async chat(request: ChatRequest): Promise<ChatAnswer> {
    const signal = request.signal ?? new AbortController().signal;
    const { breaker } = this.deps;
    let delivered = false;
    return withRetry(
      async (attempt) => {
        if (!breaker.tryAcquire()) {
          const retryAfterSec = Math.ceil(breaker.secondsUntilProbe());
          throw new ParascribeError('BREAKER_OPEN', `the circuit breaker of the LLM endpoint ${this.endpoint} is open after repeated failures; next try in ${retryAfterSec} s`, {
            details: { retryAfterSec },
          });
        }
        try {
          const answer = await this.#attempt(request, signal, () => (delivered = true));
          breaker.onSuccess();
          return { ...answer, attempts: attempt };
        } catch (thrown) {
          const error = toParascribeError(thrown);
          if (signal.aborted) breaker.release();
          // Only the server's own trouble counts against it; a refused request (400, 401) says it is up.
          else if (error.isRetryable) breaker.onFailure();
          else breaker.onSuccess();
          if (delivered && error.isRetryable) throw new ParascribeError('LLM_FAILED', `${error.message} (after the answer had started; not retried)`, { isRetryable: false, cause: error });
          throw error;
        }
      },
      {
        // Someone is waiting for this answer: bounded by llm.maxAttempts, not by the segments' retry budget.
        policy: { baseDelayMs: this.deps.retryPolicy.baseDelayMs, maxDelayMs: this.deps.retryPolicy.maxDelayMs, maxAttempts: this.settings.maxAttempts },
        signal,
        ...(this.deps.onRetry ? { onRetry: this.deps.onRetry } : {}),
      },
    );
  }

  async #attempt(request: ChatRequest, signal: AbortSignal, markDelivered: () => void): Promise<Omit<ChatAnswer, 'attempts'>> {
    const { settings } = this;
    const controller = new AbortController();
    let timedOut: string | undefined;
    const expire = (why: string) => {
      timedOut ??= why;
      controller.abort();
    };
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const total = setTimeout(() => expire(`no complete answer after ${settings.timeoutMs / 1000} s`), settings.timeoutMs);
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => expire(`nothing received for ${settings.idleTimeoutMs / 1000} s`), settings.idleTimeoutMs);
    };
    const started = performance.now();
    try {
      touch();
      const body = {
        model: settings.model,
        messages: request.messages,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: request.maxTokens ?? settings.maxAnswerTokens,
        ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      };
      const response = await this.#fetch(`${settings.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      touch();
      if (!response.ok) throw await this.#httpError(response);
      let text = '';
      let finishReason: string | null = null;
      let model = settings.model;
      let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
      let firstTokenMs: number | null = null;
      let ended = false;
      const take = (chunk: StreamChunk, whole: boolean) => {
        if (chunk.error) throw new ParascribeError('LLM_FAILED', `${this.endpoint}: ${typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? 'error in the stream')}`);
        if (chunk.model) model = chunk.model;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        const piece = (whole ? choice?.message?.content : choice?.delta?.content) ?? '';
        if (piece !== '') {
          firstTokenMs ??= performance.now() - started;
          text += piece;
          markDelivered();
          request.onDelta?.(piece);
        }
        if (choice?.finish_reason) finishReason = choice.finish_reason;
      };
      if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        // A server that ignored `stream: true` sends one completion: take it whole.
        take(JSON.parse(await response.text()) as StreamChunk, true);
        ended = true;
      } else {
        for await (const data of sseData(response.body!, touch)) {
          if (data.trim() === '[DONE]') {
            ended = true;
            break;
          }
          let chunk: StreamChunk;
          try {
            chunk = JSON.parse(data) as StreamChunk;
          } catch {
            throw new ParascribeError('LLM_FAILED', `${this.endpoint}: a stream chunk that is not JSON: ${data.slice(0, 80)}`);
          }
          take(chunk, false);
        }
      }
      // No [DONE] and no finish reason: the connection was cut mid-answer.
      if (!ended && finishReason === null) throw new ParascribeError('LLM_FAILED', `${this.endpoint}: the answer stream ended before it was complete`);
      const reported = usage?.prompt_tokens !== undefined && usage.completion_tokens !== undefined;
      return {
        text,
        finishReason,
        model,
        firstTokenMs,
        usage: reported
          ? { inputTokens: usage!.prompt_tokens!, outputTokens: usage!.completion_tokens!, estimated: false }
          : { inputTokens: estimatePromptTokens(request.messages), outputTokens: estimateTokens(text), estimated: true },
      };
    } catch (thrown) {
      if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted', { cause: thrown });
      if (timedOut) throw new ParascribeError('LLM_FAILED', `${this.endpoint}: ${timedOut}`, { cause: thrown });
      if (thrown instanceof ParascribeError) throw thrown;
      // fetch's TypeError ("fetch failed"), a reset socket mid-stream: the server may be back next time.
      const cause = (thrown as { cause?: { code?: string; message?: string } }).cause;
      throw new ParascribeError('LLM_FAILED', `${this.endpoint}: ${cause?.code ?? cause?.message ?? (thrown as Error).message}`, { cause: thrown });
    } finally {
      clearTimeout(total);
      clearTimeout(idle);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #httpError(response: Response): Promise<ParascribeError> {
    const raw = await response.text().catch(() => '');
    let message = raw.slice(0, 300);
    try {
      const parsed = JSON.parse(raw) as { error?: { message?: string } | string; message?: string };
      message = (typeof parsed.error === 'string' ? parsed.error : parsed.error?.message) ?? parsed.message ?? message;
    } catch {
      // not JSON: the text itself
    }
    // Some servers echo the key they were sent in a 401's message.
    if (this.settings.apiKey) message = message.replaceAll(this.settings.apiKey, '[api key]');
    const retryAfterMs = parseRetryAfterMs(response.headers);
    return new ParascribeError('LLM_FAILED', `${this.endpoint}: HTTP ${response.status}${message ? `: ${message.replace(/\s+/g, ' ').trim().slice(0, 300)}` : ''}`, {
      isRetryable: RETRYABLE_STATUS(response.status),
      details: { status: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    });
  }
}
