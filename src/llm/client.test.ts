/**
 * The chat client against the FAKE chat server: streaming, usage (reported or estimated), retries
 * before the first token only, Retry-After as a floor, idle timeout on a hung server, the breaker,
 * and the one-line "not configured" error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakePromptTokens, startFakeChatServer, type FakeChatServer } from '../../test/fakes/fake-chat-server.js';
import { loadConfig } from '../config/load.js';
import { DEFAULT_LLM_CONFIG, llmSchema } from '../config/llm.js';
import { ParascribeError } from '../errors.js';
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from '../queue/breaker.js';
import { ChatClient, type ChatMessage } from './client.js';
import { costUsd, resolveLlmSettings } from './settings.js';

const messages: ChatMessage[] = [
  { role: 'system', content: 'Cite times.' },
  { role: 'user', content: '[00:00:03] hello there\n\n[00:02:00] budget approved\n\nQuestion: budget?' },
];
const EXPECTED = 'Seen 2 markers from [00:00:03] to [00:02:00]; the first passage begins "hello", the last "budget".';

function client(url: string, overrides: Partial<ReturnType<typeof llmSchema.parse>> = {}, breaker = new CircuitBreaker('llm', DEFAULT_BREAKER_OPTIONS)) {
  const settings = resolveLlmSettings(llmSchema.parse({ baseURL: url, model: 'fake-chat-1', apiKey: 'k-123', idleTimeoutSec: 0.5, ...overrides }));
  return new ChatClient(settings, { breaker, retryPolicy: { baseDelayMs: 10, maxDelayMs: 20 } });
}

describe('ChatClient', () => {
  let server: FakeChatServer;
  let bare: FakeChatServer;
  before(async () => {
    server = await startFakeChatServer({ apiKey: 'k-123', contextTokens: 2000 });
    bare = await startFakeChatServer({ omitUsage: true });
  });
  after(async () => {
    await server.close();
    await bare.close();
  });

  test('streams the answer piece by piece; usage as the server reports it', async () => {
    const pieces: string[] = [];
    const answer = await client(server.url).chat({ messages, maxTokens: 100, onDelta: (d) => pieces.push(d) });
    assert.equal(answer.text, EXPECTED);
    assert.ok(pieces.length > 5 && pieces.join('') === EXPECTED);
    assert.deepEqual(answer.usage, { inputTokens: fakePromptTokens(messages), outputTokens: Math.ceil(EXPECTED.length / 4), estimated: false });
    assert.equal(answer.attempts, 1);
    assert.equal(answer.finishReason, 'stop');
    assert.ok(answer.firstTokenMs !== null && answer.firstTokenMs >= 0);
    const sent = server.requests().at(-1)!;
    assert.equal(sent.stream, true);
    assert.equal(sent.includeUsage, true);
    assert.equal(sent.maxTokens, 100);
  });

  test('a server that reports no usage: ~4 characters per token, marked estimated', async () => {
    const answer = await client(bare.url).chat({ messages });
    assert.deepEqual(answer.usage, { inputTokens: fakePromptTokens(messages), outputTokens: Math.ceil(EXPECTED.length / 4), estimated: true });
  });

  test('5xx and a hang are retried before the first token; 429 waits at least its Retry-After', async () => {
    server.setFaults({ schedule: ['fail', 'hang', 'rate-limited'], retryAfterSec: 1 });
    const started = performance.now();
    const answer = await client(server.url, { maxAttempts: 4 }).chat({ messages });
    assert.equal(answer.text, EXPECTED);
    assert.equal(answer.attempts, 4);
    assert.ok(performance.now() - started >= 1000 + 500, 'the idle timeout (0.5 s) and the Retry-After (1 s) were both waited');
    assert.deepEqual(server.requests().slice(-4).map((r) => r.outcome), ['fail', 'hang', 'rate-limited', 'ok']);
    server.setFaults({});
  });

  test('a stream cut after the answer started is not retried (its text was already shown)', async () => {
    server.setFaults({ schedule: ['cut'] });
    const pieces: string[] = [];
    const before = server.requests().length;
    await assert.rejects(client(server.url).chat({ messages, onDelta: (d) => pieces.push(d) }), (error: ParascribeError) => {
      assert.equal(error.code, 'LLM_FAILED');
      assert.equal(error.isRetryable, false);
      assert.match(error.message, /not retried/);
      return true;
    });
    assert.equal(server.requests().length - before, 1);
    assert.ok(pieces.length > 0 && EXPECTED.startsWith(pieces.join('')));
    server.setFaults({});
  });

  test('a refused request (prompt over the window, wrong key) fails at once, without the key in the message', async () => {
    const before = server.requests().length;
    const long: ChatMessage[] = [{ role: 'user', content: 'x'.repeat(9000) }];
    await assert.rejects(client(server.url).chat({ messages: long, maxTokens: 10 }), (error: ParascribeError) => error.code === 'LLM_FAILED' && !error.isRetryable && /HTTP 400: This model's maximum context length/.test(error.message));
    await assert.rejects(client(server.url, { apiKey: 'wrong-key-xyz' }).chat({ messages }), (error: ParascribeError) => /HTTP 401/.test(error.message) && !error.message.includes('wrong-key-xyz'));
    assert.equal(server.requests().length - before, 2);
  });

  test('repeated failures open the breaker: later calls are refused without a request', async () => {
    const breaker = new CircuitBreaker('llm', { ...DEFAULT_BREAKER_OPTIONS, failureThreshold: 2, openSec: 60 });
    server.setFaults({ schedule: ['fail', 'fail', 'fail', 'fail'] });
    const before = server.requests().length;
    await assert.rejects(client(server.url, { maxAttempts: 3 }, breaker).chat({ messages }), (error: ParascribeError) => error.code === 'BREAKER_OPEN');
    assert.equal(server.requests().length - before, 2, 'two failures, then the open breaker refused the third attempt');
    assert.equal(breaker.state, 'open');
    await assert.rejects(client(server.url, {}, breaker).chat({ messages }), (error: ParascribeError) => error.code === 'BREAKER_OPEN' && typeof error.details?.retryAfterSec === 'number');
    assert.equal(server.requests().length - before, 2);
    server.setFaults({});
  });

  test('an aborted request is ABORTED, not a failure', async () => {
    server.setFaults({ schedule: ['hang'] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(client(server.url, { idleTimeoutSec: 30 }).chat({ messages, signal: controller.signal }), (error: ParascribeError) => error.code === 'ABORTED');
    server.setFaults({});
  });
});

describe('LLM settings', () => {
  test('not configured: one line naming what to set', () => {
    assert.throws(() => resolveLlmSettings(DEFAULT_LLM_CONFIG, {}), (error: ParascribeError) => {
      assert.equal(error.code, 'LLM_NOT_CONFIGURED');
      assert.equal(error.exitCode, 27);
      assert.match(error.message, /PARASCRIBE_LLM_BASE_URL .*PARASCRIBE_LLM_MODEL/);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
    assert.throws(() => resolveLlmSettings(llmSchema.parse({ baseURL: 'http://x/v1', model: 'm', apiKeyEnv: 'GROQ_API_KEY' }), {}), /GROQ_API_KEY \(named by llm.apiKeyEnv\)/);
    assert.equal(resolveLlmSettings(llmSchema.parse({ baseURL: 'http://x/v1/', model: 'm', apiKeyEnv: 'GROQ_API_KEY' }), { GROQ_API_KEY: 'g' }).apiKey, 'g');
    assert.equal(resolveLlmSettings(llmSchema.parse({ baseURL: 'http://x/v1/', model: 'm' }), {}).baseURL, 'http://x/v1');
  });

  test('environment: PARASCRIBE_LLM_BASE_URL / _API_KEY / _MODEL over the file; prices give the cost', () => {
    const config = loadConfig({ env: { HOME: '/nonexistent', PARASCRIBE_DATA_DIR: '/tmp/x', PARASCRIBE_LLM_BASE_URL: 'http://127.0.0.1:1/v1', PARASCRIBE_LLM_API_KEY: 'sk', PARASCRIBE_LLM_MODEL: 'llama3' } });
    assert.equal(config.llm.baseURL, 'http://127.0.0.1:1/v1');
    assert.equal(config.llm.model, 'llama3');
    assert.equal(config.llm.apiKey, 'sk');
    assert.throws(() => loadConfig({ env: { HOME: '/nonexistent', PARASCRIBE_LLM_BASE_URL: 'ftp://x' } }), /PARASCRIBE_LLM_BASE_URL/);
    // The environment is merged into the file's section, not replacing it.
    const file = join(mkdtempSync(join(tmpdir(), 'parascribe-llm-')), 'config.json');
    writeFileSync(file, JSON.stringify({ llm: { baseURL: 'https://api.groq.com/openai/v1', model: 'a', contextTokens: 32_000, apiKeyEnv: 'GROQ_API_KEY' } }));
    const merged = loadConfig({ env: { HOME: '/nonexistent', PARASCRIBE_LLM_MODEL: 'b' }, configPath: file }).llm;
    assert.deepEqual([merged.baseURL, merged.model, merged.contextTokens, merged.apiKeyEnv], ['https://api.groq.com/openai/v1', 'b', 32_000, 'GROQ_API_KEY']);
    assert.equal(costUsd({ costPerMillionInputUsd: 0.15, costPerMillionOutputUsd: 0.6 }, 2_000_000, 1_000_000), 0.9);
  });
});
