/**
 * The shadow runner on its own: a fake reference backend (held answers), a real SQLite store and real
 * PCM files. Submitting never waits; calls are bounded; the pinned audio outlives its file; the
 * disagreement is stored; closing drains, then aborts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { sliceSegment } from '../audio/segment-audio.js';
import { BackendRegistry } from '../backends/registry.js';
import { BackendSet } from '../backends/set.js';
import type { TranscribeRequest, TranscribeResult } from '../backends/spec.js';
import { DEFAULT_SHADOW_LIMITS, type ShadowLimits } from '../config/rollout.js';
import { openStore } from '../store/registry.js';
import { disagreement, ShadowRunner, type ShadowRequest } from './shadow.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-shadow-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A reference backend whose calls wait until the test lets them go (or their signal ends them). */
function heldBackend() {
  const calls: Array<{ request: TranscribeRequest; answer: (text: string) => void; fail: (error: Error) => void; bytes: Promise<number> }> = [];
  const registry = new BackendRegistry().register({
    id: 'ref',
    description: 'test reference',
    settingsSchema: z.object({}),
    create: () => ({
      id: 'ref',
      model: 'ref',
      capabilities: { wordTimestamps: false, languages: '*', costPerAudioMinuteUsd: 0 },
      fingerprint: {},
      transcribe: (request) =>
        new Promise<TranscribeResult>((resolve, reject) => {
          let bytes = 0;
          const read = new Promise<number>((done) => request.audio.openPcm().on('data', (c: Buffer) => (bytes += c.length)).on('end', () => done(bytes)).on('error', () => done(-1)));
          request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
          calls.push({ request, bytes: read, fail: reject, answer: (text) => resolve({ text, utterances: [], computeSec: 0, coldStart: false, warnings: [] }) });
        }),
    }),
  });
  return { calls, backends: new BackendSet(registry, {}) };
}

async function setup(limits: Partial<ShadowLimits> = {}) {
  const store = await openStore({ dataDir: mkdtempSync(join(dir, 'data-')) });
  await store.createJob({ id: 'jshadow', source: '/a.wav', segmentSec: 1, backend: 'prod', format: 'txt', language: null, priority: 'normal', options: {} });
  const { calls, backends } = heldBackend();
  const lines: string[] = [];
  const runner = new ShadowRunner({ backends, store, log: (line) => lines.push(line), limits: () => ({ ...DEFAULT_SHADOW_LIMITS, ...limits }) });
  const pcm = join(mkdtempSync(join(dir, 'job-')), 'audio.pcm');
  writeFileSync(pcm, Buffer.alloc(32_000 * 4, 1)); // 4 s
  const request = (index: number, extra: Partial<ShadowRequest> = {}): ShadowRequest => ({
    jobId: 'jshadow',
    index,
    kind: 'shadow',
    backend: 'prod',
    text: 'one two three four five',
    backendSec: 1,
    reference: 'ref',
    audio: sliceSegment(pcm, index, index + 1).pin!(),
    ...extra,
  });
  return { store, runner, calls, lines, pcm, request };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), 'condition not met in 2 s');
};

test('disagreement: WER of the stored text against the reference; an empty reference is 0 or 1, never Infinity', () => {
  assert.deepEqual(disagreement('one two three four five', 'one two three four five'), { wer: 0, referenceWords: 5 });
  assert.deepEqual(disagreement('one two three four five', 'one two tree four five'), { wer: 0.2, referenceWords: 5 });
  assert.deepEqual(disagreement('', ''), { wer: 0, referenceWords: 0 });
  assert.deepEqual(disagreement('', 'hello'), { wer: 1, referenceWords: 0 });
});

test('shadow runner: bounded, never waits, reads pinned audio after its file is gone, stores the disagreement', async () => {
  const { store, runner, calls, lines, pcm, request } = await setup({ maxConcurrent: 2, maxPending: 3 });
  const done: Array<number | null> = [];
  assert.equal(runner.submit(request(0, { onDone: (o) => void done.push(o.wer) })), true);
  assert.equal(runner.submit(request(1)), true);
  assert.equal(runner.submit(request(2)), true);
  assert.equal(runner.submit(request(3)), false, 'over maxPending: not shadowed');
  assert.match(lines[0]!, /3 shadow calls pending/);
  assert.equal(calls.length, 2, 'maxConcurrent calls at once');
  rmSync(pcm); // the job ended and removed its files
  assert.equal(await calls[0]!.bytes, 32_000, 'the pinned audio is still readable');
  calls[0]!.answer('one two tree four five');
  await until(() => calls.length === 3);
  calls[1]!.fail(new Error('reference is down'));
  calls[2]!.answer('one two three four five');
  await until(() => runner.pending === 0);
  await until(() => done.length === 1);
  assert.deepEqual(done, [0.2]);
  const rows = await store.rollout.listShadows('jshadow');
  assert.deepEqual(
    rows.map((r) => [r.idx, r.wer, r.reference_words, r.error_code]),
    [
      [0, 0.2, 5, null],
      [1, null, null, 'INTERNAL'],
      [2, 0, 5, null],
    ],
  );
  assert.ok(rows[0]!.reference_sec! >= 0 && rows[0]!.backend_sec === 1);
  await runner.close();
  await store.close();
});

test('shadow runner: close drains pending calls for drainSec, then aborts and records nothing for them', async () => {
  const { store, runner, calls, request } = await setup({ maxConcurrent: 1, drainSec: 0.3 });
  runner.submit(request(0));
  runner.submit(request(1));
  await until(() => calls.length === 1);
  const closing = runner.close();
  assert.equal(runner.submit(request(2)), false, 'closing: no new shadows');
  calls[0]!.answer('one two three four five');
  await until(() => calls.length === 2); // the waiting one still runs within the drain time
  const started = performance.now();
  await closing;
  assert.ok(performance.now() - started < 2_000);
  assert.ok(calls[1]!.request.signal.aborted, 'the one still running at the deadline is aborted');
  assert.deepEqual((await store.rollout.listShadows('jshadow')).map((r) => r.idx), [0]);
  await store.close();
});
