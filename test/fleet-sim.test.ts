/**
 * The fleet simulator (bench/fleet/) is deterministic for a seed, its trace format round-trips and
 * refuses bad lines, and the degradation rule (src/autoscale/degrade.ts) holds its table.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_SEC } from '../src/autoscale/forecast.js';
import { degradeDecision } from '../src/autoscale/degrade.js';
import { costVsP95Svg, percentile, sloSec, summarise } from '../bench/fleet/report.js';
import { SEED_WORKER, simulate, type SimPolicy } from '../bench/fleet/sim.js';
import { formatTrace, generateWorkingDays, parseTrace, WORKING_DAY } from '../bench/fleet/trace.js';

const small = { ...WORKING_DAY, days: 2, peakJobsPerHour: 60 };
const policy: SimPolicy = { name: 'p', forecast: true, minWorkers: 0, maxWorkers: 20, scaleDownStabilisationSec: 300, latencyTargetSec: 60, provisioningDelaySec: 45 };

function options(seed: number) {
  const trace = generateWorkingDays({ ...small, seed }).arrivals;
  return { trace, fromSec: DAY_SEC, toSec: 2 * DAY_SEC, worker: SEED_WORKER, seed, epochSec: 20_003 * DAY_SEC, pollSec: 15, segmentSec: 360, clientBeforeSec: 2, clientAfterSec: 1, slo: sloSec };
}

describe('fleet simulator', () => {
  test('the same seed gives the same run; another seed another one', async () => {
    const a = await simulate(policy, options(7));
    const b = await simulate(policy, options(7));
    const c = await simulate(policy, options(8));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.jobs, c.jobs);
    assert.ok(a.jobs.length > 100, `${a.jobs.length} jobs`);
    // Every arrival of the simulated day finishes (nothing is lost).
    assert.equal(a.jobs.length, options(7).trace.filter((x) => x.atSec >= DAY_SEC && x.atSec < 2 * DAY_SEC).length);
  });

  test('the generator is deterministic and follows a working day', () => {
    const a = generateWorkingDays({ ...small, seed: 3 });
    assert.deepEqual(a, generateWorkingDays({ ...small, seed: 3 }));
    const night = a.arrivals.filter((x) => x.atSec % DAY_SEC < 5 * 3600).length;
    const morning = a.arrivals.filter((x) => x.atSec % DAY_SEC >= 9 * 3600 && x.atSec % DAY_SEC < 14 * 3600).length;
    assert.ok(morning > 5 * night, `night ${night}, 09–14 h ${morning}`);
  });
});

describe('trace format', () => {
  test('round trip', () => {
    const arrivals = [
      { atSec: 0, audioSec: 300.5, priority: 'critical' as const },
      { atSec: 12.5, audioSec: 7200, priority: 'batch' as const },
    ];
    assert.deepEqual(parseTrace(formatTrace(arrivals, 'a comment')), arrivals);
  });
  const bad = [
    { name: 'no header', text: '0,1,normal\n', error: /line 1: expected the header/ },
    { name: 'bad priority', text: 'at_sec,audio_sec,priority\n0,1,urgent\n', error: /line 2: expected/ },
    { name: 'zero length', text: 'at_sec,audio_sec,priority\n0,0,normal\n', error: /line 2/ },
    { name: 'extra column', text: 'at_sec,audio_sec,priority\n0,1,normal,x\n', error: /line 2/ },
    { name: 'back in time', text: 'at_sec,audio_sec,priority\n5,1,normal\n4,1,normal\n', error: /line 3: at_sec 4 goes back in time/ },
    { name: 'empty', text: '# only a comment\n', error: /no header/ },
  ];
  for (const c of bad) test(c.name, () => assert.throws(() => parseTrace(c.text), c.error));
});

describe('degradeDecision', () => {
  const policy = { backend: 'cheap', targetSec: 100, batchAfter: 1, normalAfter: 2 };
  // 10 workers × 1 slot: clear sec = backlog slot sec ÷ 10.
  const cases = [
    { name: 'batch under the target: kept', priority: 'batch' as const, backlog: 1_000, degrade: false },
    { name: 'batch over the target: degraded', priority: 'batch' as const, backlog: 1_001, degrade: true },
    { name: 'normal over 1× but under 2×: kept', priority: 'normal' as const, backlog: 1_500, degrade: false },
    { name: 'normal over 2×: degraded', priority: 'normal' as const, backlog: 2_001, degrade: true },
    { name: 'critical never', priority: 'critical' as const, backlog: 1e9, degrade: false },
    { name: 'no cheaper backend: never', priority: 'batch' as const, backlog: 1e9, degrade: false, backend: undefined },
  ];
  for (const c of cases)
    test(c.name, () => {
      const d = degradeDecision(c.priority, { backlogSlotSec: c.backlog, maxWorkers: 10, slotsPerWorker: 1 }, { ...policy, ...('backend' in c ? { backend: c.backend } : {}) });
      assert.equal(d.degrade, c.degrade);
      if (d.degrade) assert.match(d.reason, /fleet overloaded: the backlog needs \d+ s at 10 workers, over \d+ s for (batch|normal) jobs; sent to cheap/);
    });
});

describe('fleet report', () => {
  test('percentile and SLO by hand', () => {
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4], 0.95), 4);
    assert.ok(Number.isNaN(percentile([], 0.5)));
    assert.equal(sloSec(300), 60);
    assert.equal(sloSec(3_600), 158);
    assert.equal(sloSec(7_200), 316);
  });

  test('the plot is one point per policy and no tag repeats an attribute', async () => {
    const result = await simulate(policy, options(7));
    const rows = [summarise(result, 1.2), summarise({ ...result, policy: 'q', gpuSec: result.gpuSec * 2 }, 1.2)];
    const svg = costVsP95Svg(rows, 'title & <test>');
    assert.equal(svg.match(/<circle/g)?.length, 2 + 2, 'two points and two legend markers');
    for (const tag of svg.match(/<[a-z]+\s[^>]*>/g) ?? []) {
      const names = [...tag.matchAll(/\s([a-zA-Z:-]+)="/g)].map((m) => m[1]);
      assert.equal(new Set(names).size, names.length, tag);
    }
    assert.match(svg, /title &amp; &lt;test&gt;/);
  });
});
