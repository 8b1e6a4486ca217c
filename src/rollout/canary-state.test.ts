import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryFigures, EMPTY_COUNTS, judgeCanary, type CanaryCounts, type CanaryStatus, type CanaryThresholds } from './canary-state.js';

const errorsOnly: CanaryThresholds = { maxErrorRate: 0.1, minSegments: 10 };
const all: CanaryThresholds = { maxErrorRate: 0.1, maxShadowWer: 0.2, maxLatencyRatio: 1.5, minSegments: 10 };
const counts = (c: Partial<CanaryCounts>): CanaryCounts => ({ ...EMPTY_COUNTS, ...c });

test('canary verdicts: a table of cases', () => {
  const cases: Array<{ name: string; counts: Partial<CanaryCounts>; t: CanaryThresholds; from?: CanaryStatus; status: CanaryStatus; reason?: RegExp }> = [
    { name: 'nothing yet', counts: {}, t: errorsOnly, status: 'active' },
    { name: 'failing, but before minSegments', counts: { segments: 9, errors: 9 }, t: errorsOnly, status: 'active' },
    { name: '30 % failing at minSegments', counts: { segments: 10, errors: 3 }, t: errorsOnly, status: 'rolled-back', reason: /error rate 0\.30 > 0\.10 over 10 segments/ },
    { name: 'exactly at the limit passes', counts: { segments: 10, errors: 1 }, t: errorsOnly, status: 'ready', reason: /passed after 10 segments: error rate 0\.10 ≤ 0\.10/ },
    { name: 'healthy, errors only judged', counts: { segments: 12 }, t: errorsOnly, status: 'ready' },
    { name: 'healthy but not compared enough', counts: { segments: 20, compared: 9, werSum: 0.5, candidateSec: 9, referenceSec: 9 }, t: all, status: 'active' },
    { name: 'healthy and compared', counts: { segments: 12, compared: 10, werSum: 0.5, candidateSec: 10, referenceSec: 12 }, t: all, status: 'ready', reason: /shadow WER 0\.05 ≤ 0\.20, latency 0\.83× ≤ 1\.50×/ },
    { name: 'disagrees with compareWith', counts: { segments: 12, compared: 10, werSum: 3, candidateSec: 10, referenceSec: 10 }, t: all, status: 'rolled-back', reason: /shadow WER 0\.30 > 0\.20 over 10 compared/ },
    { name: 'too slow', counts: { segments: 12, compared: 10, werSum: 0, candidateSec: 20, referenceSec: 10 }, t: all, status: 'rolled-back', reason: /latency 2\.00× compareWith > 1\.50×/ },
    { name: 'several breaches are all named', counts: { segments: 10, errors: 5, compared: 10, werSum: 5, candidateSec: 30, referenceSec: 10 }, t: all, status: 'rolled-back', reason: /error rate.*; shadow WER.*; latency/ },
    { name: 'WER not judged without the threshold', counts: { segments: 10, compared: 10, werSum: 9 }, t: errorsOnly, status: 'ready' },
    { name: 'a ready candidate that breaches later', counts: { segments: 40, errors: 8 }, t: errorsOnly, from: 'ready', status: 'rolled-back' },
    { name: 'a ready candidate stays ready', counts: { segments: 40, errors: 1 }, t: errorsOnly, from: 'ready', status: 'ready' },
    { name: 'rolled back is final', counts: { segments: 100 }, t: errorsOnly, from: 'rolled-back', status: 'rolled-back' },
    { name: 'latency threshold with no reference time stays active', counts: { segments: 10, compared: 10, candidateSec: 5, referenceSec: 0 }, t: all, status: 'active' },
    { name: 'zero tolerance', counts: { segments: 10, errors: 1 }, t: { maxErrorRate: 0, minSegments: 10 }, status: 'rolled-back' },
  ];
  for (const c of cases) {
    const verdict = judgeCanary(counts(c.counts), c.t, c.from ?? 'active');
    assert.equal(verdict.status, c.status, c.name);
    if (c.reason) assert.match(verdict.reason ?? '', c.reason, c.name);
  }
});

test('canary figures', () => {
  assert.deepEqual(canaryFigures(EMPTY_COUNTS), { errorRate: null, meanWer: null, latencyRatio: null });
  assert.deepEqual(canaryFigures(counts({ segments: 4, errors: 1, compared: 2, werSum: 0.5, candidateSec: 3, referenceSec: 2 })), { errorRate: 0.25, meanWer: 0.25, latencyRatio: 1.5 });
});
