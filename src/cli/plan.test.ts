/**
 * `parascribe plan` through the built CLI: without history the plan from the backend's prior, saying
 * so; with history (synthetic, written into the data dir's store) the candidates, the choice, the
 * fitted parameters combined with the prior and the cap, as text and as JSON; bad input and an unknown
 * backend as typed errors.
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

test("no history: the plan comes from the backend's prior, and plan says so", async () => {
  const run = await runCli(['plan', audio], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  assert.match(run.stdout, /^model from the backend's prior, not from history \(no completed jobs of pocketsphinx in the history\): pocketsphinx measured/m);
  assert.match(run.stdout, /^  prepare +[\d.]+ s: the backend's look at the recording/m);
  assert.match(run.stdout, /^the choice came from the prior: every completed job of pocketsphinx refines it/m);
  assert.match(run.stdout, /^the fixed 360 s \(3 segments\) would take [\d.]+ s/m);
  const json = await runCli(['plan', audio, '--json'], env);
  assert.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as { source: string; basis: string; prior: { historyWeight: number }; fit: { reason: string }; chosen: { segments: number }; concurrency: number };
  assert.deepEqual([parsed.source, parsed.basis, parsed.prior.historyWeight, parsed.fit.reason], ['model', 'prior', 0, 'no-history']);
  assert.equal(parsed.chosen.segments % parsed.concurrency, 0, 'whole waves on the cores');
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
  assert.match(text.stdout, /model from 6 jobs, 19 segments \(R² (0\.9\d\d|1\.000), rms error [\d.]+ s\), combined with the backend's prior \(history weight 43 %/);
  assert.match(text.stdout, /k +2 segments at once \(at least/);
  assert.match(text.stdout, /cold start every segment pays one/);
  assert.match(text.stdout, /cap +no segment over 518 s/);
  assert.match(text.stdout, /boot 2 × 30 s \+ /);
  assert.match(text.stdout, /even 2 × 518 s +2 +2 /);
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
    basis: string;
    targetsSec: number[];
    concurrency: number;
    chosen: { label: string; targetsSec: number[]; segments: number; wallSec: { median: number; p10: number; p90: number } };
    model: { k: number; rtf: number };
    candidates: Array<{ chosen: boolean; withinCap: boolean }>;
  };
  assert.equal(parsed.source, 'model');
  assert.equal(parsed.basis, 'prior+history');
  assert.deepEqual(parsed.targetsSec, parsed.chosen.targetsSec);
  assert.equal(parsed.chosen.segments % 2, 0, 'whole waves on the 2 cores');
  // The text marks the same choice.
  const label = parsed.chosen.label.replace(/[+()]/g, '\\$&');
  assert.match(text.stdout, new RegExp(`^\\* +${label} +${parsed.chosen.segments} +2 `, 'm'));
  assert.match(text.stdout, new RegExp(`^chosen: ${label}: targetsSec \\[[\\d., ]+\\], concurrency 2$`, 'm'));
  assert.equal(parsed.concurrency, 2);
  assert.equal(parsed.model.k, 2);
  assert.ok(parsed.chosen.wallSec.p10 <= parsed.chosen.wallSec.median && parsed.chosen.wallSec.median <= parsed.chosen.wallSec.p90);
  assert.equal(parsed.candidates.filter((c) => c.chosen).length, 1);
  assert.ok(parsed.candidates.some((c) => !c.withinCap), 'the whole file in one segment is over the cap');

  const otherBackend = await runCli(['plan', audio, '--backend', 'openai'], env);
  assert.equal(otherBackend.code, 0, otherBackend.stderr);
  assert.match(otherBackend.stdout, /model from the backend's prior, not from history \(no completed jobs of openai in the history\): assumed remote defaults/, 'history is per backend');
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
