/**
 * serveSegment with FAKE backends (scripted TranscriptionBackend objects, no engine, no network) and a
 * real SQLite JobStore in a temp dir. Backoff, the retry budget and the circuit breakers run on one
 * virtual clock: waits move it instead of passing, so nothing here depends on timing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { SegmentAudio } from '../audio/segment-audio.js';
import { BackendRegistry } from '../backends/registry.js';
import { BackendSet } from '../backends/set.js';
import type { TranscribeResult, TranscriptionBackend } from '../backends/spec.js';
import { ParascribeError } from '../errors.js';
import { BreakerBoard, DEFAULT_BREAKER_OPTIONS, type BreakerOptions } from '../queue/breaker.js';
import { BackendLoad } from '../queue/load.js';
import type { RetryClock, RetryPolicy } from '../queue/retry.js';
import type { JobStore } from '../store/jobs.js';
import { openStore } from '../store/registry.js';
import { DEFAULT_QUALITY } from './quality.js';
import { serveSegment, type AttemptRecord, type ServeContext } from './serve-segment.js';

/** What a fake backend does on call n: answer with this text, throw this error; `ms`: how long the call takes (virtual). */
type Step = { text: string; ms?: number } | { error: () => ParascribeError; ms?: number };

/** A FAKE backend: plays its script (the last step repeats), counts calls, moves the virtual clock. */
function fakeBackend(id: string, steps: Step[], clock: VirtualClock, costPerAudioMinuteUsd = 0): TranscriptionBackend & { calls: number } {
  const fake = {
    id,
    model: 'fake',
    capabilities: { wordTimestamps: false, languages: '*' as const, costPerAudioMinuteUsd },
    fingerprint: { fake: id },
    calls: 0,
    async transcribe(): Promise<TranscribeResult> {
      const step = steps[Math.min(fake.calls, steps.length - 1)]!;
      fake.calls++;
      clock.advance(step.ms ?? 200);
      if ('error' in step) throw step.error();
      return { text: step.text, utterances: step.text ? [{ startSec: 0, endSec: 10, text: step.text, words: [] }] : [], computeSec: 0.2, coldStart: false, warnings: [] };
    },
  };
  return fake;
}

const http503 = () => new ParascribeError('BACKEND_FAILED', 'backend "remote": HTTP 503 from http://fake/v1: overloaded', { isRetryable: true, details: { status: 503, transient: true } });
const http429 = () => new ParascribeError('BACKEND_FAILED', 'backend "remote": HTTP 429', { isRetryable: true, details: { status: 429, retryAfterMs: 1000, transient: true } });
const unusable = () => new ParascribeError('BACKEND_FAILED', 'backend "remote": HTTP 200 with an unusable body', { isRetryable: true, details: { status: 200 } });
const http400 = () => new ParascribeError('BACKEND_FAILED', 'backend "remote": HTTP 400', { isRetryable: false, details: { status: 400 } });

interface VirtualClock extends RetryClock {
  advance(ms: number): void;
  nowSec(): number;
}

function virtualClock(): VirtualClock {
  let now = 1_000_000;
  return {
    nowMs: () => now,
    nowSec: () => now / 1000,
    random: () => 0.5,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
      now += ms;
    },
  };
}

let dir: string;
let store: JobStore;
let jobs = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parascribe-serve-segment-'));
  store = await openStore({ dataDir: dir });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const audio = { id: 'fake-audio', startSec: 0, endSec: 10, durationSec: 10, sampleRate: 16_000 } as unknown as SegmentAudio;

