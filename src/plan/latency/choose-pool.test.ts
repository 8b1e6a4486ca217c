/**
 * The choice on a local pool (a process per segment on k cores, like pocketsphinx's prior): near-equal
 * segments in whole waves, so that every core is busy to the end (the first wave may lead, or start
 * short for early first words, to make up for the cores that wait for the backend's look at the
 * recording); never a count that leaves cores idle for a wave.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePlan, type Choice } from './choose.js';
import type { LatencyModel } from './model.js';
import { lengthsFromTargets, DEFAULT_SEGMENT_CAP } from './targets.js';

/** A local pool of `k` cores: 0.33 s per process, RTF 0.115, a 2.9 s calibration, content varying by 15 % per 30 s. */
const pool = (k: number): LatencyModel => ({
  backend: 'cpu',
  k,
  kBound: 'exact',
  rtf: 0.115,
  overhead: { fixedSec: 0.33, perAudioSec: 0.0002 },
  coldStart: { kind: 'every-request', segments: 0 },
  client: { fixedSec: 0.8, perAudioSec: 0.001, beforeFixedSec: 0.5, beforePerAudioSec: 0.0005 },
  wallSigma: 0.05,
  prepareSec: 2.9,
  contentNoise: { sigma: 0.15, blockSec: 30 },
});

/** Each server's last completion, list-scheduled without noise: the idle tail is the last minus the first of them. */
function serverEnds(model: LatencyModel, lengthsSec: readonly number[]): number[] {
  const free = Array.from({ length: model.k }, (_, i) => (i === 0 ? 0 : model.prepareSec ?? 0));
  for (const [i, d] of lengthsSec.entries()) {
    const j = free.indexOf(Math.min(...free));
    free[j] = Math.max(free[j]!, i === 0 ? 0 : model.prepareSec ?? 0) + model.overhead.fixedSec + (model.rtf + model.overhead.perAudioSec) * d;
  }
  return free;
}

const p90 = (choice: Choice, label: string) => choice.candidates.find((c) => c.label === label)!.prediction.wallSec.p90Sec;
const whole = (sec: number) => Math.round(sec);

test('local pool: whole waves of near-equal segments, no idle core at the end', () => {
  const cases: Array<{ k: number; durationSec: number }> = [
    { k: 2, durationSec: 620 },
    { k: 2, durationSec: 1800 },
    { k: 2, durationSec: 3600 },
    { k: 4, durationSec: 620 },
    { k: 4, durationSec: 3600 },
    { k: 8, durationSec: 620 },
    { k: 8, durationSec: 3600 },
  ];
  for (const { k, durationSec } of cases) {
    const name = `${k} cores, ${durationSec} s`;
    const model = pool(k);
    const choice = choosePlan(model, durationSec, { cap: DEFAULT_SEGMENT_CAP, draws: 300 });
    const { chosen } = choice;
    const lengths = chosen.lengthsSec;
    assert.equal(lengths.length % k, 0, `${name}: a whole number of waves (${chosen.label})`);
    // After the first wave (which may lead, or boot the first words early), the segments are near-equal.
    const rest = lengths.slice(k);
    if (rest.length > 1) assert.ok(Math.max(...rest) / Math.min(...rest) < 1.15, `${name}: near-equal (${chosen.label})`);
    const ends = serverEnds(model, lengths);
    assert.ok(Math.max(...ends) - Math.min(...ends) <= model.prepareSec! + 1e-6, `${name}: every core busy to the end (${ends.map((e) => e.toFixed(1)).join(', ')})`);
    // One more segment than the cores leaves all but one idle for a wave; the fixed 360 s does not fit the cores either.
    assert.ok(p90(choice, `even ${k + 1} × ${whole(durationSec / (k + 1))} s`) > chosen.prediction.wallSec.p90Sec + 1, `${name}: even ${k + 1} is worse`);
    const fixedPlan = choice.candidates.find((c) => c.lengthsSec.join() === lengthsFromTargets(durationSec, [360]).join());
    if (fixedPlan) assert.ok(fixedPlan.prediction.wallSec.p90Sec >= chosen.prediction.wallSec.p90Sec, `${name}: the fixed 360 s is no better`);
  }
});

test('the lead: the first segment longer by what the first core computes during the preparation', () => {
  const model = pool(2);
  const choice = choosePlan(model, 620, { cap: DEFAULT_SEGMENT_CAP, draws: 100 });
  const leads = choice.candidates.filter((c) => c.kind === 'lead');
  assert.ok(leads.length >= 3, 'one per whole number of waves');
  const headStartSec = 2.9 / (0.115 + 0.0002);
  for (const lead of leads) {
    assert.equal(lead.lengthsSec.length % 2, 0, lead.label);
    assert.ok(Math.abs(lead.lengthsSec[0]! - lead.lengthsSec[1]! - headStartSec) < 1e-6, lead.label);
    const ends = serverEnds(model, lead.lengthsSec);
    assert.ok(Math.abs(ends[0]! - ends[1]!) < 1e-6, `${lead.label}: both cores finish together`);
  }
  // No preparation, no lead.
  const { prepareSec: _, ...unprepared } = model;
  assert.equal(choosePlan(unprepared, 620, { cap: DEFAULT_SEGMENT_CAP, draws: 50 }).candidates.filter((c) => c.kind === 'lead').length, 0);
});
