/**
 * The FAKE OpenAI server (test/fakes/openai-server.ts) checked with the official `openai` npm client:
 * if the real client accepts its answers, the backend's tests against it mean something.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { FIXTURES } from './helpers/cli.js';
import { seededRandom, startFakeOpenAIServer } from './fakes/openai-server.js';

const JFK = join(FIXTURES, 'jfk.wav');

test('fake OpenAI server, through the official openai client', async (t) => {
  const server = await startFakeOpenAIServer({ seed: 7 });
  t.after(() => server.close());
  const client = new OpenAI({ baseURL: server.url, apiKey: 'test', maxRetries: 0 });

  await t.test('verbose_json with word and segment timestamps', async () => {
    const result = await client.audio.transcriptions.create({
      file: createReadStream(JFK),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    assert.match(result.text, /country/);
    assert.equal(result.language, 'english');
    assert.ok(result.duration > 10.5 && result.duration < 11.5, `duration ${result.duration}`);
    assert.ok(result.segments && result.segments.length > 0, 'segments');
    for (const s of result.segments) {
      assert.equal(typeof s.start, 'number');
      assert.equal(typeof s.end, 'number');
      assert.ok(s.end >= s.start);
      assert.equal(typeof s.avg_logprob, 'number');
      assert.equal(typeof s.compression_ratio, 'number');
      assert.equal(typeof s.no_speech_prob, 'number');
    }
    assert.ok(result.words && result.words.some((w) => w.word === 'country'), 'words');
    for (const w of result.words) assert.ok(typeof w.start === 'number' && typeof w.end === 'number' && w.end >= w.start);
    const fields = server.stats().log.at(-1)?.fields;
    assert.deepEqual(fields?.['timestamp_granularities[]'], ['word', 'segment']);
  });

  await t.test("response_format 'text' is a string", async () => {
    const text = await client.audio.transcriptions.create({ file: createReadStream(JFK), model: 'whisper-1', response_format: 'text' });
    assert.equal(typeof text, 'string');
    assert.match(text, /country/);
  });

  await t.test('a request without model is a 400 BadRequestError', async () => {
    await assert.rejects(
      // Deliberately invalid: the client passes it through and the server must refuse it.
      client.audio.transcriptions.create({ file: createReadStream(JFK) } as unknown as Parameters<typeof client.audio.transcriptions.create>[0]),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError, `got ${String(error)}`);
        assert.equal(error.status, 400);
        assert.match(error.message, /model/);
        return true;
      },
    );
  });

  await t.test('a required API key: a wrong one is a 401 AuthenticationError', async () => {
    const locked = await startFakeOpenAIServer({ apiKey: 'right-key' });
    try {
      const wrong = new OpenAI({ baseURL: locked.url, apiKey: 'wrong-key', maxRetries: 0 });
      await assert.rejects(wrong.audio.transcriptions.create({ file: createReadStream(JFK), model: 'whisper-1' }), OpenAI.AuthenticationError);
    } finally {
      await locked.close();
    }
  });

  await t.test('faults: 429 carries Retry-After, and the stats count outcomes', async () => {
    server.setFaults({ rateLimitRate: 1, retryAfterSec: 3 });
    await assert.rejects(client.audio.transcriptions.create({ file: createReadStream(JFK), model: 'whisper-1' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers?.get('retry-after'), '3');
      return true;
    });
    server.setFaults({});
    const stats = server.stats();
    assert.equal(stats.byOutcome['rate-limited'], 1);
    assert.ok((stats.byOutcome.ok ?? 0) >= 2);
    assert.equal(stats.inFlight, 0);
  });
});

test('the fault PRNG is reproducible from its seed', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const first = Array.from({ length: 5 }, a);
  assert.deepEqual(first, Array.from({ length: 5 }, b));
  assert.ok(first.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(first, Array.from({ length: 5 }, seededRandom(43)));
});
