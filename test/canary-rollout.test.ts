/**
 * Canary rollout end to end: the CLI sends a share of segments to a candidate backend, a FAKE
 * OpenAI-compatible server (test/fakes/openai-server.ts, instant deterministic text from
 * fakes/word-transcriber.ts), with the normal chain behind it. Checked on what the store recorded
 * (`jobs show --json`) and on the fakes' own request logs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spreadSchedule, startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';
import { wordTranscriber } from './fakes/word-transcriber.js';
import type { AttemptRecord } from '../src/pipeline/serve-segment.js';
import type { CanaryView, ShadowView } from '../src/cli/jobs-rollout.js';
import { FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

interface Show {
  status: string;
  canaries: CanaryView[];
  shadows: ShadowView[];
  segments: Array<{ index: number; status: string; backend: string; attempts: number; attemptLog: AttemptRecord[] }>;
}

const dir = tempDir('canary');
const fakes: Record<'prod' | 'bad' | 'good', FakeOpenAIServer | undefined> = { prod: undefined, bad: undefined, good: undefined };

before(async () => {
  for (const name of ['prod', 'bad', 'good'] as const) fakes[name] = await startFakeOpenAIServer({ seed: 3, transcriber: wordTranscriber() });
  // Exactly 3 in every 10 requests answered 500.
  fakes.bad!.setFaults({ schedule: spreadSchedule(10, { fail: 3 }), failStatus: 500 });
});
after(async () => {
  await Promise.all(Object.values(fakes).map((f) => f?.close()));
});

const backend = (fake: FakeOpenAIServer) => ({ type: 'openai', baseURL: fake.url, apiKey: 'test-key', uploadFormat: 'wav', maxConcurrentRequests: 4, timeoutSec: 60 });

function setup(name: string, config: Record<string, unknown>) {
  const root = join(dir, name);
  mkdirSync(join(root, 'jobs'), { recursive: true });
  const configPath = join(root, 'config.json');
  const backends = { prod: backend(fakes.prod!), bad: backend(fakes.bad!), good: backend(fakes.good!) };
  writeFileSync(configPath, JSON.stringify({ backends, backend: 'prod', segmentSec: 10, ...config }));
  return { root, env: { PARASCRIBE_DATA_DIR: join(root, 'data'), PARASCRIBE_CONFIG: configPath, XDG_CONFIG_HOME: join(root, 'xdg') } };
}

async function show(env: Record<string, string>, jobId: unknown): Promise<Show> {
  const run = await runCli(['jobs', 'show', String(jobId), '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Show;
}

const canaryAttempts = (shows: Show[]) => shows.flatMap((s) => s.segments.flatMap((seg) => seg.attemptLog.filter((a) => a.canary)));

test('canary: a candidate failing 30 % of requests is rolled back after minSegments; no job fails; the transcripts are as without it', async () => {
  const audio = join(FIXTURES, 'gpl-preamble.mp3');
  const plain = setup('plain', {});
  const reference = await runCli(['transcribe', audio, '--no-cache', '-q', '-o', join(plain.root, 'plain.txt')], plain.env);
  assert.equal(reference.code, 0, reference.stderr);
  const expected = readFileSync(join(plain.root, 'plain.txt'), 'utf8');

  const canary = { backend: 'bad', share: 0.5, compareWith: 'prod', maxErrorRate: 0.1, minSegments: 10 };
  const { root, env } = setup('failing', { routing: { canary } });
  for (let i = 0; i < 3; i++) copyFileSync(audio, join(root, 'jobs', `talk-${i}.mp3`));
  const run = await runCli(['transcribe', join(root, 'jobs'), '--no-cache', '--json', '-q', '--concurrency', '3'], env);
  assert.equal(run.code, 0, run.stderr);
  const summaries = parseJsonLines(run.stdout);
  assert.equal(summaries.length, 3);
  const shows: Show[] = [];
  for (const summary of summaries) {
    assert.equal(summary.status, 'completed', 'no job fails');
    assert.equal(readFileSync(String(summary.output), 'utf8'), expected, 'a failed canary attempt falls back to the normal chain');
    shows.push(await show(env, summary.jobId));
  }
  const attempts = canaryAttempts(shows);
  const failed = attempts.filter((a) => a.outcome !== 'ok');
  assert.equal(attempts.length, fakes.bad!.stats().requests, 'every request the candidate saw is a canary attempt on a segment');
  assert.ok(attempts.length >= 10 && failed.length >= 1, `${attempts.length} canary attempts, ${failed.length} failed`);
  for (const segment of shows.flatMap((s) => s.segments)) {
    assert.equal(segment.status, 'completed');
    assert.equal(segment.attempts, segment.attemptLog.length, 'every attempt is logged');
    const last = segment.attemptLog.at(-1)!;
    assert.equal(last.outcome, 'ok');
    if (segment.attemptLog[0]!.canary && segment.attemptLog[0]!.outcome !== 'ok') assert.equal(segment.backend, 'prod', `#${segment.index}: the failed canary attempt went on to prod`);
  }

  const tried = shows.findIndex((s) => s.canaries.length > 0);
  const verdict = shows[tried]!.canaries.find((c) => c.backend === 'bad')!;
  assert.equal(verdict.status, 'rolled-back');
  assert.match(verdict.reason!, /^error rate 0\.\d\d > 0\.10 over 1\d segments$/);
  assert.ok(verdict.segments >= 10 && verdict.segments <= 13, `judged after ${verdict.segments} segments (minSegments 10, 3 jobs in flight)`);
  const segments = shows.flatMap((s) => s.segments).length;
  console.log(`# ${segments} segments in 3 jobs; ${attempts.length} canary attempts (${failed.length} failed, fell back to prod); rolled back after ${verdict.segments}: ${verdict.reason}`);
  // Once rolled back, no canary attempt starts (those in flight at the verdict may end after it).
  const late = attempts.filter((a) => a.startedAtSec > verdict.decidedAtSec! + 0.5);
  assert.deepEqual(late, [], 'no canary attempt after the rollback');
  assert.ok(attempts.length < shows.flatMap((s) => s.segments).length * 0.5, 'the share stopped before the end');

  const text = await runCli(['jobs', 'show', String(summaries[tried]!.jobId)], env);
  console.log(text.stdout.split('\n').filter((line) => /^canary|\(canary\)/.test(line.trim())).map((line) => `# ${line}`).join('\n'));
  assert.match(text.stdout, /^canary {4}bad \(rollout bad@[0-9a-f]{10}\): rolled back at .* UTC \(error rate 0\.\d\d > 0\.10 over \d+ segments\); /m);

  // The verdict is in the store: a new process routes nothing to the candidate.
  const requestsBefore = fakes.bad!.stats().requests;
  // -o into the test's own dir: without it the transcript lands next to the shared fixture.
  const again = await runCli(['transcribe', audio, '--no-cache', '--json', '-q', '-o', join(root, 'again.txt')], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(fakes.bad!.stats().requests, requestsBefore, 'a rolled-back candidate gets no segments from any process');
});

test('canary: a healthy candidate is reported ready after minSegments (errors, shadow WER and latency against compareWith)', async () => {
  const canary = { backend: 'good', share: 0.5, compareWith: 'prod', maxErrorRate: 0.1, maxShadowWer: 0.05, maxLatencyRatio: 5, minSegments: 6 };
  const { root, env } = setup('healthy', { routing: { canary }, shadow: { backend: 'prod', share: 0, maxConcurrent: 4 } });
  for (let i = 0; i < 2; i++) copyFileSync(join(FIXTURES, 'gpl-preamble.mp3'), join(root, 'jobs', `talk-${i}.mp3`));
  const run = await runCli(['transcribe', join(root, 'jobs'), '--no-cache', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /parascribe: canary good \(rollout good@[0-9a-f]{10}\): ready to promote: passed after \d+ segments: error rate 0\.00 ≤ 0\.10, shadow WER 0\.00 ≤ 0\.05, latency \d+\.\d\d× ≤ 5\.00×/);
  const summaries = parseJsonLines(run.stdout);
  const shows = await Promise.all(summaries.map((s) => show(env, s.jobId)));
  const verdict = shows.at(-1)!.canaries.find((c) => c.backend === 'good')!;
  assert.equal(verdict.status, 'ready');
  assert.ok(verdict.compared >= 6 && verdict.errors === 0, JSON.stringify(verdict));
  const compared = shows.flatMap((s) => s.shadows).filter((s) => s.kind === 'canary');
  assert.ok(compared.length >= 6);
  for (const row of compared) assert.deepEqual([row.backend, row.reference, row.wer], ['good', 'prod', 0]);
  // A ready candidate keeps its share (an operator promotes it).
  assert.ok(canaryAttempts(shows).length > verdict.segments - 1);
});