/** A job with one segment in the store, fake backends under their ids, breakers and retry on the clock. */
async function setup(options: { backends: Record<string, Step[]>; chain: string[]; policy?: Partial<RetryPolicy>; breaker?: Partial<BreakerOptions>; costs?: Record<string, number> }) {
  const clock = virtualClock();
  const jobId = `job-${++jobs}`;
  await store.createJob({ id: jobId, source: '/audio/fake.wav', segmentSec: 10, backend: options.chain[0]!, format: 'txt', language: 'en', priority: 'normal', options: { chain: options.chain } });
  await store.insertSegments(jobId, [{ index: 0, startSec: 0, endSec: 10, cutAfter: 'end' }]);
  const fakes = Object.fromEntries(Object.entries(options.backends).map(([id, steps]) => [id, fakeBackend(id, steps, clock, options.costs?.[id])]));
  const registry = new BackendRegistry();
  for (const [id, fake] of Object.entries(fakes)) registry.register({ id, description: 'FAKE backend (test)', settingsSchema: z.object({}), create: () => fake });
  const breakers = new BreakerBoard({ ...DEFAULT_BREAKER_OPTIONS, failureThreshold: 100, minCalls: 100, ...options.breaker }, () => {}, clock.nowSec);
  const ctx: ServeContext = {
    jobId,
    chain: options.chain,
    backends: new BackendSet(registry, {}),
    breakers,
    load: new BackendLoad(),
    pressure: {},
    quality: DEFAULT_QUALITY,
    language: 'en',
    retryPolicy: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 30_000, budgetMs: 600_000, ...options.policy },
    retryClock: clock,
    segmentTimeoutSec: 60,
    store,
  };
  const serve = () => serveSegment(0, audio, 10, ctx, new AbortController().signal, undefined);
  const stored = async () => {
    const row = (await store.getSegment(jobId, 0))!;
    return { attempts: row.attempts, log: JSON.parse(row.attempts_json ?? '[]') as AttemptRecord[] };
  };
  return { clock, fakes, breakers, serve, stored };
}

const outcomes = (log: AttemptRecord[]) => log.map((a) => `${a.backend}:${a.outcome}`);

test('serveSegment: transient errors are retried past maxAttempts within the budget; every attempt is in the store', async () => {
  const { fakes, serve, stored, clock } = await setup({
    chain: ['remote'],
    backends: { remote: [{ error: http503 }, { error: http429 }, { error: http503 }, { error: http503 }, { error: http503 }, { text: 'hello' }] },
    policy: { maxAttempts: 3 },
  });
  const started = clock.nowMs();
  const served = await serve();
  assert.equal(served.backend, 'remote');
  assert.equal(served.result.text, 'hello');
  assert.equal(fakes.remote!.calls, 6, 'five transient failures in a row, maxAttempts 3: still served');
  const { attempts, log } = await stored();
  assert.equal(attempts, 6);
  assert.deepEqual(outcomes(log), [...Array(5).fill('remote:error'), 'remote:ok']);
  assert.deepEqual(log.map((a) => a.attempt), [1, 2, 3, 4, 5, 6]);
  assert.equal(log[2]!.delayBeforeMs, 1000, "after the 429 (Retry-After 1 s): the server's floor over a 0.5 × 1 s jitter");
  assert.ok(clock.nowMs() - started < 600_000);
});

test('serveSegment: waiting for an open breaker is not an attempt (last backend of the chain)', async () => {
  // failureThreshold 2, open 30 s: the 2nd failure opens it; the segment waits for the half-open probe.
  const { fakes, serve, stored, breakers } = await setup({
    chain: ['remote'],
    backends: { remote: [{ error: http503 }, { error: http503 }, { text: 'after the wait' }] },
    policy: { maxAttempts: 1 },
    breaker: { failureThreshold: 2, openSec: 30 },
  });
  const served = await serve();
  assert.equal(served.result.text, 'after the wait');
  assert.equal(fakes.remote!.calls, 3);
  const { attempts, log } = await stored();
  assert.equal(attempts, 3, 'three calls, three attempts: the wait added none');
  assert.deepEqual(outcomes(log), ['remote:error', 'remote:error', 'remote:ok']);
  assert.ok(!log.some((a) => a.outcome === 'skipped'));
  // The probe came once the breaker half-opened: 30 s after it opened, the backoff before it included.
  const waited = (log[2]!.breakerWaitMs ?? 0) + (log[2]!.delayBeforeMs ?? 0);
  assert.equal(waited, 30_000, `waited ${log[2]!.breakerWaitMs} ms for the breaker after ${log[2]!.delayBeforeMs} ms of backoff`);
  assert.deepEqual(breakers.transitions.map((t) => t.to), ['open', 'half-open', 'closed']);
});

test('serveSegment: a breaker opened by other segments: this one waits for it and then takes one attempt', async () => {
  const { serve, stored, breakers } = await setup({ chain: ['remote'], backends: { remote: [{ text: 'ok' }] }, policy: { maxAttempts: 1 }, breaker: { failureThreshold: 3, openSec: 30 } });
  const breaker = breakers.get('remote');
  for (let i = 0; i < 3; i++) breaker.onFailure();
  assert.equal(breaker.state, 'open');
  await serve();
  const { attempts, log } = await stored();
  assert.equal(attempts, 1);
  assert.deepEqual(outcomes(log), ['remote:ok']);
  assert.equal(log[0]!.breakerWaitMs, 30_000);
});

