/**
 * POST /v1/jobs/:id/ask and GET /v1/jobs/:id/questions through the Hono app in-process, with a real
 * service (SQLite store) and the FAKE chat server: the SSE sequence, refusals as plain statuses before
 * the stream, an LLM failure as an `error` event, owners kept apart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedJob } from '../../../test/helpers/ask-jobs.js';
import { startFakeChatServer, type FakeChatServer } from '../../../test/fakes/fake-chat-server.js';
import { configSchema } from '../../config/schema.js';
import { openRuntime, type Runtime } from '../../runtime.js';
import { TranscriptionService } from '../../service/service.js';
import { createApp } from '../app.js';
import { ownerOfKey } from '../auth/index.js';

const ALICE = 'ask-route-key-alice-0123456789';
const BOB = 'ask-route-key-bob-00123456789';

interface SseEvent {
  event: string;
  data: any;
}

async function readEvents(response: Response): Promise<SseEvent[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const lines = block.split('\n');
      return { event: lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message', data: JSON.parse(lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n')) };
    });
}

describe('ask routes', () => {
  let chat: FakeChatServer;
  let dir: string;
  const opened: Runtime[] = [];
  const harness = async (llm: Record<string, unknown>) => {
    const config = configSchema.parse({ dataDir: dir, serve: { apiKeys: [ALICE, BOB] }, llm });
    const runtime = await openRuntime(config);
    opened.push(runtime);
    const service = new TranscriptionService({ runtime });
    const { app } = createApp(service);
    const post = (id: string, body: unknown, key = ALICE) =>
      app.request(`/v1/jobs/${id}/ask`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const get = (path: string, key = ALICE) => app.request(path, { headers: { authorization: `Bearer ${key}` } });
    return { runtime, post, get };
  };
  let api: Awaited<ReturnType<typeof harness>>;

  before(async () => {
    chat = await startFakeChatServer();
    dir = mkdtempSync(join(tmpdir(), 'parascribe-ask-route-'));
    api = await harness({ baseURL: chat.url, model: 'fake-chat-1', maxAttempts: 1, costPerMillionInputUsd: 1 });
    await seedJob(api.runtime.store, { id: 'jalice1', segments: 2, owner: ownerOfKey(ALICE) });
    await seedJob(api.runtime.store, { id: 'jalice2', segments: 4, owner: ownerOfKey(ALICE), status: 'running', finished: [0] });
  });
  after(async () => {
    for (const runtime of opened) await runtime.close();
    await chat.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a finished job: context, deltas, then done with citations, coverage, tokens and cost; the question is listed', async () => {
    const response = await api.post('jalice1', { question: 'what was said?' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = await readEvents(response);
    assert.equal(events[0]!.event, 'context');
    assert.equal(events[0]!.data.strategy, 'full');
    assert.equal(events[0]!.data.coverage.complete, true);
    const deltas = events.filter((e) => e.event === 'delta');
    assert.ok(deltas.length > 3);
    const done = events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(deltas.map((d) => d.data.text).join(''), done.data.answer);
    assert.match(done.data.answer, /^Seen 6 markers from \[00:00:00\] to \[00:01:40\]/);
    assert.deepEqual(done.data.citations.map((c: { marker: string }) => c.marker), ['[00:00:00]', '[00:01:40]']);
    assert.deepEqual(done.data.dropped_citations, []);
    assert.ok(done.data.usage.input_tokens > 0 && done.data.usage.output_tokens > 0);
    assert.ok(done.data.cost_usd > 0);
    const listed = (await (await api.get('/v1/jobs/jalice1/questions')).json()) as { data: Array<Record<string, any>> };
    assert.equal(listed.data.length, 1);
    assert.equal(listed.data[0]!.id, done.data.id);
    assert.equal(listed.data[0]!.answer, done.data.answer);
    assert.equal(listed.data[0]!.status, 'answered');
  });

  test('a running job: the answer covers the finished prefix and says so', async () => {
    const events = await readEvents(await api.post('jalice2', { question: 'so far?' }));
    const done = events.at(-1)!.data;
    assert.match(done.answer, /^Covers 0:00–1:00 of 4:00 \(still transcribing\)\./);
    assert.equal(done.coverage.complete, false);
    assert.equal(done.coverage.to_sec, 60);
    assert.equal(done.coverage.note, 'covers 0:00–1:00 of 4:00 (still transcribing)');
  });

  test('refused before the stream: bad body 400, unknown strategy 400, another owner 404', async () => {
    for (const [body, pattern] of [
      ['not json', /must be JSON/],
      [{ question: '   ' }, /question is empty/],
      [{ question: 'x', strategy: 'guess' }, /strategy/],
      [{ question: 'x', extra: 1 }, /body|extra|Unrecognized/i],
    ] as const) {
      const response = await api.post('jalice1', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message, pattern);
    }
    const other = await api.post('jalice1', { question: 'x' }, BOB);
    assert.equal(other.status, 404);
    assert.equal((await api.get('/v1/jobs/jalice1/questions', BOB)).status, 404);
  });

  test('no LLM configured: 501 LLM_NOT_CONFIGURED naming the settings', async () => {
    const bare = await harness({});
    const response = await bare.post('jalice1', { question: 'x' });
    assert.equal(response.status, 501);
    const error = ((await response.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'LLM_NOT_CONFIGURED');
    assert.match(error.message, /PARASCRIBE_LLM_BASE_URL/);
  });

  test('the model fails mid-way: an error event; the failed question is listed with its error', async () => {
    chat.setFaults({ schedule: ['fail'] });
    try {
      const events = await readEvents(await api.post('jalice1', { question: 'again?' }));
      assert.deepEqual(events.map((e) => e.event), ['context', 'error']);
      assert.equal(events[1]!.data.code, 'LLM_FAILED');
    } finally {
      chat.setFaults({});
    }
    const listed = (await (await api.get('/v1/jobs/jalice1/questions')).json()) as { data: Array<Record<string, any>> };
    assert.equal(listed.data.at(-1)!.status, 'failed');
    assert.equal(listed.data.at(-1)!.error.code, 'LLM_FAILED');
  });
});
