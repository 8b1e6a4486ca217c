/**
 * Pipelining (issue 6 part 5), end to end with real ffmpeg and real audio: a fresh job dispatches its
 * first segments while ffmpeg is still decoding the rest, and its plan and transcript equal a
 * whole-file run's. A truncated file still fails with CORRUPT_AUDIO, cancelling what is in flight. A
 * resumed job whose rows are a prefix of the plan (a streamed job that crashed) keeps what was done.
 * The backend is the `openai` one against the FAKE server (test/fakes/openai-server.ts), whose
 * transcriber here answers with a digest of each upload, so equal texts mean equal segment audio.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { loadConfig } from '../src/config/load.js';
import type { ParascribeError } from '../src/errors.js';
import type { JobEvents } from '../src/pipeline/events.js';
import { runJob, type JobRequest } from '../src/pipeline/job.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';
import { ffmpeg, FIXTURES, tempDir } from './helpers/cli.js';

const dir = tempDir('streaming');
const GPL = join(FIXTURES, 'gpl-preamble.mp3');
// 5 copies of the 207 s recording (17 min), mp3 frames copied: a compressed input takes a while to decode.
const LONG_MP3 = join(dir, 'long.mp3');
const TRUNCATED_FLAC = join(dir, 'truncated.flac');

/** What the fake endpoint says: a digest of the upload (FLAC of the segment's PCM, deterministic). */
function digestTranscript(bytes: Uint8Array) {
  const text = `segment ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
  return { durationSec: 1, utterances: [{ startSec: 0.1, endSec: 0.9, text, words: [] }] };
}

interface Harness {
  server: FakeOpenAIServer;
  arrivalsMs: number[];
  context: Runtime;
  job(input: string, extra?: Partial<JobRequest>, outputName?: string): ReturnType<typeof runJob>;
  close(): Promise<void>;
}

async function harness(name: string, holdMs = 0): Promise<Harness> {
  const arrivalsMs: number[] = [];
  const server = await startFakeOpenAIServer({
    transcriber: async (bytes, _filename, signal) => {
      arrivalsMs.push(performance.now());
      if (holdMs > 0) await delay(holdMs, undefined, { signal }).catch(() => undefined);
      return digestTranscript(bytes) as never;
    },
  });
  const dataDir = join(dir, name);
  const config = loadConfig({
    env: { PARASCRIBE_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dataDir, 'no-config') },
    flags: { backend: 'openai', segmentSec: 30, concurrency: 4, cache: false, maxAttempts: 1, backends: { openai: { baseURL: server.url, apiKey: 'test-key-0123456789' } } },
  });
  const context = await openRuntime(config);
  return {
    server,
    arrivalsMs,
    context,
    job: (input, extra = {}, outputName = `${name}-${arrivalsMs.length}.txt`) =>
      runJob({
        input,
        outputPath: join(dir, outputName),
        format: 'txt',
        config,
        runtime: context,
        signal: AbortSignal.timeout(300_000),
        ...extra,
      }),
    async close() {
      await context.close();
      await server.close();
    },
  };
}

describe('pipelining: decode, plan and transcribe at once', { timeout: 600_000 }, () => {
  before(() => {
    ffmpeg(['-stream_loop', '4', '-i', GPL, '-c', 'copy', LONG_MP3]);
    // A FLAC whose header promises 621 s, cut in half: ffmpeg decodes ~310 s, then the length check fails.
    const flac = join(dir, 'long.flac');
    ffmpeg(['-stream_loop', '2', '-i', GPL, '-ar', '16000', '-ac', '1', flac]);
    const bytes = readFileSync(flac);
    writeFileSync(TRUNCATED_FLAC, bytes.subarray(0, Math.floor(bytes.length / 2)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the first segment reaches the backend before the decode has ended; plan and transcript equal a whole-file run', async () => {
    const h = await harness('equal');
    try {
      let decodedAtMs = Infinity;
      const plannedBeforeDecoded: number[] = [];
      let plans = 0;
      const events: JobEvents = {
        onSegmentPlanned: (segment) => {
          if (decodedAtMs === Infinity) plannedBeforeDecoded.push(segment.index);
        },
        onDecoded: () => (decodedAtMs = performance.now()),
        onPlan: () => plans++,
      };
      const streamed = await h.job(LONG_MP3, { events });
      const firstArrivalMs = h.arrivalsMs[0]!;
      assert.ok(firstArrivalMs < decodedAtMs, `first request ${(decodedAtMs - firstArrivalMs).toFixed(0)} ms before the decode ended`);
      const t = streamed.telemetry;
      assert.ok(t.firstDispatchSec! < t.decodeSec!, `first dispatch at ${t.firstDispatchSec} s, decode ended at ${t.decodeSec} s`);
      assert.ok(plannedBeforeDecoded.length >= 2 && plannedBeforeDecoded[0] === 0, `${plannedBeforeDecoded.length} segments planned while decoding`);
      assert.equal(plans, 1, 'onPlan once, with the whole plan');
      assert.equal(h.arrivalsMs.length, streamed.plan.length, 'one request per segment');
      const job = (await h.context.store.getJob(streamed.jobId))!;
      assert.equal(job.chunk_count, streamed.plan.length);
      const rows = await h.context.store.listSegments(streamed.jobId);
      assert.deepEqual(rows.map((r) => [r.idx, r.status]), streamed.plan.map((s) => [s.index, 'completed']));

      const whole = await h.job(LONG_MP3, { streaming: false });
      assert.deepEqual(streamed.plan, whole.plan, 'the streamed plan is the whole-file plan');
      assert.equal(streamed.transcript!.text, whole.transcript!.text, 'every segment got the same audio');
      assert.ok(whole.telemetry.firstDispatchSec! >= whole.telemetry.decodeSec!, 'without streaming the first dispatch waits for the decode');
    } finally {
      await h.close();
    }
  });

  it('a truncated file fails with CORRUPT_AUDIO after segments were dispatched: in-flight ones are cancelled, no output', async () => {
    const h = await harness('truncated', 5_000);
    try {
      const output = join(dir, 'truncated.txt');
      let jobId = '';
      const error = await h.job(TRUNCATED_FLAC, { events: { onJobCreated: (id) => (jobId = id) } }, 'truncated.txt').then(
        () => assert.fail('the job should fail'),
        (e: ParascribeError) => e,
      );
      assert.equal(error.code, 'CORRUPT_AUDIO', error.message);
      assert.match(error.message, /truncated audio/);
      assert.ok(h.arrivalsMs.length >= 1, 'segments were dispatched before the decode failed');
      const job = (await h.context.store.getJob(jobId))!;
      assert.deepEqual([job.status, job.error_code], ['failed', 'CORRUPT_AUDIO']);
      const rows = await h.context.store.listSegments(jobId);
      assert.ok(rows.length >= 1 && rows.every((r) => r.status === 'cancelled'), JSON.stringify(rows.map((r) => r.status)));
      assert.ok(!existsSync(output), 'no transcript written');
      assert.ok(!existsSync(join(h.context.config.dataDir, 'work', jobId)), 'work directory removed');
      // The requests held by the endpoint were abandoned by the client (the segments' abort).
      for (let i = 0; i < 50 && h.server.stats().clientClosed < h.arrivalsMs.length; i++) await delay(100);
      assert.equal(h.server.stats().clientClosed, h.arrivalsMs.length, 'every in-flight request was cancelled');

      const wholeError = await h.job(TRUNCATED_FLAC, { streaming: false }).then(
        () => assert.fail('the job should fail'),
        (e: ParascribeError) => e,
      );
      assert.equal(wholeError.code, error.code, 'same error code as a whole-file decode');
    } finally {
      await h.close();
    }
  });

  it('a resumed job whose rows are a prefix of the plan keeps the finished ones and inserts the rest', async () => {
    const h = await harness('resume');
    try {
      const planned = await h.job(LONG_MP3, { planOnly: true, outputPath: null });
      const plan = planned.plan;
      assert.ok(plan.length >= 10, `${plan.length} segments`);
      // What a streamed job that crashed leaves: rows for the first 3 segments, the first one finished.
      const store = h.context.store;
      const jobId = 'jprefixresume1';
      await store.createJob({ id: jobId, source: LONG_MP3, segmentSec: 30, backend: 'openai', format: 'txt', language: null, priority: 'normal', options: {} });
      await store.insertSegments(jobId, plan.slice(0, 3));
      await store.markSegmentStarted(jobId, 0, 'openai');
      const kept = { text: 'kept from before the crash', utterances: [{ startSec: 0.1, endSec: 0.9, text: 'kept from before the crash', words: [] }] };
      await store.completeSegment(jobId, 0, { resultJson: JSON.stringify(kept), computeSec: 1, coldStart: false, warningsJson: '[]', backend: 'openai', costUsd: 0 });
      const resumed = await h.job(LONG_MP3, { jobId });
      assert.deepEqual(resumed.plan, plan);
      assert.equal(h.arrivalsMs.length, plan.length - 1, 'the finished segment was not sent again');
      assert.ok(resumed.transcript!.text.startsWith('kept from before the crash'), resumed.transcript!.text.slice(0, 80));
      const rows = await store.listSegments(jobId);
      assert.equal(rows.length, plan.length);
      assert.ok(rows.every((r) => r.status === 'completed'), JSON.stringify(rows.map((r) => r.status)));
    } finally {
      await h.close();
    }
  });
});
