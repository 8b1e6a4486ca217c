/**
 * The canary controller over a real store, as two processes (a server and a worker, say) share it:
 * counts from both add up, one of them writes (and logs) the verdict, and the other follows it
 * within its cache time.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canarySchema } from '../config/rollout.js';
import { openStore } from '../store/registry.js';
import { CanaryController, rolloutKey, type CanaryVerdictEvent } from './canary.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-canary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('rollout key: named, or the candidate with a hash of its settings and compareWith', () => {
  const canary = canarySchema.parse({ backend: 'cand', share: 0.1, compareWith: 'prod' });
  const key = rolloutKey(canary, { type: 'openai', baseURL: 'http://a/v1', model: 'm' });
  assert.match(key, /^cand@[0-9a-f]{10}$/);
  assert.equal(rolloutKey(canary, { model: 'm', baseURL: 'http://a/v1', type: 'openai' }), key, 'key order does not matter');
  assert.notEqual(rolloutKey(canary, { type: 'openai', baseURL: 'http://b/v1', model: 'm' }), key, 'changed settings: a new rollout');
  assert.notEqual(rolloutKey({ ...canary, compareWith: 'other' }, { type: 'openai', baseURL: 'http://a/v1', model: 'm' }), key);
  assert.equal(rolloutKey({ ...canary, rollout: 'try-2' }, {}), 'try-2');
  assert.throws(() => canarySchema.parse({ backend: 'a', share: 0.1, compareWith: 'a' }), /must be different/);
});

test('canary controller: two processes on one store; counts add up, one verdict is written and logged, the other follows', async () => {
  const store = await openStore({ dataDir: dir });
  const canary = canarySchema.parse({ backend: 'cand', share: 0.5, compareWith: 'prod', maxErrorRate: 0.1, minSegments: 10 });
  const lines: string[] = [];
  const verdicts: CanaryVerdictEvent[] = [];
  const make = (ttlMs: number) => new CanaryController({ store, ttlMs, log: (line) => lines.push(line), onVerdict: (v) => verdicts.push(v) });
  const server = make(60_000);
  const worker = make(0);
  const key = 'cand@test';
  assert.equal(await server.status(key, canary), 'active');
  assert.equal(await worker.status(key, canary), 'active');
  // 12 attempts, every 4th failing, recorded by both at once.
  await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? server : worker).recordAttempt(key, canary, i % 4 === 3)));
  const row = await store.rollout.getRollout(key);
  assert.deepEqual([row!.segments, row!.errors, row!.status], [12, 3, 'rolled-back']);
  assert.equal(verdicts.length, 1, 'one verdict, written once');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^canary cand \(rollout cand@test\): rolled back; its segments go to the normal chain again: error rate 0\.\d\d > 0\.10 over 1\d segments$/);
  assert.equal(await worker.status(key, canary), 'rolled-back', 'the other process reads it from the store');
  assert.equal(await server.status(key, canary), 'rolled-back');

  // A healthy candidate under another rollout name: ready after minSegments, said once.
  const healthy = canarySchema.parse({ backend: 'good', share: 0.5, compareWith: 'prod', maxShadowWer: 0.1, minSegments: 3 });
  assert.equal(await server.status('good@1', healthy), 'active');
  for (let i = 0; i < 3; i++) await server.recordAttempt('good@1', healthy, false);
  assert.equal(await server.status('good@1', healthy), 'active', 'the WER threshold needs its comparisons');
  for (let i = 0; i < 3; i++) await worker.recordComparison('good@1', healthy, { wer: 0.02, candidateSec: 1, referenceSec: 1 });
  assert.equal(await worker.status('good@1', healthy), 'ready');
  assert.deepEqual(verdicts.map((v) => [v.backend, v.status]), [['cand', 'rolled-back'], ['good', 'ready']]);
  assert.match(lines[1]!, /canary good \(rollout good@1\): ready to promote: passed after 3 segments: error rate 0\.00 ≤ 0\.05, shadow WER 0\.02 ≤ 0\.10/);
  await store.close();
});
