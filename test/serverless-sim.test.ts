/**
 * The simulated scale-to-zero GPU endpoint (test/fakes/serverless-sim.ts) keeps its timing rules:
 * cold starts only on new containers, at most k at once, FIFO waits when all are busy, scale to zero
 * after the idle timeout. Then the same through the fake OpenAI server (headers, real text), and the
 * periodic-text source the seed-table benchmark uses. Tiny parameters: the whole file takes seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { wavHeader } from '../src/audio/segment-audio.js';
import { FIXTURES } from './helpers/cli.js';
import { seededRandom, startFakeOpenAIServer } from './fakes/openai-server.js';
import { decodeToSamples, PeriodicTranscriber } from './fakes/periodic-text.js';
import { drawColdStart, ServerlessPool, SimCancelledError, type ServerlessOptions, type SimReport } from './fakes/serverless-sim.js';

const JFK = join(FIXTURES, 'jfk.wav');
/** Timers on a shared, loaded machine fire late, never early: lower bounds are tight, upper ones loose. */
const EARLY = 0.02;
const LATE = 0.4;

// cold 0.30 s, overhead 0.05 + 50 B / 1000 B/s = 0.10 s, compute 0.1 × 1 s = 0.10 s
const TINY: ServerlessOptions = { maxContainers: 2, coldStart: { kind: 'fixed', sec: 0.3 }, idleTimeoutSec: 0.4, rttSec: 0.05, uploadBytesPerSec: 1000, rtf: 0.1 };

test('serverless pool: cold starts, at most k, FIFO waits, warm reuse, scale to zero', async () => {
  const pool = new ServerlessPool(TINY, seededRandom(1));
  let running = 0;
  let maxRunning = 0;
  const work = async () => {
    maxRunning = Math.max(maxRunning, ++running);
    await delay(5);
    running--;
    return { value: 'text', audioSec: 1 };
  };
  const request = async () => (await pool.run(50, work)).report;

  const [a, b, c, d] = await Promise.all([request(), request(), request(), request()]);
  const reports = [a!, b!, c!, d!];
  // The first two start one container each and pay the cold start; the other two wait for them.
  assert.deepEqual(reports.map((r) => r.cold), [true, true, false, false]);
  assert.deepEqual(reports.slice(0, 2).map((r) => r.container).sort(), [1, 2]);
  assert.ok(reports.slice(2).every((r) => (r.container === 1 || r.container === 2) && r.coldStartSec === 0));
  for (const r of reports.slice(0, 2)) {
    assert.equal(r.coldStartSec, 0.3);
    assert.ok(Math.abs(r.overheadSec - 0.1) < 1e-9 && Math.abs(r.computeSec - 0.1) < 1e-9, JSON.stringify(r));
    assert.ok(r.queueWaitSec < 0.05, `a new container is assigned at once: ${r.queueWaitSec}`);
    assert.ok(r.finishedAtSec - r.arrivedAtSec >= 0.5 - EARLY, `cold: 0.3 + 0.1 + 0.1 s, got ${r.finishedAtSec - r.arrivedAtSec}`);
  }
  // A waiter gets a container the moment one is handed back, in arrival order.
  const firstFree = Math.min(a!.finishedAtSec, b!.finishedAtSec);
  assert.ok(c!.queueWaitSec >= 0.5 - EARLY && c!.queueWaitSec < 0.5 + LATE, `queue wait ${c!.queueWaitSec}`);
  assert.ok(Math.abs(c!.arrivedAtSec + c!.queueWaitSec - firstFree) < 0.05, 'handed the first container freed');
  assert.ok(d!.queueWaitSec >= c!.queueWaitSec - EARLY);
  assert.ok(c!.finishedAtSec - c!.arrivedAtSec >= 0.7 - EARLY, 'waited, then overhead and compute, no cold start');
  assert.equal(maxRunning, 2, 'never more than k at once');
  let stats = pool.stats();
  assert.deepEqual([stats.started, stats.maxAlive, stats.maxBusy, stats.maxWaiting, stats.alive, stats.busy], [2, 2, 2, 2, 2, 0]);

  // Within the idle timeout a request finds a warm container: no cold start.
  const warm = await request();
  assert.equal(warm.cold, false);
  assert.equal(warm.coldStartSec, 0);
  assert.ok(warm.queueWaitSec < 0.05);
  assert.ok(warm.finishedAtSec - warm.arrivedAtSec < 0.3, 'a warm request never waits for a boot');

  // After the idle timeout every container has stopped: scaled to zero, and the next request is cold.
  await delay(400 + 250);
  stats = pool.stats();
  assert.deepEqual([stats.alive, stats.stopped], [0, 2]);
  const cold = await request();
  assert.equal(cold.cold, true);
  assert.equal(cold.container, 3, 'a new container, never a stopped one');
  pool.scaleToZero();
  assert.equal(pool.stats().alive, 0);
  pool.close();
});

