/**
 * Failure handling end to end: the CLI drives the `openai` backend over loopback HTTP against the
 * FAKE OpenAI-compatible server (test/fakes/openai-server.ts), which transcribes for real with
 * pocketsphinx and injects faults. Checked on what the job store recorded, not on wall-clock luck.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scheduledCount, spreadSchedule, startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';
import type { AttemptRecord } from '../src/pipeline/serve-segment.js';
import { FIXTURES, ffmpeg, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

/** The attempt log as `jobs show --json` prints it. */
type Attempt = AttemptRecord;
interface Show {
  backend: string;
  cost_usd: number;
  breakerEvents: Array<{ backend: string; from: string; to: string; atSec: number }>;
  segments: Array<{ index: number; status: string; backend: string; attempts: number; attemptLog: Attempt[] }>;
}

const dir = tempDir('failures');
let server: FakeOpenAIServer;

before(async () => {
  server = await startFakeOpenAIServer({ seed: 7 });
});
after(async () => {
  await server?.close();
});

function setup(name: string, config: Record<string, unknown>) {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  const configPath = join(root, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      // The HTTP timeout stays out of the way (the fake transcribes for real, and 4 pocketsphinx runs on a
      // loaded CI box can take over a minute): hangs are cut by the pipeline's segmentTimeoutSec per test.
      backends: { 'remote-gpu': { type: 'openai', baseURL: server.url, apiKey: 'test-key', maxConcurrentRequests: 4, timeoutSec: 600 } },
      ...config,
    }),
  );
  return { root, env: { PARASCRIBE_DATA_DIR: join(root, 'data'), PARASCRIBE_CONFIG: configPath, XDG_CONFIG_HOME: join(root, 'xdg') } };
}

async function show(env: Record<string, string>, jobId: unknown): Promise<Show> {
  return JSON.parse((await runCli(['jobs', 'show', String(jobId), '--json'], env)).stdout) as Show;
}

