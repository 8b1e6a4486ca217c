/**
 * The FAKE chat server (test/fakes/fake-chat-server.ts) checked with the official `openai` client, so
 * that what the product's client is tested against is what real OpenAI-compatible servers send.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { fakePromptTokens, startFakeChatServer, type FakeChatServer } from './fakes/fake-chat-server.js';

const KEY = 'fake-chat-key-0123456789';
const messages = [
  { role: 'system' as const, content: 'Answer from the transcript.' },
  { role: 'user' as const, content: '[00:00:00] preamble the licenses\n\n[00:01:05] software freedom\n\nQuestion: what is it about?' },
];

describe('fake chat server, through the openai client', () => {
  let server: FakeChatServer;
  before(async () => {
    server = await startFakeChatServer({ apiKey: KEY, contextTokens: 4000 });
  });
  after(() => server.close());

  test('stream: true gives chunks that assemble to an answer citing the first and last markers, then usage', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'fake-chat-1', messages, stream: true, stream_options: { include_usage: true }, max_tokens: 200 });
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'Seen 2 markers from [00:00:00] to [00:01:05]; the first passage begins "preamble", the last "software".');
    assert.ok(chunks > 5, `streamed in pieces (${chunks} chunks)`);
    assert.equal(finish, 'stop');
    assert.equal(usage?.prompt_tokens, fakePromptTokens(messages));
    assert.equal(usage?.completion_tokens, Math.ceil(text.length / 4));
    const logged = server.requests().at(-1)!;
    assert.equal(logged.stream, true);
    assert.equal(logged.includeUsage, true);
    assert.equal(logged.maxTokens, 200);
  });

  test('without include_usage no usage chunk; without stream one completion with usage', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    let sawUsage = false;
    for await (const chunk of await client.chat.completions.create({ model: 'm', messages, stream: true })) if (chunk.usage) sawUsage = true;
    assert.equal(sawUsage, false);
    const whole = await client.chat.completions.create({ model: 'm', messages });
    assert.match(whole.choices[0]!.message.content!, /^Seen 2 markers/);
    assert.equal(whole.usage?.prompt_tokens, fakePromptTokens(messages));
  });

  test('faults: 5xx, 429 with Retry-After, a prompt over the window, a wrong key', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    server.setFaults({ schedule: ['fail', 'rate-limited'], failStatus: 502, retryAfterSec: 7 });
    await assert.rejects(client.chat.completions.create({ model: 'm', messages, stream: true }), (error: InstanceType<typeof OpenAI.APIError>) => error.status === 502);
    await assert.rejects(client.chat.completions.create({ model: 'm', messages, stream: true }), (error: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(error.status, 429);
      assert.equal(error.headers?.get('retry-after'), '7');
      return true;
    });
    server.setFaults({});
    const long = [{ role: 'user' as const, content: 'x'.repeat(4 * 4000) }];
    await assert.rejects(client.chat.completions.create({ model: 'm', messages: long, stream: true }), (error: InstanceType<typeof OpenAI.APIError>) => error.status === 400 && error.code === 'context_length_exceeded');
    const wrong = new OpenAI({ baseURL: server.url, apiKey: 'wrong-key-000000000000', maxRetries: 0 });
    await assert.rejects(wrong.chat.completions.create({ model: 'm', messages }), (error: InstanceType<typeof OpenAI.APIError>) => error.status === 401);
  });

  test('the client retries a 429 after its Retry-After and gets the answer', async () => {
    server.setFaults({ schedule: ['rate-limited'], retryAfterSec: 1 });
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 2 });
    const started = performance.now();
    const whole = await client.chat.completions.create({ model: 'm', messages });
    assert.ok(performance.now() - started >= 900, 'waited for Retry-After');
    assert.match(whole.choices[0]!.message.content!, /^Seen 2 markers/);
    server.setFaults({});
  });

  test('hang: nothing is answered until the client gives up; cut: the stream breaks mid-answer', async () => {
    server.setFaults({ schedule: ['hang', 'cut'] });
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0, timeout: 500 });
    await assert.rejects(client.chat.completions.create({ model: 'm', messages, stream: true }), (error: Error) => error instanceof OpenAI.APIConnectionTimeoutError);
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
    );
    assert.ok(text.length > 0 && !text.endsWith('".'), `a partial answer: ${JSON.stringify(text)}`);
    server.setFaults({});
  });
});