test('serverless pool: real work past the compute window makes the answer late, and says so', async () => {
  const pool = new ServerlessPool({ ...TINY, coldStart: { kind: 'fixed', sec: 0 }, rttSec: 0, uploadBytesPerSec: 0 }, seededRandom(1));
  const { report } = await pool.run(10, async () => (await delay(300), { value: 1, audioSec: 1 }));
  assert.ok(report.lateSec >= 0.2 - EARLY, `late ${report.lateSec}`);
  assert.equal(report.overheadSec, 0);
  pool.close();
});

test('serverless pool: a cancelled request leaves the queue, a cancelled boot still hands its container on, compute spent is reported', async () => {
  const pool = new ServerlessPool({ ...TINY, maxContainers: 1 }, seededRandom(1));
  const work = async () => ({ value: 'text', audioSec: 1 });
  const cancelBoot = new AbortController();
  const cancelQueued = new AbortController();
  const cancelCompute = new AbortController();
  const booting = pool.run(50, work, undefined, cancelBoot.signal).catch((error: unknown) => error);
  const queued = pool.run(50, work, undefined, cancelQueued.signal).catch((error: unknown) => error);
  const next = pool.run(50, work);
  await delay(100);
  cancelQueued.abort();
  cancelBoot.abort(); // 0.1 s into a 0.3 s boot
  const queuedOutcome = await queued;
  assert.ok(queuedOutcome instanceof SimCancelledError && queuedOutcome.report.cancelled && queuedOutcome.report.computeSec === 0);
  const bootOutcome = await booting;
  assert.ok(bootOutcome instanceof SimCancelledError && bootOutcome.report.container === 1 && bootOutcome.report.computeSec === 0);
  // The next request waits for the boot to finish (0.3 s from the start), then runs warm.
  const served = (await next).report;
  assert.equal(served.cold, false);
  assert.ok(served.queueWaitSec >= 0.3 - EARLY && served.queueWaitSec < 0.3 + LATE, `waited for the boot: ${served.queueWaitSec}`);
  // Cancelled in compute (overhead 0.1 s, compute 0.1 s): the container is handed back at once.
  const inCompute = pool.run(50, work, undefined, cancelCompute.signal).catch((error: unknown) => error);
  await delay(150);
  cancelCompute.abort();
  const computeOutcome = await inCompute;
  assert.ok(computeOutcome instanceof SimCancelledError && computeOutcome.report.computeSec > 0 && computeOutcome.report.computeSec < 0.1, JSON.stringify((computeOutcome as SimCancelledError).report));
  const after = (await pool.run(50, work)).report;
  assert.ok(after.queueWaitSec < 0.05, 'the container was free at once');
  pool.close();
});

test('cold-start distributions: fixed, empirical, seeded lognormal', () => {
  assert.equal(drawColdStart({ kind: 'fixed', sec: 7 }, Math.random), 7);
  const samples = [1, 2, 3];
  const drawn = Array.from({ length: 200 }, () => drawColdStart({ kind: 'empirical', samplesSec: samples }, seededRandom(3)));
  assert.ok(drawn.every((x) => samples.includes(x)));
  const random = seededRandom(9);
  const lognormal = Array.from({ length: 4001 }, () => drawColdStart({ kind: 'lognormal', medianSec: 20, sigma: 0.5, maxSec: 60 }, random)).sort((x, y) => x - y);
  const median = lognormal[2000]!;
  assert.ok(median > 18.5 && median < 21.5, `median ${median}`);
  assert.ok(lognormal.at(-1)! <= 60 && lognormal[0]! > 0);
  const again = seededRandom(9);
  assert.equal(drawColdStart({ kind: 'lognormal', medianSec: 20, sigma: 0.5 }, again), drawColdStart({ kind: 'lognormal', medianSec: 20, sigma: 0.5 }, seededRandom(9)));
});

