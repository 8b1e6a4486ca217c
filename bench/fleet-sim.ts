/**
 * Autoscaling through a day of traffic (issue 21), on a simulated fleet in virtual time
 * (bench/fleet/sim.ts drives the product's planner, dispatch order, autoscale, forecast and
 * degradation functions). Policies on the same trace: fixed fleets sized for the peak and for the
 * mean, reactive (today), predictive + reactive, each with and without a warm pool. Then the
 * forecast's error on the held-out day, and a 3× overload burst with and without degradation.
 *
 *   node --import tsx bench/fleet-sim.ts [--trace file.csv] [--days 8] [--seed 1] [--record]
 *
 * Without --trace it generates a working-day trace (bench/fleet/trace.ts; --write-trace saves it).
 * The last day is simulated; the days before it are the job store's history for the forecast.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { binArrivals, DAY_SEC, fitForecast, forecastAt, forecastError, type ForecastModel } from '../src/autoscale/forecast.js';
import { planSegments } from '../src/plan/planner.js';
import { fmt, markdownTable, recordResults, REPO_ROOT } from './lib.js';
import { costVsP95Svg, sloSec, summarise, summaryTable, type PolicySummary } from './fleet/report.js';
import { SEED_WORKER, simulate, type SimOptions, type SimPolicy } from './fleet/sim.js';
import { formatTrace, generateWorkingDays, parseTrace, WORKING_DAY, type TraceArrival } from './fleet/trace.js';

const { values } = parseArgs({
  options: {
    trace: { type: 'string' },
    'write-trace': { type: 'string' },
    days: { type: 'string', default: String(WORKING_DAY.days) },
    seed: { type: 'string', default: '1' },
    'peak-jobs-per-hour': { type: 'string', default: String(WORKING_DAY.peakJobsPerHour) },
    'usd-per-gpu-hour': { type: 'string', default: '1.2' },
    'warm-pool': { type: 'string', default: '2' },
    'provisioning-delay-sec': { type: 'string', default: '45' },
    'overload-max-workers': { type: 'string', default: '20' },
    plot: { type: 'string', default: path.join(REPO_ROOT, 'bench', 'plots', 'fleet-cost-vs-p95.svg') },
    json: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});

const seed = Number(values.seed);
const usdPerGpuHour = Number(values['usd-per-gpu-hour']);
const warmPool = Number(values['warm-pool']);
const provisioningDelaySec = Number(values['provisioning-delay-sec']);
const generated = values.trace ? undefined : generateWorkingDays({ ...WORKING_DAY, seed, days: Number(values.days), peakJobsPerHour: Number(values['peak-jobs-per-hour']) });
const trace: TraceArrival[] = values.trace ? parseTrace(readFileSync(values.trace, 'utf8')) : generated!.arrivals;
if (values['write-trace']) writeFileSync(values['write-trace'], formatTrace(trace, `working day, seed ${seed}, ${values.days} days (bench/fleet/trace.ts)`));
const lastSec = trace.at(-1)?.atSec ?? 0;
const dayIndex = Math.floor(lastSec / DAY_SEC);
const fromSec = dayIndex * DAY_SEC;
const toSec = fromSec + DAY_SEC;
/** Trace second 0 = Monday 2024-10-07 00:00 UTC (epoch day 20003): days stay whole in the forecast's bins. */
const EPOCH_SEC = 20_003 * DAY_SEC;

const base: SimOptions = { trace, fromSec, toSec, worker: SEED_WORKER, seed, epochSec: EPOCH_SEC, pollSec: 15, segmentSec: 360, clientBeforeSec: 2, clientAfterSec: 1, slo: sloSec };
const day = trace.filter((a) => a.atSec >= fromSec && a.atSec < toSec);