test('10 jobs of ≥ 5 min with exactly 20 % 5xx and 5 % hanging requests: all complete, transcripts equal a fault-free run', async () => {
  const { root, env } = setup('flaky', { backend: 'remote-gpu', segmentTimeoutSec: 4, maxAttempts: 10, breaker: { openSec: 1 } });
  const long = join(root, 'long.mp3');
  const gpl = join(FIXTURES, 'gpl-preamble.mp3');
  ffmpeg(['-i', `concat:${gpl}|${gpl}`, '-c', 'copy', long]); // 414 s
  server.setFaults({});
  // The reference run transcribes for real (the fake memoises, so the flaky run's answers are instant):
  // it gets the default per-attempt timeout, not the 4 s meant for hangs, and is truly fault-free.
  const cleanEnv = { ...env, PARASCRIBE_SEGMENT_TIMEOUT_SEC: '600' };
  const clean = await runCli(['transcribe', long, '--segment-sec', '60', '--no-cache', '-o', join(root, 'clean.txt'), '--json', '-q'], cleanEnv);
  assert.equal(clean.code, 0, clean.stderr);
  const expected = readFileSync(join(root, 'clean.txt'), 'utf8');
  assert.ok(expected.length > 3000);
  const reference = await show(env, parseJsonLines(clean.stdout)[0]!.jobId);
  assert.ok(reference.segments.every((s) => s.attempts === 1), 'the reference run needed no retry');

  const jobsDir = join(root, 'jobs');
  mkdirSync(jobsDir);
  for (let i = 0; i < 10; i++) copyFileSync(long, join(jobsDir, `talk-${i}.mp3`));
  server.resetStats();
  // Exact shares, not rates: in every 20 transcription requests, 4 are answered 5xx and 1 hangs.
  const schedule = spreadSchedule(20, { fail: 4, hang: 1 });
  server.setFaults({ schedule });
  const run = await runCli(['transcribe', jobsDir, '--segment-sec', '60', '--no-cache', '--json', '-q', '--concurrency', '4'], env);
  server.setFaults({});
  assert.equal(run.code, 0, run.stderr);
  const summaries = parseJsonLines(run.stdout);
  assert.equal(summaries.length, 10);
  let retried = 0;
  let segments = 0;
  const failed: Attempt[] = [];
  for (const summary of summaries) {
    assert.equal(summary.status, 'completed');
    assert.ok(Number(summary.durationSec) >= 300);
    assert.equal(readFileSync(String(summary.output), 'utf8'), expected, `${summary.source} equals the fault-free transcript`);
    const detail = await show(env, summary.jobId);
    for (const segment of detail.segments) {
      assert.equal(segment.attempts, segment.attemptLog.length, 'every attempt is logged');
      segments++;
      if (segment.attempts > 1) retried++;
      assert.equal(segment.attemptLog.at(-1)!.outcome, 'ok');
      const earlier = segment.attemptLog.slice(0, -1);
      assert.ok(earlier.every((a) => a.outcome === 'error'), `segment ${segment.index}: only failed attempts before the last`);
      failed.push(...earlier);
    }
  }
  // The realised shares, from the fake's own log: every transcription request it saw, numbered 1..n
  // in arrival order, and exactly the schedule's faults among them.
  const stats = server.stats();
  const seen = stats.log.filter((e) => e.scheduled !== undefined);
  const total = seen.length;
  assert.deepEqual(seen.map((e) => e.scheduled).sort((a, b) => a! - b!), Array.from({ length: total }, (_, i) => i + 1), 'no request missed the log');
  const count = (outcome: string) => seen.filter((e) => e.outcome === outcome).length;
  const fails = count('fail');
  const hangs = count('hang');
  console.log(`# ${total} transcription requests: ${fails} 5xx (${((100 * fails) / total).toFixed(1)} %), ${hangs} hanging (${((100 * hangs) / total).toFixed(1)} %), ${count('ok')} ok; ${retried} of ${segments} segments needed a retry`);
  assert.ok(total >= 70, `${total} requests`);
  assert.equal(fails, scheduledCount(schedule, total, 'fail'), 'exactly 20 % answered 5xx (over the requests seen)');
  assert.equal(hangs, scheduledCount(schedule, total, 'hang'), 'exactly 5 % hung (over the requests seen)');
  assert.equal(count('ok'), total - fails - hangs);
  assert.ok(Math.abs(fails - 0.2 * total) < 4 && Math.abs(hangs - 0.05 * total) < 1, `${fails} fails, ${hangs} hangs in ${total}`);
  // Every fault is visible as a failed attempt on its segment: each 5xx as the HTTP error, each hang as
  // a timeout (an answer slower than the 4 s timeout on a loaded machine would add a timeout, never a 5xx).
  const http5xx = failed.filter((a) => /HTTP 5\d\d/.test(a.error ?? '')).length;
  const timeouts = failed.filter((a) => a.errorCode === 'SEGMENT_TIMEOUT').length;
  assert.equal(http5xx, fails, 'each 5xx is a failed attempt');
  assert.ok(timeouts >= hangs, `${timeouts} timed-out attempts for ${hangs} hangs`);
  assert.equal(failed.length, http5xx + timeouts, 'no other failures');
  assert.ok(retried > 5);
});

test('primary down: the breaker opens, segments go to the fallback; primary back: the breaker closes and traffic returns', async () => {
  const { root, env } = setup('down', {
    backend: 'remote-gpu',
    fallback: ['pocketsphinx'],
    maxAttempts: 2,
    breaker: { failureThreshold: 3, openSec: 1 },
  });
  const clip = join(root, 'clip.wav');
  ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-t', '60', '-ac', '1', '-ar', '16000', clip]);
  const inputs = join(root, 'inputs');
  mkdirSync(inputs);
  for (const name of ['a', 'b']) copyFileSync(clip, join(inputs, `${name}.wav`));
  server.resetStats();
  server.setFaults({ down: true });
  // The endpoint recovers as soon as the first job is finished. One `jobs` process at a time: on a
  // loaded machine a CLI start takes longer than the poll interval, and a timer that does not wait
  // piles processes up (it once drove the load average to 90 and starved the run under test).
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout || '[]') as Array<{ status: string }>;
      if (jobs.some((j) => j.status === 'completed')) {
        server.setFaults({});
        return;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  const run = await runCli(['transcribe', inputs, '--segment-sec', '20', '--concurrency', '1', '--json', '-q', '--no-cache'], env);
  watching = false;
  await watcher;
  server.setFaults({});
  assert.equal(run.code, 0, run.stderr);
  const [first, second] = parseJsonLines(run.stdout);
  const one = await show(env, first!.jobId);
  const two = await show(env, second!.jobId);
  assert.ok(one.segments.every((s) => s.status === 'completed' && s.backend === 'pocketsphinx'), 'all served by the fallback');
  const openedAtSec = one.breakerEvents.find((e) => e.to === 'open')!.atSec;
  const failuresBeforeOpen = one.segments
    .flatMap((s) => s.attemptLog)
    .filter((a) => a.backend === 'remote-gpu' && a.outcome === 'error' && a.endedAtSec <= openedAtSec + 0.001).length;
  assert.equal(failuresBeforeOpen, 3, 'the breaker opened after exactly failureThreshold failures');
  assert.ok(one.segments.flatMap((s) => s.attemptLog).some((a) => a.outcome === 'skipped'), 'segments skipped the open breaker');
  // While the endpoint stays down, each half-open probe fails and the breaker opens again.
  assert.ok(one.breakerEvents.every((e) => e.to !== 'closed'));
  assert.ok(two.breakerEvents.some((e) => e.to === 'closed'), 'the probe succeeded');
  assert.ok(two.segments.at(-1)!.backend === 'remote-gpu', 'traffic returned to the primary');
  assert.ok(two.cost_usd > 0 && one.cost_usd === 0, 'cost follows the backend that served');
});

