/**
 * The predictive part of `parascribe_desired_workers` end to end on a real job store (SQLite, and
 * PostgreSQL when one answers) and a private real Redis: arrivals written as job rows in the past,
 * finished segments for a measured speed, then the gauges as a scrape reads them. Without history
 * the signal says it is reactive alone, in /metrics and the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FleetSignal } from '../src/autoscale/signal.js';
import { distributedSchema } from '../src/config/distributed.js';
import { QueueInspector } from '../src/queue/bullmq/queue-stats.js';
import { registerQueueMetrics } from '../src/service/queue-metrics.js';
import type { JobStore } from '../src/store/jobs.js';
import { openStore } from '../src/store/registry.js';
import { redisAvailable, startPrivateRedis, type PrivateRedis } from './helpers/redis.js';
import { storeDriverCases } from './helpers/store-drivers.js';

const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const redisSkip = redisAvailable() ? false : inCi ? false : 'redis-server is not installed; skipped outside CI';
const DAY = 86_400;

function samples(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function addJob(store: JobStore, id: string, createdSec: number, durationSec: number): Promise<void> {
  await store.createJob({ id, source: 'test', segmentSec: 360, backend: 'fake', format: 'json', language: null, priority: 'normal', options: {} });
  await store.updateJob(id, { created_at: createdSec, duration_sec: durationSec });
}

for (const driver of await storeDriverCases('autoscale-signal')) {
  describe(`the predictive part on a real store (${driver.name}) and Redis`, { skip: redisSkip || driver.skip }, () => {
    let redis: PrivateRedis;
    const opened: Array<{ store: JobStore; inspector: QueueInspector }> = [];
    const config = distributedSchema.parse({ autoscale: { provisioningDelaySec: 60, forecast: { binSec: 300, targetUtilisation: 0.8 } } });

    before(async () => {
      redis = await startPrivateRedis();
    });
    after(async () => {
      for (const { store, inspector } of opened) {
        await inspector.close();
        await store.close();
      }
      await driver.cleanup();
      await redis?.stop();
    });

    async function scrape(setup: (store: JobStore, nowSec: number) => Promise<void>): Promise<{ m: Map<string, number>; logs: string[] }> {
      const store = await openStore(await driver.settings());
      const nowSec = Date.now() / 1000;
      await setup(store, nowSec);
      const logs: string[] = [];
      const signal = new FleetSignal({ policy: config.autoscale, loadArrivals: (sinceSec) => store.listArrivalsSince(sinceSec, 1_000), log: (l) => logs.push(l) });
      const inspector = new QueueInspector({ redisUrl: redis.url, queuePrefix: `as${opened.length}`, store, backendIds: () => ['fake'], policy: config.autoscale, workerConcurrency: 1, cacheMs: 0, signal });
      opened.push({ store, inspector });
      const registry = new Registry();
      registerQueueMetrics(registry, inspector);
      return { m: samples(await registry.metrics()), logs };
    }

    test('no history: reactive alone, said in /metrics and the log', async () => {
      const { m, logs } = await scrape(async () => {});
      assert.equal(m.get('parascribe_forecast_available'), 0);
      assert.ok(Number.isNaN(m.get('parascribe_desired_workers_predictive')));
      assert.equal(m.get('parascribe_desired_workers_reactive'), 0);
      assert.equal(m.get('parascribe_desired_workers'), 0);
      assert.deepEqual(logs, ['autoscale: no forecast (no arrivals in the job store); parascribe_desired_workers is the reactive signal alone']);
    });

    test('under a day of history: still reactive alone', async () => {
      const { m, logs } = await scrape((store, nowSec) => addJob(store, 'recent', nowSec - 3 * 3600, 600));
      assert.equal(m.get('parascribe_forecast_available'), 0);
      assert.equal(m.get('parascribe_forecast_history_days'), 0);
      assert.match(logs[0]!, /no forecast \(3\.0 h of arrivals, under one day\)/);
    });

    test('history: the forecast load at now + provisioning delay sets the desired workers', async () => {
      const { m, logs } = await scrape(async (store, nowSec) => {
        // 3000 s of audio arrived 2 minutes after this time of day, on each of the last 3 days.
        for (const d of [1, 2, 3]) await addJob(store, `d${d}`, nowSec - d * DAY + 120, 3_000);
        // A measured slot speed of 2 (60 s of audio in 30 s, twice).
        // (Its job has no probed duration, so it is not an arrival: the recent level stays 1.)
        await store.createJob({ id: 'seg', source: 'test', segmentSec: 360, backend: 'fake', format: 'json', language: null, priority: 'normal', options: {} });
        await store.insertSegments('seg', [
          { index: 0, startSec: 0, endSec: 60, cutAfter: 'pause' },
          { index: 1, startSec: 60, endSec: 120, cutAfter: 'end' },
        ]);
        await store.updateSegment('seg', 0, { status: 'completed', backend: 'fake', started_at: nowSec - 100, completed_at: nowSec - 70 });
        await store.updateSegment('seg', 1, { status: 'completed', backend: 'fake', started_at: nowSec - 40, completed_at: nowSec - 10 });
      });
      assert.equal(m.get('parascribe_forecast_available'), 1);
      assert.equal(m.get('parascribe_forecast_history_days'), 2);
      // The profile's bin holding now + 120 s: 3000 s per 300 s bin = 10 audio s per s (level 1: the last hour held nothing, as expected).
      assert.equal(m.get('parascribe_forecast_audio_seconds_per_second'), 10);
      // 10 / speed 2 / (1 slot × 0.8) = 6.25 → 7; the queues are empty, so reactive is 0.
      assert.equal(m.get('parascribe_desired_workers_predictive'), 7);
      assert.equal(m.get('parascribe_desired_workers_reactive'), 0);
      assert.equal(m.get('parascribe_desired_workers'), 7);
      // The held-out day (yesterday) matched the day before exactly.
      assert.equal(m.get('parascribe_forecast_error_ratio{measure="wape"}'), 0);
      assert.match(logs[0]!, /forecast fitted on 2 days \(daily profile/);
    });
  });
}