// Offered load per 5-minute bin: GPU seconds of the arrivals' planned segments ÷ 300 s.
const workSec = (a: TraceArrival) => planSegments(a.audioSec, [], { targetSec: 360 }).reduce((s, p) => s + SEED_WORKER.perSegmentSec + SEED_WORKER.perAudioSec * (p.endSec - p.startSec), 0);
const loadBins = new Array<number>(288).fill(0);
for (const a of day) loadBins[Math.floor((a.atSec - fromSec) / 300)]! += workSec(a) / 300;
const peakWorkers = Math.ceil(Math.max(...loadBins));
const meanWorkers = Math.ceil(loadBins.reduce((s, x) => s + x, 0) / loadBins.length);
const auto = { minWorkers: 0, maxWorkers: 100, scaleDownStabilisationSec: 300, latencyTargetSec: 60, provisioningDelaySec };
const policies: SimPolicy[] = [
  { name: `fixed, peak (${peakWorkers})`, fixedWorkers: peakWorkers, forecast: false, ...auto },
  { name: `fixed, mean (${meanWorkers})`, fixedWorkers: meanWorkers, forecast: false, ...auto },
  { name: 'reactive', forecast: false, ...auto },
  { name: `reactive + warm pool ${warmPool}`, forecast: false, ...auto, minWorkers: warmPool },
  { name: 'predictive + reactive', forecast: true, ...auto },
  { name: `predictive + reactive + warm pool ${warmPool}`, forecast: true, ...auto, minWorkers: warmPool },
];

const started = performance.now();
const summaries: PolicySummary[] = [];
for (const policy of policies) summaries.push(summarise(await simulate(policy, base), usdPerGpuHour));
const simMs = performance.now() - started;

// The forecast on the held-out day, as the product's signal uses it: refitted every 900 s, read at
// each bin's start − provisioning delay.
const forecastOptions = { binSec: 300, recentSec: 3_600, levelWeight: 0.5, maxLevelRatio: 3 };
const epochArrivals = trace.map((a) => ({ atSec: a.atSec + EPOCH_SEC, audioSec: a.audioSec }));
const actualBins = binArrivals(epochArrivals, 300, fromSec + EPOCH_SEC, toSec + EPOCH_SEC);
let model: ForecastModel | undefined;
let fittedAt = -Infinity;
const forecastBins: number[] = [];
for (const bin of actualBins) {
  const readAt = bin.startSec - provisioningDelaySec;
  const fitAt = Math.floor(readAt / 900) * 900;
  if (fitAt !== fittedAt) {
    const m = fitForecast(epochArrivals.filter((a) => a.atSec < fitAt), fitAt, { ...forecastOptions });
    model = m.kind === 'model' ? m : undefined;
    fittedAt = fitAt;
  }
  forecastBins.push(model ? forecastAt(model, bin.startSec).audioSec : 0);
}
const heldOut = forecastError(forecastBins, actualBins.map((b) => b.audioSec));
const hourly = (xs: number[]) => Array.from({ length: 24 }, (_, h) => xs.slice(h * 12, h * 12 + 12).reduce((s, x) => s + x, 0));
const heldOutHourly = forecastError(hourly(forecastBins), hourly(actualBins.map((b) => b.audioSec)));
const workingHours = forecastError(forecastBins.slice(8 * 12, 18 * 12), actualBins.slice(8 * 12, 18 * 12).map((b) => b.audioSec));
const dayStartFit = fitForecast(epochArrivals.filter((a) => a.atSec < fromSec + EPOCH_SEC), fromSec + EPOCH_SEC, forecastOptions);

// Overload: a 3× burst for 30 minutes at 11:00 (twice as many extra arrivals as there were), against a
// fleet capped at the peak-sized count, without and with degradation of batch/normal to a CPU pool.
const burstFrom = fromSec + 11 * 3600;
const burstTo = burstFrom + 1_800;
const extra: TraceArrival[] = [];
for (const a of day) if (a.atSec >= burstFrom && a.atSec < burstTo) extra.push({ ...a, atSec: a.atSec + 7.3 }, { ...a, atSec: a.atSec + 13.9 });
const overloadTrace = [...trace, ...extra].sort((a, b) => a.atSec - b.atSec);
const overload = { ...base, trace: overloadTrace };
const cap = Number(values['overload-max-workers']);
const capped = { ...auto, forecast: true, maxWorkers: cap };
const degrade = { backend: 'pocketsphinx', targetSec: 120, batchAfter: 1, normalAfter: 2, cpuSlots: 32 };
const overloadRuns: Array<{ result: Awaited<ReturnType<typeof simulate>>; summary: PolicySummary; lost: number }> = [];
for (const policy of [
  { name: `overload: predictive + reactive, max ${cap}, no degradation`, ...capped },
  { name: `overload: predictive + reactive, max ${cap}, degrade to pocketsphinx (32 CPU slots)`, ...capped, degrade },
] satisfies SimPolicy[]) {
  const result = await simulate(policy, overload);
  overloadRuns.push({ result, summary: summarise(result, usdPerGpuHour), lost: overloadTrace.filter((a) => a.atSec >= fromSec && a.atSec < toSec).length - result.jobs.length });
}

