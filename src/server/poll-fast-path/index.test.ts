import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../config/schema.js';
import { openRuntime } from '../../runtime.js';
import { TranscriptionService } from '../../service/service.js';
import { newJobId } from '../../store/jobs.js';
import { createApp } from '../app.js';
import { ownerOfKey } from '../auth/index.js';
import { listen } from '../listen.js';

const KEY_A = 'fast-path-key-a-0123456789';
const KEY_B = 'fast-path-key-b-0123456789';

/** A real service on a temp SQLite store behind a real socket; `answered` records each fast-path decision. */
async function harness(rateLimit = { requestsPerSec: 1e6, burst: 1e6 }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-fast-path-'));
  const config = configSchema.parse({ dataDir, serve: { apiKeys: [KEY_A, KEY_B], rateLimit } });
  const context = await openRuntime(config);
  const service = new TranscriptionService({ runtime: context });
  const http = createApp(service);
  const answered: boolean[] = [];
  const listening = await listen(
    { app: http.app, fastPath: (req, res) => { const hit = http.fastPath(req, res) as boolean; answered.push(hit); return hit; } },
    { host: '127.0.0.1', port: 0, requestTimeoutSec: 30 },
  );
  const id = newJobId();
  await context.store.createJob({ id, source: 'test', segmentSec: 60, backend: 'pocketsphinx', format: 'json', language: null, priority: 'normal', options: {}, owner: ownerOfKey(KEY_A) });
  const get = async (path: string, key?: string) => {
    const response = await fetch(`${listening.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: response.status, type: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body: await response.text() };
  };
  return {
    id, service, answered, get,
    async close() {
      await listening.close();
      await service.stop();
      await context.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

test('fast path: the first poll goes to the app, the next ones are answered from the cache with the same bytes', async () => {
  const h = await harness();
  try {
    const first = await h.get(`/v1/jobs/${h.id}`, KEY_A);
    const second = await h.get(`/v1/jobs/${h.id}`, KEY_A);
    assert.deepEqual(h.answered, [false, true]);
    assert.equal(first.status, 200);
    assert.deepEqual(second, first);
    assert.equal(second.type, 'application/json');
    assert.equal(JSON.parse(second.body).id, h.id);
  } finally {
    await h.close();
  }
});

test('fast path: another key, no key, a wrong key or a query string fall through to the app and its answer', async () => {
  const h = await harness();
  try {
    await h.get(`/v1/jobs/${h.id}`, KEY_A); // fills the cache for its owner
    h.answered.length = 0;
    assert.equal((await h.get(`/v1/jobs/${h.id}`, KEY_B)).status, 404);
    assert.equal((await h.get(`/v1/jobs/${h.id}`)).status, 401);
    assert.equal((await h.get(`/v1/jobs/${h.id}`, 'not-a-key')).status, 401);
    assert.equal((await h.get(`/v1/jobs/${h.id}?x=1`, KEY_A)).status, 200);
    assert.equal((await h.get(`/v1/jobs/${h.id}/transcript`, KEY_A)).status, 409); // not ready yet
    assert.deepEqual(h.answered, [false, false, false, false, false]);
  } finally {
    await h.close();
  }
});

test('fast path: it spends the same token bucket as the app, so a poller over the limit gets 429 with Retry-After', async () => {
  const h = await harness({ requestsPerSec: 0.5, burst: 3 });
  try {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await h.get(`/v1/jobs/${h.id}`, KEY_A)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.deepEqual(h.answered, [false, true, true, false, false]);
    assert.equal((await h.get(`/v1/jobs/${h.id}`, KEY_A)).retryAfter, '2');
  } finally {
    await h.close();
  }
});

test('fast path: a change to the job drops the cached view, so the next poll sees it', async () => {
  const h = await harness();
  try {
    assert.equal(JSON.parse((await h.get(`/v1/jobs/${h.id}`, KEY_A)).body).status, 'queued');
    await h.service.cancel(ownerOfKey(KEY_A), h.id);
    h.answered.length = 0;
    assert.equal(JSON.parse((await h.get(`/v1/jobs/${h.id}`, KEY_A)).body).status, 'cancelled');
    assert.deepEqual(h.answered, [false]);
  } finally {
    await h.close();
  }
});