test('429 with Retry-After: 2 → the next attempt starts ≥ 2 s after the refusal (recorded timestamps)', async () => {
  const { env } = setup('ratelimit', { backend: 'remote-gpu', maxAttempts: 3 });
  server.resetStats();
  server.setFaults({ rateLimitRate: 1, retryAfterSec: 2 });
  const lift = setInterval(() => {
    if ((server.stats().byOutcome['rate-limited'] ?? 0) > 0) {
      server.setFaults({});
      clearInterval(lift);
    }
  }, 20);
  const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '--json', '-q', '--no-cache', '-o', join(dir, 'jfk-429.txt')], env);
  clearInterval(lift);
  server.setFaults({});
  assert.equal(run.code, 0, run.stderr);
  const detail = await show(env, parseJsonLines(run.stdout)[0]!.jobId);
  const [refused, next] = detail.segments[0]!.attemptLog;
  assert.equal(refused!.outcome, 'error');
  assert.equal(next!.outcome, 'ok');
  const waitedSec = next!.startedAtSec - refused!.endedAtSec;
  console.log(`# waited ${waitedSec.toFixed(3)} s after the 429`);
  assert.ok(waitedSec >= 2, `waited ${waitedSec} s`);
});

test('routing rules and priority choose the configured backends; cost per job is reported', async () => {
  const { env } = setup('routing', {
    routing: {
      rules: [
        { priority: 'batch', backend: 'pocketsphinx' },
        { language: 'en', backend: 'remote-gpu', fallback: ['pocketsphinx'] },
        { backend: 'pocketsphinx' },
      ],
    },
  });
  server.setFaults({});
  const cases: Array<[string[], string, boolean]> = [
    [['--language', 'en'], 'remote-gpu', true],
    [['--language', 'en', '--priority', 'batch'], 'pocketsphinx', false],
    [[], 'pocketsphinx', false],
    [['--language', 'en', '--backend', 'pocketsphinx'], 'pocketsphinx', false],
  ];
  for (const [args, backend, paid] of cases) {
    const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '--json', '-q', '--no-cache', '-o', join(dir, 'jfk-route.txt'), ...args], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = parseJsonLines(run.stdout)[0]!;
    const detail = await show(env, summary.jobId);
    assert.equal(detail.backend, backend, args.join(' '));
    // The first attempt goes to the routed backend (the quality guard may still hand a noisy
    // recording like this one on to the fallback).
    assert.equal(detail.segments[0]!.attemptLog[0]!.backend, backend);
    const expectedCost = paid ? (0.006 * 11) / 60 : 0;
    assert.ok(Math.abs(Number(summary.costUsd) - expectedCost) < 1e-6, `cost ${summary.costUsd} for ${args.join(' ')}`);
  }
});

test('quality guard: a repetitive result (compression ratio 3.0) is retried on the fallback', async () => {
  const { env } = setup('quality', { backend: 'remote-gpu', fallback: ['pocketsphinx'] });
  server.setFaults({ compressionRatio: 3.0 });
  const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '--json', '-q', '--no-cache', '-o', join(dir, 'jfk-quality.txt')], env);
  server.setFaults({});
  assert.equal(run.code, 0, run.stderr);
  const detail = await show(env, parseJsonLines(run.stdout)[0]!.jobId);
  const segment = detail.segments[0]!;
  assert.equal(segment.backend, 'pocketsphinx');
  assert.deepEqual(segment.attemptLog.map((a) => `${a.backend}:${a.outcome}`), ['remote-gpu:suspicious', 'pocketsphinx:ok']);
});