// The trade-off at equal cost: reactive and predictive + reactive over latency targets and windows.
const sweep: Array<{ kind: string; targetSec: number; windowSec: number; summary: PolicySummary }> = [];
for (const forecast of [false, true]) {
  for (const latencyTargetSec of [30, 60]) {
    for (const windowSec of [120, 300, 600]) {
      const policy: SimPolicy = { name: '', forecast, ...auto, latencyTargetSec, scaleDownStabilisationSec: windowSec };
      sweep.push({ kind: forecast ? 'predictive + reactive' : 'reactive', targetSec: latencyTargetSec, windowSec, summary: summarise(await simulate(policy, base), usdPerGpuHour) });
    }
  }
}

// Determinism: the same seed twice gives the same numbers.
const again = summarise(await simulate(policies[4]!, base), usdPerGpuHour);
const deterministic = JSON.stringify(again) === JSON.stringify(summaries[4]);

const table = summaryTable(summaries);
const lines: string[] = [];
lines.push(markdownTable(table.headers, table.rows));
lines.push('');
const peak = summaries[0]!;
const reactive = summaries[2]!;
const predictive = summaries[4]!;
const predictiveWarm = summaries[5]!;
const trafficLine = `- trace: ${values.trace ?? `generated working days (seed ${seed}, ${values.days} days, ${values['peak-jobs-per-hour']} jobs/h at the daily peak, 3 bursts/day of 10 min at 3×; 70 % 4–6 min calls, 22 % 30–60 min meetings, 8 % ~2 h recordings; critical 10 %, normal 60 %, batch 30 %)`}; simulated day ${dayIndex + 1}: ${day.length} jobs, ${(day.reduce((s, a) => s + a.audioSec, 0) / 3600).toFixed(0)} audio-hours; the ${dayIndex} days before are the forecast's history`;
lines.push(trafficLine);
lines.push(`- SLO: turnaround ≤ max(60 s, 2 × 79 s × audio length ÷ 60 min) (2× the seed study's 79 s for a 60-minute file, scaled by length); turnaround = arrival to transcript, incl. 3 s of client time`);
lines.push(`- workers: the seed fit (bench/seed-fit.md): cold start lognormal median 15 s σ 0.8, 17 s + 0.0096 s per audio second per segment, one segment at a time; 360 s segments (planSegments); $${usdPerGpuHour}/GPU-hour (GPU-hours = worker lifetime incl. cold start)`);
lines.push(`- autoscaled: signal every 15 s, latencyTargetSec 60, scale-down window 300 s (reactive: same window, as the HPA's default), provisioningDelaySec ${provisioningDelaySec} (≈ p90 of the cold start), forecast bins 300 s, refit 900 s, level weight 0.5, utilisation 0.8`);
lines.push(`- fixed fleets: peak = the busiest 5-minute bin's offered load (${peakWorkers}), mean = the day's mean offered load (${meanWorkers})`);
lines.push(`- acceptance 1: predictive + reactive: critical ${fmt(predictive.byPriority.critical.withinSlo * 100, 1)} % in SLO, all ${fmt(predictive.all.withinSlo * 100, 1)} %, ${fmt((predictive.gpuHours / peak.gpuHours) * 100, 0)} % of the peak fleet's GPU-hours; SLO misses ${predictive.sloMisses} vs reactive ${reactive.sloMisses} at ${predictive.gpuHours.toFixed(1)} vs ${reactive.gpuHours.toFixed(1)} GPU-h; with the warm pool: critical ${fmt(predictiveWarm.byPriority.critical.withinSlo * 100, 1)} %, all ${fmt(predictiveWarm.all.withinSlo * 100, 1)} %, ${fmt((predictiveWarm.gpuHours / peak.gpuHours) * 100, 0)} % of peak GPU-hours, ${predictiveWarm.sloMisses} misses`);
lines.push(
  `- acceptance 3, forecast on the held-out day (as used: refit every 900 s, read ${provisioningDelaySec} s ahead), audio seconds per 5-min bin: MAPE ${fmt(heldOut.mape * 100, 1)} % over ${heldOut.bins} bins with arrivals, WAPE ${fmt(heldOut.wape * 100, 1)} %; 08–18 h: MAPE ${fmt(workingHours.mape * 100, 1)} %, WAPE ${fmt(workingHours.wape * 100, 1)} %; per hour: MAPE ${fmt(heldOutHourly.mape * 100, 1)} %, WAPE ${fmt(heldOutHourly.wape * 100, 1)} %` +
    (dayStartFit.kind === 'model' && dayStartFit.error ? `; the fit's own check at 00:00 (profile of the days before against the day before): WAPE ${fmt(dayStartFit.error.wape * 100, 1)} %` : ''),
);
lines.push(`- forecast below reactive: never by construction (combineDesired takes the max; property-tested in src/autoscale/desired.test.ts)`);
lines.push('');
lines.push(`Overload (acceptance 2): a 3× burst 11:00–11:30 (${extra.length} extra jobs), fleet capped at ${cap} workers (a GPU quota); degradation: batch when the backlog needs > 120 s at ${cap} workers, normal when > 240 s (degradeDecision), to a CPU pool of 32 pocketsphinx slots (RTF 0.115):`);
lines.push('');
const ot = summaryTable(overloadRuns.map((r) => r.summary));
lines.push(markdownTable([...ot.headers, 'degraded batch / normal / critical', 'lost', 'max critical segment wait s', 'max segment service s'], ot.rows.map((row, i) => {
  const r = overloadRuns[i]!;
  return [...row, `${r.summary.byPriority.batch.degraded} / ${r.summary.byPriority.normal.degraded} / ${r.summary.byPriority.critical.degraded}`, String(r.lost), r.result.maxCriticalWaitSec.toFixed(1), r.result.maxServiceSec.toFixed(1)];
})));
lines.push('');
lines.push(`- critical p95 ÷ SLO: ${overloadRuns.map((r) => fmt(r.summary.byPriority.critical.p95OfSlo, 2)).join(' / ')} (≤ 1: within); batch p95 ÷ SLO: ${overloadRuns.map((r) => fmt(r.summary.byPriority.batch.p95OfSlo, 2)).join(' / ')}`);
lines.push(`- determinism: the predictive + reactive run repeated with the same seed gives ${deterministic ? 'identical' : 'DIFFERENT'} numbers; ${policies.length + 3} simulated days took ${(simMs / 1000 + 0).toFixed(1)} s (the first ${policies.length})`);
lines.push(`- plot: bench/plots/${path.basename(values.plot)}`);
lines.push('');
lines.push('The trade-off at equal cost (same trace, no warm pool): SLO misses against GPU-hours over latencyTargetSec and the scale-down window.');
lines.push('');
lines.push(markdownTable(['signal', 'latencyTargetSec', 'window s', 'GPU-h', 'SLO misses', 'critical in SLO', 'all in SLO', 'idle'], sweep.map((r) => [r.kind, String(r.targetSec), String(r.windowSec), r.summary.gpuHours.toFixed(1), String(r.summary.sloMisses), `${fmt(r.summary.byPriority.critical.withinSlo * 100, 1)} %`, `${fmt(r.summary.all.withinSlo * 100, 1)} %`, `${fmt(r.summary.idleShare * 100, 0)} %`])));
lines.push('');
const pairs = sweep.filter((r) => r.kind === 'reactive').map((r) => {
  const cheaper = sweep.filter((p) => p.kind !== 'reactive' && p.summary.gpuHours <= r.summary.gpuHours).sort((a, b) => a.summary.sloMisses - b.summary.sloMisses)[0];
  return `reactive (${r.targetSec} s, ${r.windowSec} s): ${r.summary.sloMisses} misses at ${r.summary.gpuHours.toFixed(0)} GPU-h → ${cheaper ? `predictive (${cheaper.targetSec} s, ${cheaper.windowSec} s): ${cheaper.summary.sloMisses} at ${cheaper.summary.gpuHours.toFixed(0)}` : 'no predictive setting at ≤ its GPU-hours'}`;
});
lines.push(`- for each reactive setting, the predictive setting with the fewest misses at no more GPU-hours: ${pairs.join('; ')}`);

const body = lines.join('\n');
console.log(body);
mkdirSync(path.dirname(values.plot), { recursive: true });
writeFileSync(values.plot, costVsP95Svg(summaries, `Cost against p95 turnaround, one simulated working day (${day.length} jobs)`));
if (values.json) writeFileSync(values.json, JSON.stringify({ summaries, overload: overloadRuns.map((r) => ({ summary: r.summary, lost: r.lost })), heldOut, deterministic }, null, 2));
if (values.record) recordResults('fleet autoscaling through a simulated working day (bench/fleet-sim.ts)', body);