test('fake OpenAI server with serverless: headers report the simulation, text is real', async (t) => {
  const server = await startFakeOpenAIServer({
    serverless: { maxContainers: 1, coldStart: { kind: 'fixed', sec: 0.2 }, idleTimeoutSec: 30, rttSec: 0.05, uploadBytesPerSec: 0, rtf: 0.01 },
  });
  t.after(() => server.close());
  const audio = readFileSync(JFK);
  const post = async () => {
    const form = new FormData();
    form.append('file', new Blob([audio], { type: 'audio/wav' }), 'jfk.wav');
    form.append('model', 'whisper-1');
    form.append('response_format', 'json');
    const response = await fetch(`${server.url}/audio/transcriptions`, { method: 'POST', body: form });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { text: string } };
  };
  const [first, second] = await Promise.all([post(), post()]);
  for (const r of [first, second]) {
    assert.equal(r.status, 200);
    assert.match(r.body.text, /country/);
    assert.equal(r.headers.get('x-sim-container'), '1', 'k = 1: one container serves both');
    assert.equal(r.headers.get('openai-processing-ms'), '110', 'compute = rtf × 11 s');
  }
  const [cold, warm] = first.headers.get('x-cold-start') === '1' ? [first, second] : [second, first];
  assert.equal(cold.headers.get('x-sim-cold-start-ms'), '200');
  assert.equal(warm.headers.get('x-cold-start'), null);
  assert.equal(warm.headers.get('x-sim-cold-start-ms'), '0');
  assert.ok(Number(warm.headers.get('x-sim-queue-wait-ms')) >= 200 + 50 + 110 - 20, 'waited for the only container');
  const logged = server.stats().log.map((e) => e.sim).filter((s): s is SimReport => s !== undefined);
  assert.equal(logged.length, 2);
  assert.equal(server.serverless?.stats().started, 1);
  assert.equal(server.serverless?.stats().maxBusy, 1);
});

test('periodic text: an upload cut from a repeated recording gets the words of its span', async () => {
  const period = await decodeToSamples(readFileSync(JFK), 'jfk.wav', AbortSignal.timeout(30_000));
  const periodSec = period.length / 16_000;
  const words = [0.5, 3.2, 6.1, 9.4].map((t, i) => ({ word: `w${i}`, startSec: t, endSec: t + 0.4 }));
  const transcriber = new PeriodicTranscriber(period, { durationSec: periodSec, utterances: [{ startSec: 0.5, endSec: 9.8, text: 'w0 w1 w2 w3', words }] }, async () => ({
    durationSec: 0,
    utterances: [{ startSec: 0, endSec: 1, text: 'fallback', words: [] }],
  }));
  // Three copies back to back; cut 8.0 s .. 8.0 + periodSec (crosses one copy boundary).
  const long = new Int16Array(period.length * 3);
  for (let c = 0; c < 3; c++) long.set(period, c * period.length);
  const cut = long.subarray(8 * 16_000, 8 * 16_000 + period.length);
  const pcm = Buffer.from(cut.buffer, cut.byteOffset, cut.byteLength);
  const got = await transcriber.transcribe(new Uint8Array(Buffer.concat([wavHeader(pcm.length), pcm])), 'segment.wav', AbortSignal.timeout(30_000));
  assert.deepEqual(transcriber.counts, { aligned: 1, fallback: 0 });
  assert.ok(Math.abs(got.durationSec - periodSec) < 1e-6);
  const shifted = got.utterances.flatMap((u) => u.words.map((w) => `${w.word}@${w.startSec.toFixed(2)}`));
  const after = (t: number) => (t + periodSec - 8).toFixed(2);
  assert.deepEqual(shifted, [`w3@${(9.4 - 8).toFixed(2)}`, `w0@${after(0.5)}`, `w1@${after(3.2)}`, `w2@${after(6.1)}`]);
  assert.deepEqual(got.utterances.map((u) => u.text), ['w3', 'w0 w1 w2']);

  // Audio that is not the period (reversed) falls back.
  const reversed = Buffer.from(Int16Array.from(cut).reverse().buffer);
  const other = await transcriber.transcribe(new Uint8Array(Buffer.concat([wavHeader(reversed.length), reversed])), 'other.wav', AbortSignal.timeout(30_000));
  assert.equal(other.utterances[0]?.text, 'fallback');
  assert.deepEqual(transcriber.counts, { aligned: 1, fallback: 1 });
});
