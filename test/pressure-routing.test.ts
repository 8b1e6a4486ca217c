/**
 * Degradation under pressure, end to end: the CLI runs a job whose primary backend is a slow FAKE
 * OpenAI-compatible server (test/fakes/openai-server.ts, added latency, one request at a time) with
 * `routing.pressure` set, and a second fake without latency as the alternative. Checked on what the
 * job store recorded: which backend served each segment, and each segment's attempt log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';
import type { AttemptRecord } from '../src/pipeline/serve-segment.js';
import { FIXTURES, ffmpeg, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

/** The attempt log as `jobs show --json` prints it. */
type Attempt = AttemptRecord;
interface Show {
  backend: string;
  status: string;
  segments: Array<{ index: number; status: string; backend: string; attempts: number; attemptLog: Attempt[] }>;
}

const dir = tempDir('pressure');
let slow: FakeOpenAIServer;
let fast: FakeOpenAIServer;

before(async () => {
  // Both transcribe for real (pocketsphinx), memoised by upload content across the two servers.
  [slow, fast] = await Promise.all([startFakeOpenAIServer({ seed: 11 }), startFakeOpenAIServer({ seed: 12 })]);
});
after(async () => {
  await Promise.all([slow?.close(), fast?.close()]);
});

/** The most attempts on `backend` in progress at once, from the recorded start and end times. */
function maxOverlap(attempts: Attempt[], backend: string): number {
  const edges = attempts
    .filter((a) => a.backend === backend)
    .flatMap((a) => [
      [a.startedAtSec, 1],
      [a.endedAtSec, -1],
    ])
    // At equal times, an end comes before a start: the one was released before the other was dispatched.
    .sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let current = 0;
  let max = 0;
  for (const [, delta] of edges) max = Math.max(max, (current += delta!));
  return max;
}

test('pressure: with the slow primary backlogged, new segments go to the configured alternative and come back when it drains; the job completes', async () => {
  const maxBacklog = 2;
  // The alternative is faster, not instant: while it works through the diverted segments the primary
  // drains, drops under its limit and takes segments again.
  const latencyMs = { slow: 1000, fast: 600 };
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      backend: 'slow-gpu',
      routing: { pressure: { 'slow-gpu': { maxBacklog, divertTo: 'fast-gpu' } } },
      backends: {
        'slow-gpu': { type: 'openai', baseURL: slow.url, apiKey: 'test-key', maxConcurrentRequests: 1, timeoutSec: 60 },
        'fast-gpu': { type: 'openai', baseURL: fast.url, apiKey: 'test-key', maxConcurrentRequests: 4, timeoutSec: 60 },
      },
    }),
  );
  const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), PARASCRIBE_CONFIG: configPath, XDG_CONFIG_HOME: join(dir, 'xdg') };
  const clip = join(dir, 'clip.wav');
  ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-t', '120', '-ac', '1', '-ar', '16000', clip]);
  const args = (out: string) => ['transcribe', clip, '--segment-sec', '10', '--concurrency', '4', '--no-cache', '--json', '-q', '-o', join(dir, out)];

  // The reference: every segment on the alternative, no pressure (also warms the fakes' shared memo,
  // so in the run under test a request costs its latency, not pocketsphinx's time on a busy machine).
  const clean = await runCli([...args('clean.txt'), '--backend', 'fast-gpu'], env);
  assert.equal(clean.code, 0, clean.stderr);
  const expected = readFileSync(join(dir, 'clean.txt'), 'utf8');
  assert.ok(expected.length > 500);

  slow.resetStats();
  fast.resetStats();
  slow.setFaults({ latencyMs: latencyMs.slow });
  fast.setFaults({ latencyMs: latencyMs.fast });
  const run = await runCli(args('pressured.txt'), env);
  slow.setFaults({});
  fast.setFaults({});
  assert.equal(run.code, 0, run.stderr);
  const summary = parseJsonLines(run.stdout)[0]!;
  assert.equal(summary.status, 'completed');
  assert.equal(readFileSync(join(dir, 'pressured.txt'), 'utf8'), expected, 'the transcript is the same whoever served');

  const detail = JSON.parse((await runCli(['jobs', 'show', String(summary.jobId), '--json'], env)).stdout) as Show;
  assert.equal(detail.backend, 'slow-gpu', 'the job is routed to the slow primary');
  const segments = detail.segments;
  assert.ok(segments.length >= 8, `${segments.length} segments`);
  const onPrimary = segments.filter((s) => s.backend === 'slow-gpu');
  const diverted = segments.filter((s) => s.backend === 'fast-gpu');
  console.log(
    `# ${segments.length} segments: ${onPrimary.length} on slow-gpu (#${onPrimary.map((s) => s.index).join(' #')}), ` +
      `${diverted.length} diverted to fast-gpu; slow-gpu at most ${maxOverlap(segments.flatMap((s) => s.attemptLog), 'slow-gpu')} at once`,
  );
  assert.equal(onPrimary.length + diverted.length, segments.length);
  assert.ok(onPrimary.length >= maxBacklog, 'the primary served the segments up to its backlog limit');
  assert.ok(diverted.length >= 1, 'some segments were diverted');
  for (const segment of segments) {
    assert.equal(segment.status, 'completed');
    // The diversion is in the record: one attempt, made on the backend that served.
    assert.deepEqual(
      segment.attemptLog.map((a) => `${a.backend}:${a.outcome}`),
      [`${segment.backend}:ok`],
      `segment ${segment.index}`,
    );
  }
  // The first segments found the primary idle; a segment was diverted only while it was busy.
  assert.deepEqual(segments.slice(0, maxBacklog).map((s) => s.backend), Array(maxBacklog).fill('slow-gpu'));
  const primaryAttempts = onPrimary.flatMap((s) => s.attemptLog);
  for (const segment of diverted) {
    const at = segment.attemptLog[0]!.startedAtSec;
    const busy = primaryAttempts.filter((a) => a.startedAtSec <= at && a.endedAtSec > at).length;
    assert.ok(busy >= 1, `segment ${segment.index} was diverted while slow-gpu had ${busy} in progress`);
  }
  // Diversion lasts only while the pressure does: later segments went back to the primary.
  const firstDiverted = Math.min(...diverted.map((s) => s.index));
  assert.ok(onPrimary.some((s) => s.index > firstDiverted), 'traffic returned to the primary once its backlog dropped');
  // The limit holds even for segments dispatched together: never more than maxBacklog on the primary.
  assert.ok(maxOverlap(primaryAttempts, 'slow-gpu') <= maxBacklog, `slow-gpu had ${maxOverlap(primaryAttempts, 'slow-gpu')} segments at once`);
  // The servers agree: one request per segment, each to the backend the store names.
  const requests = (server: FakeOpenAIServer) => server.stats().log.filter((e) => e.outcome === 'ok').length;
  assert.equal(requests(slow), onPrimary.length);
  assert.equal(requests(fast), diverted.length);
});
