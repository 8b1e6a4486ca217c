/**
 * Hedged requests and fast first words end to end: the real CLI transcribes a real recording through
 * its openai backend against the FAKE OpenAI server running the simulated scale-to-zero endpoint
 * (test/fakes/serverless-sim.ts), with cold starts of 0.1 s or 8 s. A segment stuck behind an 8 s boot
 * is hedged after 2 s, the duplicate wins on a started container and the original is cancelled at the
 * endpoint; the first 20 s are served by the local pocketsphinx. Text comes from a canned transcriber:
 * this test is about orchestration (the transcript path is covered by the openai backend tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../src/store/registry.js';
import { FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';
import { startFakeOpenAIServer } from './fakes/openai-server.js';

const AUDIO = join(FIXTURES, 'gpl-preamble.mp3');

test('hedging and first words: a stuck segment is hedged and the hedge wins; segment 0 comes from the local engine', async (t) => {
  const server = await startFakeOpenAIServer({
    serverless: { maxContainers: 4, coldStart: { kind: 'empirical', samplesSec: [0.1, 0.1, 8] }, idleTimeoutSec: 60, rttSec: 0.2, uploadBytesPerSec: 0, rtf: 0.001, seed: 3 },
    transcriber: async (_bytes, _name) => ({ text: 'words', durationSec: 1, utterances: [] }) as never,
  });
  t.after(() => server.close());
  const dir = tempDir('latency-options-');
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      backends: { gpu: { type: 'openai', baseURL: server.url, apiKey: 'k', maxConcurrentRequests: 16, timeoutSec: 120 } },
      hedging: { enabled: true, afterSec: 2, maxExtraShare: 0.5 },
      firstWords: { enabled: true, segmentSec: 20, backend: 'pocketsphinx' },
    }),
  );
  const env = { PARASCRIBE_DATA_DIR: join(dir, 'data') };
  const run = await runCli(['transcribe', AUDIO, '--config', config, '--backend', 'gpu', '--segment-sec', '45', '--concurrency', '8', '--no-cache', '--json', '-q', '-o', join(dir, 'out.txt')], env);
  assert.equal(run.code, 0, run.stderr);
  const summary = parseJsonLines(run.stdout).at(-1)!;

  const store = await openStore({ dataDir: join(dir, 'data') });
  t.after(() => store.close());
  const rows = await store.listSegments(String(summary.jobId));
  assert.equal(rows[0]!.backend, 'pocketsphinx', 'first words from the local engine');
  assert.ok(rows[0]!.end_sec - rows[0]!.start_sec <= 20 * 1.2, `a short first segment: ${rows[0]!.end_sec}`);
  assert.ok(rows.slice(1).every((r) => r.backend === 'gpu' && r.status === 'completed'));
  assert.ok(typeof summary.firstResultSec === 'number', 'time to the first partial transcript is reported');

  const hedges = summary.hedges as { count: number; won: number };
  const stuck = server.stats().log.filter((e) => e.sim && e.sim.coldStartSec >= 8);
  assert.ok(stuck.length >= 1, 'the seeded draws gave some segment an 8 s boot');
  assert.ok(hedges.count >= 1 && hedges.won >= 1, `hedged and won: ${JSON.stringify(hedges)}`);
  // Every hedge is recorded on its segment, and the losers were cancelled at the endpoint.
  const attempts = rows.flatMap((r) => JSON.parse(r.attempts_json ?? '[]') as Array<{ hedge?: boolean; outcome: string }>);
  assert.equal(attempts.filter((a) => a.hedge).length, hedges.count);
  assert.ok(server.stats().log.some((e) => e.outcome === 'cancelled'), 'the losing copy was cancelled');
  // The budget: at most half of the recording's audio was sent twice (45 s segments: one hedge is 22 %).
  assert.ok((summary.hedges as { audioSec: number }).audioSec <= 0.5 * Number(summary.durationSec) + 1e-6);
});
