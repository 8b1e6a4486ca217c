/**
 * Config reload on a running `parascribe serve` (the built CLI, a real process): SIGHUP with a broken
 * config file keeps it serving on the old config; a good change (a shadow reference, a canary on a
 * backend the old config did not have) applies to the next job; an edit of the file alone is picked up
 * by the watch. Shadow disagreement and the canary's rollback show on /metrics. The backends are FAKE
 * OpenAI-compatible servers with instant deterministic text (fakes/word-transcriber.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fakes/openai-server.js';
import { wordTranscriber } from './fakes/word-transcriber.js';
import { FIXTURES, tempDir } from './helpers/cli.js';
import { authHeaders, startServer, submitFile, waitForJob, type RunningServer } from './helpers/server.js';

const dir = tempDir('reload');
const configPath = join(dir, 'config.json');
const JFK = join(FIXTURES, 'jfk.wav'); // 11 s: 4 segments of 3 s
let prod: FakeOpenAIServer;
let ref: FakeOpenAIServer;
let bad: FakeOpenAIServer;
let server: RunningServer | undefined;

before(async () => {
  prod = await startFakeOpenAIServer({ transcriber: wordTranscriber() });
  // The reference disagrees with prod on every 5th word: a WER of about 0.2.
  ref = await startFakeOpenAIServer({ transcriber: wordTranscriber({ distortEvery: 5 }) });
  bad = await startFakeOpenAIServer({ transcriber: wordTranscriber(), faults: { forceStatus: 500 } });
});
after(async () => {
  await server?.stop();
  await Promise.all([prod?.close(), ref?.close(), bad?.close()]);
});

const backend = (fake: FakeOpenAIServer) => ({ type: 'openai', baseURL: fake.url, apiKey: 'test-key', uploadFormat: 'wav', timeoutSec: 60 });
const writeConfig = (extra: Record<string, unknown>, backends: Record<string, unknown> = { prod: backend(prod), ref: backend(ref) }) =>
  writeFileSync(configPath, JSON.stringify({ backends, backend: 'prod', segmentSec: 3, cache: false, ...extra }));

/** Waits until stderr, after `from` characters, matches. */
async function stderrMatch(running: RunningServer, from: number, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(running.stderr().slice(from));
    if (match) return match[0];
    if (Date.now() > deadline) throw new Error(`stderr never matched ${pattern}: ${running.stderr().slice(from)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runJob(running: RunningServer): Promise<string> {
  const { status, body } = await submitFile(running.url, JFK);
  assert.equal(status, 202);
  const job = await waitForJob(running.url, body.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  return body.id as string;
}

async function metrics(running: RunningServer): Promise<string> {
  const response = await fetch(`${running.url}/metrics`, { headers: authHeaders() });
  assert.equal(response.status, 200);
  return response.text();
}

const sample = (text: string, name: string, backendId: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{backend="${backendId}"}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

/** Polls /metrics until `ready` says so (shadow calls finish after their job). */
async function metricsUntil(running: RunningServer, ready: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await metrics(running);
    if (ready(text)) return text;
    if (Date.now() > deadline) throw new Error(`/metrics never got there:\n${text.split('\n').filter((l) => /shadow|canary/.test(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('serve: SIGHUP with a broken config keeps serving on the old one; a good change applies to the next job; a file edit alone is picked up', { timeout: 180_000 }, async () => {
  writeConfig({});
  server = await startServer({ env: { PARASCRIBE_CONFIG: configPath } });
  const running = server;
  await runJob(running);
  assert.equal(sample(await metrics(running), 'parascribe_shadow_wer_count', 'prod'), undefined, 'no shadow configured yet');

  // A broken file: refused with one line, and the server goes on with the config it has.
  let from = running.stderr().length;
  writeFileSync(configPath, '{ "shadow": { "backend": "ref", ');
  running.child.kill('SIGHUP');
  await stderrMatch(running, from, /config reload \(SIGHUP\) refused, the running config stays: invalid config file|config reload \(SIGHUP\) refused, the running config stays: config file .*config\.json/);
  // Valid JSON naming a backend that does not exist: refused too.
  from = running.stderr().length;
  writeConfig({ shadow: { backend: 'nowhere', share: 1 } });
  running.child.kill('SIGHUP');
  await stderrMatch(running, from, /config reload \(SIGHUP\) refused, the running config stays: .*nowhere/);
  assert.equal(running.child.exitCode, null, 'still running');
  await runJob(running);
  assert.equal(sample(await metrics(running), 'parascribe_shadow_wer_count', 'prod'), undefined, 'the old config (no shadow) still applies');

  // A good change: a shadow reference for every segment, and a canary on a backend new to this process.
  from = running.stderr().length;
  writeConfig(
    { shadow: { backend: 'ref', share: 1 }, routing: { canary: { backend: 'bad', share: 1, compareWith: 'prod', maxErrorRate: 0.1, minSegments: 3 } } },
    { prod: backend(prod), ref: backend(ref), bad: backend(bad) },
  );
  running.child.kill('SIGHUP');
  await stderrMatch(running, from, /config reloaded \((SIGHUP|config file changed)\): .*routing.*now apply to new segments/);
  const jobId = await runJob(running);
  await stderrMatch(running, from, /canary bad \(rollout bad@[0-9a-f]{10}\): rolled back; its segments go to the normal chain again: error rate 1\.00 > 0\.10 over [34] segments/);
  const text = await metricsUntil(running, (t) => (sample(t, 'parascribe_shadow_wer_count', 'prod') ?? 0) >= 4);
  const count = sample(text, 'parascribe_shadow_wer_count', 'prod')!;
  const mean = sample(text, 'parascribe_shadow_wer_sum', 'prod')! / count;
  assert.ok(mean > 0.1 && mean < 0.3, `mean disagreement ${mean} (every 5th word differs)`);
  assert.match(text, /parascribe_shadow_wer_bucket\{le="0\.3",backend="prod"\} 4/);
  assert.equal(sample(text, 'parascribe_canary_state', 'bad'), 2, 'rolled back');
  assert.equal(sample(text, 'parascribe_canary_rollbacks_total', 'bad'), 1);
  assert.ok(bad.stats().requests >= 3, 'the new backend took segments');
  console.log(`# job ${jobId}: ${count} shadowed segments, mean WER ${mean.toFixed(3)} against ref; bad saw ${bad.stats().requests} requests`);

  // An edit of the file alone (no signal): the watch reloads it. Shadowing off: the next job adds no sample.
  from = running.stderr().length;
  writeConfig({ shadow: { backend: 'ref', share: 0 } }, { prod: backend(prod), ref: backend(ref), bad: backend(bad) });
  await stderrMatch(running, from, /config reloaded \(config file changed\): routing, shadow now apply to new segments/);
  await runJob(running);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sample(await metrics(running), 'parascribe_shadow_wer_count', 'prod'), count, 'share 0: nothing shadowed');

  console.log(running.stderr().split('\n').filter((l) => /config|canary|shadow/.test(l)).map((l) => `# ${l}`).join('\n'));
  const stopped = await running.stop();
  server = undefined;
  assert.equal(stopped.code, 0, running.stderr());
});
