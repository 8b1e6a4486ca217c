/**
 * Distributed mode's autoscaling metrics and queue board, in process, on a private real Redis
 * (test/helpers/redis.ts) and a real job store (SQLite, and PostgreSQL when one answers): tasks
 * enqueued with BullMQ in the dispatcher's shape, one taken by a manual worker (active), fake
 * worker heartbeats, finished segments in the store; then `/metrics` and `/admin/queues` through the
 * app with and without a key, and the reads against a dead and a silent Redis.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { configSchema } from '../src/config/schema.js';
import { segmentQueueName } from '../src/queue/bullmq/connection.js';
import type { SegmentTaskData } from '../src/queue/bullmq/dispatcher.js';
import { configuredQueueBackends, QueueInspector } from '../src/queue/bullmq/queue-stats.js';
import { workerKey } from '../src/queue/bullmq/worker.js';
import { createApp } from '../src/server/app.js';
import { TranscriptionService } from '../src/service/service.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './helpers/postgres.js';
import { redisAvailable, startPrivateRedis, type PrivateRedis } from './helpers/redis.js';

const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const redisSkip = redisAvailable() ? false : inCi ? false : 'redis-server is not installed; skipped outside CI';
const pgSkip = redisSkip ? false : await postgresSkipReason();
const KEY = 'queue-metrics-key-0123456789';
const PREFIX = 'qm';
const AUTH = { Authorization: `Bearer ${KEY}` };

function task(jobId: string, index: number, startSec: number, endSec: number, enqueuedAtMs: number): SegmentTaskData {
  return {
    task: { jobId, index, startSec, endSec, speechSec: endSec - startSec, chain: ['x'], priority: 'normal' },
    audioUrl: `http://127.0.0.1:1/v1/internal/segments/${jobId}/${index}?sig=secret-signature`,
    audioBytes: Math.round((endSec - startSec) * 32_000) + 44,
    dispatch: 1,
    enqueuedAtMs,
  };
}

/** `name{labels} value` lines of a Prometheus scrape, as a map from `name{labels}` to the value. */
function samples(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

for (const driver of ['sqlite', 'postgres'] as const) {
  describe(`queue metrics and board on a real Redis (${driver} store)`, { skip: redisSkip || (driver === 'postgres' && pgSkip) }, () => {
    let redis: PrivateRedis;
    let database: TestDatabase | undefined;
    let dataDir: string;
    let context: Runtime;
    let inspector: QueueInspector;
    let service: TranscriptionService;
    let app: ReturnType<typeof createApp>['app'];
    const queues: Queue<SegmentTaskData>[] = [];
    let manual: Worker<SegmentTaskData> | undefined;
    let client: Redis;
    const connections: Redis[] = [];
    const nowMs = Date.now();

    before(async () => {
      redis = await startPrivateRedis();
      if (driver === 'postgres') database = await createTestDatabase();
      dataDir = mkdtempSync(join(tmpdir(), 'parascribe-queue-metrics-'));
      const config = configSchema.parse({
        dataDir,
        ...(database ? { databaseUrl: database.url } : {}),
        serve: { apiKeys: [KEY] },
        backends: { fake: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKey: 'x' } },
        distributed: { redisUrl: redis.url, queuePrefix: PREFIX, autoscale: { latencyTargetSec: 60, minWorkers: 0, maxWorkers: 100 }, worker: { concurrency: 1 } },
      });
      context = await openRuntime(config);
      inspector = new QueueInspector({
        redisUrl: redis.url,
        queuePrefix: PREFIX,
        store: context.store,
        backendIds: () => configuredQueueBackends(config),
        policy: config.distributed.autoscale,
        workerConcurrency: config.distributed.worker.concurrency,
        cacheMs: 0,
      });
      // The runtime as a server opens it, with this test's inspector (no cache) as the queue stats.
      service = new TranscriptionService({ runtime: { ...context, queueStats: inspector } });
      app = createApp(service, { queueBoard: inspector }).app;

      // pocketsphinx: one prioritized (the dispatcher's priority 5), one plain waiting, one delayed: 150 s.
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
      connections.push(connection);
      const sphinx = new Queue<SegmentTaskData>(segmentQueueName('pocketsphinx'), { connection, prefix: PREFIX });
      const fake = new Queue<SegmentTaskData>(segmentQueueName('fake'), { connection, prefix: PREFIX });
      queues.push(sphinx, fake);
      await sphinx.add('segment', task('j1', 0, 0, 60, nowMs - 42_000), { jobId: 'j1.0.1', priority: 5 });
      await sphinx.add('segment', task('j1', 1, 60, 120, nowMs - 10_000), { jobId: 'j1.1.1' });
      await sphinx.add('segment', task('j1', 2, 120, 150, nowMs - 5_000), { jobId: 'j1.2.1', delay: 60_000 });
      // fake: one task taken by a worker (active, 300 s), one waiting (60 s).
      await fake.add('segment', task('j2', 0, 0, 300, nowMs - 20_000), { jobId: 'j2.0.1' });
      const workerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
      connections.push(workerConnection);
      manual = new Worker<SegmentTaskData>(segmentQueueName('fake'), null, { connection: workerConnection, prefix: PREFIX, autorun: false });
      assert.equal((await manual.getNextJob('test-token'))?.id, 'j2.0.1');
      await fake.add('segment', task('j2', 1, 300, 360, nowMs - 7_000), { jobId: 'j2.1.1' });

      // Two live workers (one announces a backend not in config) and one unreadable heartbeat.
      client = new Redis(redis.url);
      connections.push(client);
      await client.set(workerKey(PREFIX, 'w1'), JSON.stringify({ backends: ['pocketsphinx', 'fake'], concurrency: 2, pid: 1, host: 'a' }), 'EX', 30);
      await client.set(workerKey(PREFIX, 'w2'), JSON.stringify({ backends: ['fake', 'whisper'], concurrency: 4, pid: 2, host: 'b' }), 'EX', 30);
      await client.set(workerKey(PREFIX, 'broken'), 'not json', 'EX', 30);

      // Finished pocketsphinx segments: 60 s of audio in 30 s of processing, twice (slot speed 2).
      const { store } = context;
      const nowSec = nowMs / 1000;
      await store.createJob({ id: 'j0', source: 'test', segmentSec: 60, backend: 'pocketsphinx', format: 'json', language: null, priority: 'normal', options: {} });
      await store.insertSegments('j0', [
        { index: 0, startSec: 0, endSec: 60, cutAfter: 'pause' },
        { index: 1, startSec: 60, endSec: 120, cutAfter: 'pause' },
        { index: 2, startSec: 120, endSec: 180, cutAfter: 'end' },
      ]);
      await store.updateSegment('j0', 0, { status: 'completed', backend: 'pocketsphinx', started_at: nowSec - 100, completed_at: nowSec - 70 });
      await store.updateSegment('j0', 1, { status: 'completed', backend: 'pocketsphinx', started_at: nowSec - 40, completed_at: nowSec - 10 });
      // Two hours ago: outside both windows.
      await store.updateSegment('j0', 2, { status: 'completed', backend: 'pocketsphinx', started_at: nowSec - 7_300, completed_at: nowSec - 7_200 });
    });

    after(async () => {
      // Redis is stopped by the last test: disconnect rather than close (a close would wait for it).
      for (const connection of connections) connection.disconnect();
      await Promise.race([Promise.allSettled([manual?.close(true), ...queues.map((q) => q.close())]), new Promise((r) => setTimeout(r, 2_000))]);
      await inspector?.close();
      await service?.stop();
      await context?.store.close();
      await database?.drop();
      await redis?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test('/metrics reports queues, workers, throughput and the desired workers', async () => {
      const response = await app.request('/metrics', { headers: AUTH });
      assert.equal(response.status, 200);
      const m = samples(await response.text());
      assert.equal(m.get('parascribe_segments_waiting{backend="pocketsphinx"}'), 3);
      assert.equal(m.get('parascribe_segments_active{backend="pocketsphinx"}'), 0);
      assert.equal(m.get('parascribe_segments_waiting{backend="fake"}'), 1);
      assert.equal(m.get('parascribe_segments_active{backend="fake"}'), 1);
      assert.equal(m.get('parascribe_backlog_audio_seconds{backend="pocketsphinx"}'), 150);
      assert.equal(m.get('parascribe_backlog_audio_seconds{backend="fake"}'), 360);
      const oldestSphinx = m.get('parascribe_segments_oldest_wait_seconds{backend="pocketsphinx"}')!;
      assert.ok(oldestSphinx >= 42 && oldestSphinx < 120, `oldest pocketsphinx wait ${oldestSphinx}`);
      const oldestFake = m.get('parascribe_segments_oldest_wait_seconds{backend="fake"}')!;
      assert.ok(oldestFake >= 7 && oldestFake < 85, `oldest fake wait ${oldestFake} (the active task does not count)`);
      assert.equal(m.get('parascribe_workers{backend="pocketsphinx"}'), 1);
      assert.equal(m.get('parascribe_workers{backend="fake"}'), 2);
      assert.equal(m.get('parascribe_worker_slots{backend="pocketsphinx"}'), 2);
      assert.equal(m.get('parascribe_worker_slots{backend="fake"}'), 6);
      assert.equal(m.get('parascribe_workers_live'), 2);
      // A backend only a worker announces gets its queue read too.
      assert.equal(m.get('parascribe_workers{backend="whisper"}'), 1);
      assert.equal(m.get('parascribe_segments_waiting{backend="whisper"}'), 0);
      assert.equal(m.get('parascribe_segments_oldest_wait_seconds{backend="whisper"}'), 0);
      assert.equal(m.get('parascribe_throughput_audio_seconds_per_second{backend="pocketsphinx"}'), 120 / 300);
      assert.ok(Math.abs(m.get('parascribe_slot_speed_ratio{backend="pocketsphinx"}')! - 2) < 1e-3);
      assert.equal(m.has('parascribe_slot_speed_ratio{backend="fake"}'), false, 'nothing measured for fake');
      // pocketsphinx 150 s / speed 2 = 75 slot-s; fake unmeasured: 2 tasks × 60 s = 120 slot-s;
      // 195 / (3 slots per worker (mean of 2 and 4) × 60 s) = 1.08 → 2 workers.
      assert.equal(m.get('parascribe_desired_workers'), 2);
      assert.equal(m.get('parascribe_desired_workers_unmeasured_backends'), 1);
    });

    test('/admin/queues needs the API key; with it, the board lists the configured and announced queues read-only and hides audio URLs', async () => {
      assert.equal((await app.request('/admin/queues')).status, 401);
      assert.equal((await app.request('/admin/queues/api/queues')).status, 401);
      assert.equal((await app.request('/admin/queues', { headers: { Authorization: 'Bearer wrong-key-0123456789' } })).status, 401);
      const page = await app.request('/admin/queues', { headers: AUTH });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const api = await app.request('/admin/queues/api/queues?activeQueue=segments-pocketsphinx&status=prioritized', { headers: AUTH });
      assert.equal(api.status, 200);
      const body = (await api.json()) as { queues: Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number>; jobs: Array<{ data: SegmentTaskData }> }> };
      const names = body.queues.map((q) => q.name).sort();
      assert.deepEqual(names, ['segments-fake', 'segments-pocketsphinx', 'segments-whisper']);
      const sphinx = body.queues.find((q) => q.name === 'segments-pocketsphinx')!;
      assert.equal(sphinx.readOnlyMode, true);
      assert.equal(sphinx.counts.prioritized, 1);
      assert.equal(sphinx.jobs.length, 1);
      assert.equal(sphinx.jobs[0]!.data.audioUrl, '(signed URL, hidden)');
      assert.equal(sphinx.jobs[0]!.data.task.endSec, 60);
      const pause = await app.request('/admin/queues/api/queues/segments-pocketsphinx/pause', { method: 'PUT', headers: AUTH });
      assert.equal(pause.status, 405);
      assert.equal(await queues[0]!.isPaused(), false);
    });

    test('Redis gone: the scrape still answers, without the queue gauges, desired workers NaN', async () => {
      await redis.stop();
      const started = performance.now();
      const response = await app.request('/metrics', { headers: AUTH });
      const elapsedMs = performance.now() - started;
      assert.equal(response.status, 200);
      assert.ok(elapsedMs < 5_000, `scrape took ${elapsedMs} ms`);
      const body = await response.text();
      const m = samples(body);
      assert.equal([...m.keys()].some((k) => k.startsWith('parascribe_segments_waiting')), false);
      assert.equal([...m.keys()].some((k) => k.startsWith('parascribe_workers{')), false);
      // prom-client writes NaN as "Nan" (Prometheus parses it case-insensitively).
      assert.match(body, /^parascribe_desired_workers nan$/im);
      assert.match(body, /^parascribe_workers_live nan$/im);
      assert.ok(m.has('parascribe_throughput_audio_seconds_per_second{backend="pocketsphinx"}'), 'the store part still reads');
    });
  });
}

describe('queue reads against a Redis that accepts connections and never answers', { skip: redisSkip }, () => {
  let silent: Server;
  const sockets: Socket[] = [];
  before(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test('the snapshot resolves within the read timeout, with every queue unread and no scaling decision', async () => {
    const { port } = silent.address() as { port: number };
    const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-queue-metrics-silent-'));
    const context = await openRuntime(configSchema.parse({ dataDir }));
    const inspector = new QueueInspector({
      redisUrl: `redis://127.0.0.1:${port}`,
      queuePrefix: PREFIX,
      store: context.store,
      backendIds: () => ['pocketsphinx', 'fake'],
      policy: { latencyTargetSec: 60, minWorkers: 1, maxWorkers: 10 },
      workerConcurrency: 1,
      readTimeoutMs: 300,
    });
    try {
      const started = performance.now();
      const snapshot = await inspector.snapshot();
      assert.ok(performance.now() - started < 2_000);
      assert.deepEqual(snapshot.queues, []);
      assert.deepEqual(snapshot.unreadQueues, ['fake', 'pocketsphinx']);
      assert.equal(snapshot.workers, undefined);
      assert.equal(snapshot.autoscale, undefined);
      assert.deepEqual([...(snapshot.throughput ?? new Map()).keys()], []);
    } finally {
      await inspector.close();
      await context.store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
