/**
 * A FAKE OpenAI-compatible chat server, for tests and benchmarks only: not a language model and not
 * product code. It speaks `POST /v1/chat/completions` (streamed SSE chunks with `stream: true`, one
 * completion JSON without; OpenAI's error JSON) and answers from the context it received, so tests can
 * assert what was sent:
 *
 *   Seen 12 markers from [00:00:00] to [00:11:00]; the first passage begins "preamble", the last "license".
 *
 * i.e. it cites the first and last `[hh:mm:ss]` marker in the non-system messages, and echoes the word
 * after each of the two. Its tokenizer is
 * ~4 characters per token plus 4 per message (the product's estimate, src/llm/tokens.ts), so prompt
 * sizes compare exactly; `usage` comes in a final chunk when `stream_options.include_usage` is set.
 * With `contextTokens`, a prompt + max_tokens over it gets OpenAI's 400 `context_length_exceeded`.
 * Faults (changeable at runtime): 5xx, 429 with Retry-After, a hang (never answers), a cut (a few
 * chunks, then the socket is destroyed), taken in order from a schedule.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export type ChatFault = 'ok' | 'fail' | 'rate-limited' | 'hang' | 'cut';

export interface FakeChatMessage {
  role: string;
  content: string;
}

export interface FakeChatRequestLog {
  atMs: number;
  outcome: ChatFault | 'unauthorized' | 'too-long' | 'invalid';
  status: number;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | null;
  messages: FakeChatMessage[];
  promptTokens: number;
  answer?: string;
}

export interface FakeChatOptions {
  port?: number;
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** The window: prompt tokens + max_tokens above it → 400 context_length_exceeded. */
  contextTokens?: number;
  /** Words per streamed chunk (default 2). */
  wordsPerChunk?: number;
  /** Before the first chunk, and between chunks. */
  firstTokenDelayMs?: number;
  chunkDelayMs?: number;
  /** Never send `usage`, even when asked (servers that do not report it: the client must estimate). */
  omitUsage?: boolean;
  /** Replaces the built-in answer (e.g. to cite a time the context does not hold). */
  answer?: (messages: FakeChatMessage[]) => string;
  /** Request n (1-based) gets schedule[n - 1]; past its end, 'ok'. */
  schedule?: ChatFault[];
  failStatus?: 500 | 502 | 503;
  retryAfterSec?: number;
}

export interface FakeChatServer {
  /** Base URL ending in /v1 (what `baseURL` wants). */
  url: string;
  requests(): FakeChatRequestLog[];
  /** New faults from the next request on (the schedule restarts at n = 1). */
  setFaults(faults: Pick<FakeChatOptions, 'schedule' | 'failStatus' | 'retryAfterSec' | 'answer' | 'firstTokenDelayMs' | 'chunkDelayMs'>): void;
  close(): Promise<void>;
}

const MARKER = /\[(\d{2}:\d{2}:\d{2})\]/g;

export const fakeTokens = (text: string): number => Math.ceil(text.length / 4);
export const fakePromptTokens = (messages: readonly FakeChatMessage[]): number => messages.reduce((sum, m) => sum + 4 + fakeTokens(m.content), 0);

