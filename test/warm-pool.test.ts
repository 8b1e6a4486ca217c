/**
 * The warm pool: the openai backend's `warm` sends a second of silence through the real request path,
 * which starts a worker on a scale-to-zero endpoint (the simulated one, test/fakes/serverless-sim.ts);
 * a request after it finds the worker started. The report counts requests, cold starts and compute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAICompatible } from '../src/backends/openai/index.js';
import { warmPool } from '../src/pipeline/warm-pool.js';
import { startFakeOpenAIServer } from './fakes/openai-server.js';

test('warm pool: k tiny requests start k workers; what they cost is reported', async (t) => {
  const server = await startFakeOpenAIServer({
    serverless: { maxContainers: 3, coldStart: { kind: 'fixed', sec: 0.3 }, idleTimeoutSec: 30, rttSec: 0.05, uploadBytesPerSec: 0, rtf: 0.1 },
    transcriber: async () => ({ text: '', durationSec: 1, utterances: [] }) as never,
  });
  t.after(() => server.close());
  const backend = createOpenAICompatible({ baseURL: server.url, apiKey: 'k', maxConcurrentRequests: 8 }, 'gpu');
  const report = await warmPool(backend, 2, 30, AbortSignal.timeout(30_000));
  assert.equal(report.requests, 2);
  assert.equal(report.failed, 0);
  assert.equal(report.coldStarts, 2, 'each warm-up started a worker');
  assert.ok(report.computeSec > 0.15 && report.computeSec < 0.3, `compute reported by the endpoint: ${report.computeSec}`);
  assert.ok(report.wallSec >= 0.3, 'waited for the cold starts');
  const stats = server.serverless!.stats();
  assert.equal(stats.alive, 2, 'two workers are up and idle');
  // The next request finds a started worker: no cold start.
  const again = await warmPool(backend, 1, 30, AbortSignal.timeout(30_000));
  assert.equal(again.coldStarts, 0);
});

test('warm pool: a backend that cannot be warmed, or an unreachable one, costs nothing and never throws', async () => {
  const none = await warmPool({ id: 'x', model: 'm', capabilities: { wordTimestamps: false, languages: '*', costPerAudioMinuteUsd: 0 }, fingerprint: {}, transcribe: async () => { throw new Error('unused'); } }, 4, 5, AbortSignal.timeout(5_000));
  assert.deepEqual(none, { requests: 0, coldStarts: 0, failed: 0, computeSec: 0, wallSec: 0 });
  const unreachable = createOpenAICompatible({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k', timeoutSec: 5 }, 'gone');
  const report = await warmPool(unreachable, 2, 5, AbortSignal.timeout(10_000));
  assert.equal(report.failed, 2);
});
