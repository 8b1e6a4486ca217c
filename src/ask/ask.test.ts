/**
 * askJob end to end inside one process: a real runtime (SQLite store, cache, the chat client it
 * builds) and the FAKE chat server, whose answer cites the first and last markers of the context it
 * received (so each test can tell what the model was given).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishSegment, seedJob, type SeedOptions } from '../../test/helpers/ask-jobs.js';
import { startFakeChatServer, type FakeChatServer } from '../../test/fakes/fake-chat-server.js';
import { configSchema } from '../config/schema.js';
import type { ParascribeError } from '../errors.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { askJob, type AskDeps, type AskInput } from './ask.js';

const WINDOW = 2048;
const ANSWER = 256;

describe('askJob', () => {
  let chat: FakeChatServer;
  let runtime: Runtime;
  let dataDir: string;
  let deps: AskDeps;
  const ask = async (jobId: string, question: string, extra: Partial<AskInput> = {}) => {
    const deltas: string[] = [];
    const result = await askJob(deps, { job: (await runtime.store.getJob(jobId))!, question, onDelta: (d) => deltas.push(d), ...extra });
    assert.equal(deltas.join(''), result.answer, 'what streamed is the answer');
    return result;
  };

  before(async () => {
    chat = await startFakeChatServer({ contextTokens: WINDOW });
    dataDir = mkdtempSync(join(tmpdir(), 'parascribe-ask-'));
    const config = configSchema.parse({
      dataDir,
      llm: { maxAttempts: 2, maxMapCalls: 12, baseURL: chat.url, model: 'fake-chat-1', contextTokens: WINDOW, maxAnswerTokens: ANSWER, costPerMillionInputUsd: 2, costPerMillionOutputUsd: 8, idleTimeoutSec: 2 },
    });
    runtime = await openRuntime(config);
    deps = { store: runtime.store, cache: runtime.cache, llm: () => runtime.llm(), config: config.llm, wait: () => new Promise((r) => setTimeout(r, 20)) };
  });
  after(async () => {
    await runtime.close();
    await chat.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a finished job: the whole transcript is the context; citations valid; question stored with tokens and cost', async () => {
    await seedJob(runtime.store, { id: 'jdone', segments: 3 });
    const result = await ask('jdone', 'what was said?');
    assert.equal(result.context.strategy, 'full');
    assert.equal(result.context.coverage.complete, true);
    assert.equal(result.answer, 'Seen 9 markers from [00:00:00] to [00:02:40]; the first passage begins "segment", the last "segment".');
    assert.deepEqual(result.citations.map((c) => c.marker), ['[00:00:00]', '[00:02:40]']);
    assert.deepEqual(result.dropped, []);
    const sent = chat.requests().at(-1)!;
    assert.match(sent.messages.at(-1)!.content, /\[00:02:40\] segment 2 remark 2 at second 160\n\nQuestion: what was said\?$/);
    assert.equal(result.usage.inputTokens, sent.promptTokens);
    assert.equal(result.usage.estimated, false);
    assert.equal(result.costUsd, (result.usage.inputTokens * 2 + result.usage.outputTokens * 8) / 1e6);
    const [row] = await runtime.store.questions.list('jdone');
    assert.equal(row!.id, result.id);
    assert.equal(row!.answer, result.answer);
    assert.equal(row!.input_tokens, result.usage.inputTokens);
    assert.equal(row!.cost_usd, result.costUsd);
  });

  test('a running job: exactly the contiguous finished prefix, and the answer says what it covers first', async () => {
    await seedJob(runtime.store, { id: 'jrun', segments: 6, status: 'running', finished: [0, 1, 3] });
    const result = await ask('jrun', 'what was said?');
    assert.ok(result.answer.startsWith('Covers 0:00–2:00 of 6:00 (still transcribing).\n\n'), result.answer);
    assert.match(result.answer, /Seen 6 markers from \[00:00:00\] to \[00:01:40\]/);
    assert.deepEqual({ ...result.context.coverage }, { jobStatus: 'running', totalSec: 360, segmentsTotal: 6, toSec: 120, complete: false, segmentsDone: 2 });
    const prompt = chat.requests().at(-1)!.messages.at(-1)!.content;
    assert.match(prompt, /partial: it covers 0:00–2:00 of 6:00/);
    assert.ok(!prompt.includes('segment 3 '), 'segment 3 is done but not contiguous: not in the context');
  });

  test('asked before anything is finished: waits for the first segment, not for the job', async () => {
    const seed: SeedOptions = { id: 'jfresh', segments: 4, status: 'running', finished: [] };
    await seedJob(runtime.store, seed);
    setTimeout(() => void finishSegment(runtime.store, seed, 0), 150);
    const result = await ask('jfresh', 'anything yet?');
    assert.equal(result.context.coverage.segmentsDone, 1);
    assert.match(result.answer, /^Covers 0:00–1:00 of 4:00/);
  });

  test('--follow: waits for the job to end, then answers over all of it', async () => {
    const seed: SeedOptions = { id: 'jfollow', segments: 3, status: 'running', finished: [0] };
    await seedJob(runtime.store, seed);
    setTimeout(async () => {
      await finishSegment(runtime.store, seed, 1);
      await finishSegment(runtime.store, seed, 2);
      await runtime.store.updateJob('jfollow', { status: 'completed' });
    }, 150);
    const result = await ask('jfollow', 'and in the end?', { follow: true });
    assert.equal(result.context.coverage.complete, true);
    assert.match(result.answer, /^Seen 9 markers/);
  });

  describe('a transcript 5× longer than the window', () => {
    const seed: SeedOptions = {
      id: 'jlong',
      segments: 40,
      padTo: 400,
      text: (s, u, sec) => (sec === 260 || sec === 1240 || sec === 1700 ? `the budget for travel was cut in half at second ${sec}` : `segment ${s} remark ${u} at second ${sec}`),
    };
    before(() => seedJob(runtime.store, seed));

    test('auto retrieves: the context stays in the window and holds the passages about the question', async () => {
      const result = await ask('jlong', 'What did they decide about the budget?');
      assert.equal(result.context.strategy, 'retrieve');
      assert.ok(result.context.tokensTotal >= 5 * WINDOW, `the transcript is 5× the window or more (${result.context.tokensTotal} tokens)`);
      const sent = chat.requests().at(-1)!;
      assert.ok(sent.promptTokens + sent.maxTokens! <= WINDOW, `${sent.promptTokens} + ${sent.maxTokens} within ${WINDOW}`);
      for (const sec of ['00:04:20', '00:20:40', '00:28:20']) assert.ok(sent.messages.at(-1)!.content.includes(`[${sec}] the budget for travel`), sec);
      assert.ok(result.context.spans.length > 1, 'several stretches of the recording');
      assert.equal(result.dropped.length, 0);
      assert.ok(result.citations.length === 2 && result.citations.every((c) => result.context.spans.some((s) => Math.floor(s.startSec) <= c.sec && c.sec <= Math.ceil(s.endSec))));
      const [row] = await runtime.store.questions.list('jlong');
      assert.equal(row!.strategy, 'retrieve');
      assert.ok(row!.input_tokens > 0 && row!.output_tokens > 0 && row!.cost_usd > 0);
    });

    test('citations of passages not given, or of times nowhere in the recording, are dropped and reported', async () => {
      chat.setFaults({ answer: () => 'Cut in half [00:04:20]; also [00:10:00] and [05:00:00].' });
      try {
        const result = await ask('jlong', 'What did they decide about the budget?');
        assert.equal(result.answer, 'Cut in half [00:04:20]; also  and .');
        assert.deepEqual(result.citations.map((c) => c.marker), ['[00:04:20]']);
        assert.deepEqual(result.dropped.map((d) => [d.marker, d.reason]), [
          ['[00:10:00]', 'that part of the transcript was not in the context'],
          ['[05:00:00]', 'no part of the transcript covers this time'],
        ]);
      } finally {
        chat.setFaults({});
      }
    });

    test('map-reduce: every chunk and the reduce call fit the window; one answer from the notes', async () => {
      const before = chat.requests().length;
      const result = await ask('jlong', 'summarise it', { strategy: 'map-reduce' });
      const calls = chat.requests().slice(before);
      assert.equal(result.context.strategy, 'map-reduce');
      assert.equal(result.usage.calls, calls.length);
      assert.ok(calls.length >= 6, `${calls.length} calls`);
      assert.ok(calls.every((c) => c.promptTokens + (c.maxTokens ?? 0) <= WINDOW && c.outcome === 'ok'));
      assert.match(calls.at(-1)!.messages.at(-1)!.content, /Notes on part 1 \(\[00:00:00\]–/);
      assert.equal(result.context.passages, result.context.passagesTotal, 'map-reduce reads everything');
      assert.equal(result.dropped.length, 0);
      assert.equal(result.usage.inputTokens, calls.reduce((s, c) => s + c.promptTokens, 0));
    });

    test('full is refused when it does not fit', async () => {
      await assert.rejects(ask('jlong', 'budget?', { strategy: 'full' }), (e: ParascribeError) => e.code === 'INVALID_ARGUMENT' && /does not fit/.test(e.message));
    });
  });

  test('the model fails: LLM_FAILED after the retries, and the question is stored as failed', async () => {
    await seedJob(runtime.store, { id: 'jfail', segments: 1 });
    chat.setFaults({ schedule: ['fail', 'fail'] });
    try {
      await assert.rejects(ask('jfail', 'hello?'), (e: ParascribeError) => e.code === 'LLM_FAILED');
    } finally {
      chat.setFaults({});
    }
    const [row] = await runtime.store.questions.list('jfail');
    assert.equal(row!.status, 'failed');
    assert.equal(row!.error_code, 'LLM_FAILED');
  });

  test('no LLM configured: LLM_NOT_CONFIGURED at once, even for a job with nothing finished', async () => {
    await seedJob(runtime.store, { id: 'jnollm', segments: 2, status: 'running', finished: [] });
    const bare = await openRuntime(configSchema.parse({ dataDir }));
    try {
      const job = (await bare.store.getJob('jnollm'))!;
      await assert.rejects(askJob({ ...deps, llm: () => bare.llm() }, { job, question: 'x' }), (e: ParascribeError) => e.code === 'LLM_NOT_CONFIGURED' && e.exitCode === 27);
    } finally {
      await bare.close();
    }
  });

  test('a cache hit (no segment rows): the transcript comes from the cache', async () => {
    await runtime.store.createJob({ id: 'jcache', source: '/a.mp3', segmentSec: 60, backend: 'pocketsphinx', format: 'txt', language: 'en', priority: 'normal', options: {} });
    await runtime.store.updateJob('jcache', { status: 'completed', cache_key: 'ab12', cache_hit: 1, duration_sec: 30 });
    await runtime.cache.put('ab12', { text: 'cached words', language: 'en', durationSec: 30, utterances: [{ startSec: 4.2, endSec: 9, text: 'cached words', words: [] }], words: [] });
    const result = await ask('jcache', 'what?');
    assert.match(result.answer, /^Seen 1 markers from \[00:00:04\] to \[00:00:04\]; the first passage begins "cached"/);
    assert.equal(result.citations.length, 2);
  });
});