/** The built-in answer: what the context held, in a form tests can check. */
export function contextAnswer(messages: readonly FakeChatMessage[]): string {
  const context = messages.filter((m) => m.role !== 'system').map((m) => m.content).join('\n');
  const markers = [...context.matchAll(MARKER)];
  if (markers.length === 0) return 'The context holds no time markers.';
  const first = markers[0]!;
  const last = markers.at(-1)!;
  const wordAfter = (m: RegExpExecArray | RegExpMatchArray) => /^\s*([\p{L}\p{N}']+)/u.exec(context.slice(m.index! + m[0].length))?.[1] ?? '';
  return `Seen ${markers.length} markers from [${first[1]}] to [${last[1]}]; the first passage begins "${wordAfter(first)}", the last "${wordAfter(last)}".`;
}

function errorJson(status: number, message: string, code: string | null = null): string {
  const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return JSON.stringify({ error: { message, type, param: null, code } });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export async function startFakeChatServer(options: FakeChatOptions = {}): Promise<FakeChatServer> {
  let faults = { ...options };
  let n = 0;
  const log: FakeChatRequestLog[] = [];
  const started = performance.now();
  const shutdown = new AbortController();
  const wait = (ms: number | undefined) => (ms ? delay(ms, undefined, { signal: shutdown.signal }).catch(() => undefined) : Promise.resolve());

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/v1/models') return send(res, 200, JSON.stringify({ object: 'list', data: [{ id: 'fake-chat-1', object: 'model', owned_by: 'fake' }] }));
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') return send(res, 404, errorJson(404, `Invalid URL (${req.method} ${url.pathname})`));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: { model?: string; messages?: FakeChatMessage[]; stream?: boolean; stream_options?: { include_usage?: boolean }; max_tokens?: number; max_completion_tokens?: number };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return send(res, 400, errorJson(400, 'We could not parse the JSON body of your request.'));
    }
    const messages = (body.messages ?? []).map((m) => ({ role: String(m.role), content: String(m.content ?? '') }));
    const entry: FakeChatRequestLog = {
      atMs: Math.round(performance.now() - started),
      outcome: 'ok',
      status: 200,
      model: body.model ?? '',
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      maxTokens: body.max_tokens ?? body.max_completion_tokens ?? null,
      messages,
      promptTokens: fakePromptTokens(messages),
    };
    log.push(entry);
    const fail = (outcome: FakeChatRequestLog['outcome'], status: number, text: string, code: string | null = null, headers: Record<string, string> = {}) => {
      entry.outcome = outcome;
      entry.status = status;
      send(res, status, errorJson(status, text, code), headers);
    };
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return fail('unauthorized', 401, 'Incorrect API key provided.', 'invalid_api_key');
    if (!body.model || messages.length === 0) return fail('invalid', 400, "'model' and 'messages' are required");
    const fault = faults.schedule?.[n++] ?? 'ok';
    if (fault === 'hang') {
      entry.outcome = 'hang';
      entry.status = 0;
      return; // never answered; close() or the client ends it
    }
    if (fault === 'fail') return fail('fail', faults.failStatus ?? 503, 'The engine is currently overloaded, please try again later.');
    if (fault === 'rate-limited') return fail('rate-limited', 429, 'Rate limit reached for requests.', 'rate_limit_exceeded', { 'retry-after': String(faults.retryAfterSec ?? 1) });
    // Without max_tokens, the answer may use what the prompt leaves of the window (as OpenAI does).
    const maxTokens = entry.maxTokens ?? Math.max(1, (options.contextTokens ?? 1e9) - entry.promptTokens);
    if (options.contextTokens !== undefined && entry.promptTokens + (entry.maxTokens ?? 0) > options.contextTokens) {
      return fail('too-long', 400, `This model's maximum context length is ${options.contextTokens} tokens. However, you requested ${entry.promptTokens + (entry.maxTokens ?? 0)} tokens.`, 'context_length_exceeded');
    }
    let answer = (faults.answer ?? contextAnswer)(messages);
    let finish = 'stop';
    if (fakeTokens(answer) > maxTokens) {
      answer = answer.slice(0, maxTokens * 4);
      finish = 'length';
    }
    entry.answer = answer;
    entry.outcome = fault;
    const usage = { prompt_tokens: entry.promptTokens, completion_tokens: fakeTokens(answer), total_tokens: entry.promptTokens + fakeTokens(answer) };
    const id = `chatcmpl-fake${log.length}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model;
    if (!entry.stream) {
      await wait(faults.firstTokenDelayMs);
      return send(res, 200, JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: finish }], usage }));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const write = (chunk: object) => res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, ...chunk })}\n\n`);
    write({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    const words = answer.split(/(?<=\s)/);
    const per = options.wordsPerChunk ?? 2;
    await wait(faults.firstTokenDelayMs);
    for (let i = 0; i < words.length; i += per) {
      if (res.destroyed) return;
      if (fault === 'cut' && i >= per * 2) {
        // Mid-answer: the chunks written so far reach the client first, then the connection resets.
        await wait(50);
        res.destroy();
        return;
      }
      if (i > 0) await wait(faults.chunkDelayMs);
      write({ choices: [{ index: 0, delta: { content: words.slice(i, i + per).join('') }, finish_reason: null }] });
    }
    write({ choices: [{ index: 0, delta: {}, finish_reason: finish }] });
    if (entry.includeUsage && !options.omitUsage) write({ choices: [], usage });
    res.end('data: [DONE]\n\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, errorJson(500, `fake server bug: ${(error as Error).message}`)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}/v1`,
    requests: () => structuredClone(log),
    setFaults: (next) => {
      faults = { ...options, ...next };
      n = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