test('serveSegment: the budget runs out on the primary → the fallback serves the segment', async () => {
  const { fakes, serve, stored, clock } = await setup({
    chain: ['remote', 'local'],
    backends: { remote: [{ error: http503, ms: 1000 }], local: [{ text: 'from the fallback' }] },
    policy: { budgetMs: 20_000, maxAttempts: 2 },
    costs: { remote: 0.006 },
  });
  const started = clock.nowMs();
  const served = await serve();
  assert.equal(served.backend, 'local');
  assert.equal(served.result.text, 'from the fallback');
  assert.ok(fakes.remote!.calls > 2, `${fakes.remote!.calls} calls to the failing primary: more than maxAttempts`);
  const { log } = await stored();
  assert.deepEqual(outcomes(log), [...Array(fakes.remote!.calls).fill('remote:error'), 'local:ok']);
  const elapsed = clock.nowMs() - started;
  assert.ok(elapsed >= 20_000 && elapsed < 23_000, `handed over after ${elapsed} ms (budget 20 s)`);
  assert.equal(served.costUsd, 0, 'failed attempts cost nothing');
});

test('serveSegment: the budget runs out with no fallback → one line: which backend, failing for how long, how many attempts', async () => {
  const { fakes, serve } = await setup({ chain: ['remote'], backends: { remote: [{ error: http503, ms: 1000 }] }, policy: { budgetMs: 8000 } });
  const error = await serve().then(
    () => assert.fail('served'),
    (e: ParascribeError) => e,
  );
  assert.equal(error.code, 'BACKEND_FAILED');
  assert.equal(error.isRetryable, false);
  assert.ok(!error.message.includes('\n'));
  assert.match(error.message, new RegExp(`^segment 0: remote was failing for (8|9) s \\(${fakes.remote!.calls} attempts, retry budget 8 s\\); last error: backend "remote": HTTP 503`));
});

test('serveSegment: an open breaker on a backend that is not the last hands over at once (recorded as skipped)', async () => {
  const { fakes, serve, stored, breakers } = await setup({
    chain: ['remote', 'local'],
    backends: { remote: [{ text: 'never' }], local: [{ text: 'local' }] },
    breaker: { failureThreshold: 1, openSec: 30 },
  });
  breakers.get('remote').onFailure();
  const served = await serve();
  assert.equal(served.backend, 'local');
  assert.equal(fakes.remote!.calls, 0);
  const { attempts, log } = await stored();
  assert.deepEqual(outcomes(log), ['remote:skipped', 'local:ok']);
  assert.equal(attempts, 1, 'the skip called nothing');
});

test('serveSegment: failures that are not transient are capped by maxAttempts, then the next backend; a non-retryable one hands over at once', async () => {
  const capped = await setup({ chain: ['remote', 'local'], backends: { remote: [{ error: unusable }], local: [{ text: 'local' }] }, policy: { maxAttempts: 3 } });
  assert.equal((await capped.serve()).backend, 'local');
  assert.deepEqual(outcomes((await capped.stored()).log), ['remote:error', 'remote:error', 'remote:error', 'local:ok']);
  const permanent = await setup({ chain: ['remote', 'local'], backends: { remote: [{ error: http400 }], local: [{ text: 'local' }] }, policy: { maxAttempts: 3 } });
  assert.equal((await permanent.serve()).backend, 'local');
  assert.deepEqual(outcomes((await permanent.stored()).log), ['remote:error', 'local:ok']);
});

test('serveSegment: the quality guard sends a suspicious result to the next backend; a suspicious last backend is kept with a warning', async () => {
  // 10 s of speech and no words: "empty transcript" (DEFAULT_QUALITY.minSpeechSecForEmpty is 5 s).
  const guarded = await setup({ chain: ['remote', 'local'], backends: { remote: [{ text: '' }], local: [{ text: 'words' }] } });
  const served = await guarded.serve();
  assert.equal(served.backend, 'local');
  assert.equal(guarded.fakes.remote!.calls, 1, 'not retried on the same backend');
  const { log } = await guarded.stored();
  assert.deepEqual(outcomes(log), ['remote:suspicious', 'local:ok']);
  assert.match(log[0]!.error ?? '', /empty transcript/);
  const alone = await setup({ chain: ['remote'], backends: { remote: [{ text: '' }] } });
  const kept = await alone.serve();
  assert.equal(alone.fakes.remote!.calls, 1);
  assert.ok(kept.warnings.some((w) => w.type === 'quality-suspicious'));
});
