/**
 * `parascribe plan` through the built CLI: without history one INVALID_CONFIG line and the fixed plan;
 * with history (synthetic, written into the data dir's store) the candidates, the choice, the fitted
 * parameters and the cap, as text and as JSON; bad input and an unknown backend as typed errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpeg, runCli, tempDir } from '../../test/helpers/cli.js';
import { seededRandom } from '../plan/latency/random.js';
import { evenSegments, recordSimulatedJob, simulateHistoryJob, CPU_TRUTH, type Truth } from '../plan/latency/simulate-history.js';
import { openStore } from '../store/registry.js';

const dir = tempDir('plan-cli');
const dataDir = join(dir, 'data');
const env = { PARASCRIBE_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dir, 'config') };
const audio = join(dir, 'talk.wav');
const cpu: Truth = CPU_TRUTH;

before(() => ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '1035', audio]));
after(() => rmSync(dir, { recursive: true, force: true }));

test('no history: one INVALID_CONFIG line, exit 12, and the fixed plan it would use', async () => {
  const run = await runCli(['plan', audio], env);
  assert.equal(run.code, 12, run.stderr);
  assert.deepEqual(run.stderr.trim().split('\n'), [
    'parascribe: error[INVALID_CONFIG]: no latency model for pocketsphinx: no completed jobs of pocketsphinx in the history; transcribe would use the fixed 360 s segments',
  ]);
  assert.match(run.stdout, /would use the fixed 360 s segments: 3 segment\(s\) of about 360, 360, 315 s/);
  const json = await runCli(['plan', audio, '--json'], env);
  assert.equal(json.code, 12);
  const parsed = JSON.parse(json.stdout) as { source: string; targetsSec: number[]; fit: { reason: string } };
  assert.deepEqual([parsed.source, parsed.targetsSec, parsed.fit.reason], ['fixed', [360], 'no-history']);
});

test('with history: candidates, the choice, the model and the cap', async () => {
  const store = await openStore({ dataDir });
  try {
    const random = seededRandom(1);
    const plans: Array<[number, number]> = [[207, 1], [207, 4], [414, 2], [414, 5], [621, 3], [828, 4]];
    for (const [i, [d, n]] of plans.entries()) await recordSimulatedJob(store, 'pocketsphinx', simulateHistoryJob(cpu, `jhist${i}`, evenSegments(d, n), 2, random), 1_700_000_000 + i * 1000);
  } finally {
    await store.close();
  }
  const text = await runCli(['plan', audio], env);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stderr, '');
  assert.match(text.stdout, /talk\.wav: 1035\.0 s \(17:15\) of audio, backend pocketsphinx/);
  assert.match(text.stdout, /model from 6 jobs, 19 segments \(R² (0\.9\d\d|1\.000), rms error [\d.]+ s\)/);
  assert.match(text.stdout, /k +2 segments at once \(at least/);
  assert.match(text.stdout, /cold start every segment pays one/);
  assert.match(text.stdout, /cap +no segment over 518 s/);
  assert.match(text.stdout, /^\* +even 2 × 518 s +2 +2 /m);
  assert.match(text.stdout, /boot 2 × 30 s \+ /);
  assert.match(text.stdout, /chosen: even 2 × 518 s: targetsSec \[517\.5\], concurrency 2/);
  assert.doesNotMatch(text.stdout, /SSE by k/);

  const explained = await runCli(['plan', audio, '--explain'], env);
  assert.equal(explained.code, 0);
  assert.match(explained.stdout, /SSE by k: 1: [\d.]+, 2: [\d.]+ s²/);
  assert.match(explained.stdout, /jhist5 +4 +828\.0/);
  assert.ok(explained.stdout.split('\n').length > text.stdout.split('\n').length);

  const json = await runCli(['plan', audio, '--json', '--explain'], env);
  assert.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as {
    source: string;
    targetsSec: number[];
    concurrency: number;
    chosen: { label: string; wallSec: { median: number; p10: number; p90: number } };
    model: { k: number; rtf: number };
    candidates: Array<{ chosen: boolean; withinCap: boolean }>;
  };
  assert.equal(parsed.source, 'model');
  assert.deepEqual(parsed.targetsSec, [517.5]);
  assert.equal(parsed.concurrency, 2);
  assert.equal(parsed.model.k, 2);
  assert.ok(parsed.chosen.wallSec.p10 <= parsed.chosen.wallSec.median && parsed.chosen.wallSec.median <= parsed.chosen.wallSec.p90);
  assert.equal(parsed.candidates.filter((c) => c.chosen).length, 1);
  assert.ok(parsed.candidates.some((c) => !c.withinCap), 'the whole file in one segment is over the cap');

  const otherBackend = await runCli(['plan', audio, '--backend', 'openai'], env);
  assert.equal(otherBackend.code, 12, 'history is per backend');
  assert.match(otherBackend.stderr, /no latency model for openai: no completed jobs of openai/);
});

test('bad input and an unknown backend: typed one-line errors', async () => {
  const notes = join(dir, 'notes.mp3');
  writeFileSync(notes, 'not audio');
  const cases: Array<{ args: string[]; code: number; message: RegExp }> = [
    { args: ['plan', notes], code: 5, message: /^parascribe: error\[NOT_AUDIO\]: .*notes\.mp3: not an audio or video file/ },
    { args: ['plan', join(dir, 'missing.wav')], code: 3, message: /^parascribe: error\[INPUT_NOT_FOUND\]/ },
    { args: ['plan', audio, '--backend', 'nosuch'], code: 9, message: /^parascribe: error\[UNKNOWN_BACKEND\]: unknown backend "nosuch"/ },
  ];
  for (const c of cases) {
    const run = await runCli(c.args, env);
    assert.equal(run.code, c.code, `${c.args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, c.message);
    assert.equal(run.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  }
});
