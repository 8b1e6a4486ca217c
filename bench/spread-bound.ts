/**
 * How small can the best-to-worst spread of 10 runs be on the fitted simulated endpoint? Issue 6's
 * acceptance 2 asks for parascribe's choice to have a median ≥ 20 % below the fixed 360 s reproduction
 * AND a best-to-worst spread over ≥ 10 runs at most half of the reproduction's. Both spreads are
 * random: this benchmark measures, in virtual time and with the endpoint's own rules
 * (test/fakes/serverless-sim.ts, parameters fixed by the table fit, bench/lib-seed.ts), how often a
 * plan meets both goals against the reproduction, batch against batch of 10 runs:
 *
 * - fixed 360 s, every segment in flight (the reproduction);
 * - plans of the candidate kinds with and without hedging (src/plan/latency/hedge-sim.ts, the
 *   predictor's model of src/pipeline/hedge.ts, with the rule of src/plan/latency/hedge-policy.ts);
 * - a CLAIRVOYANT bound, which no real client can reach: it knows every container's boot time in
 *   advance and gives each container the exact share of audio that makes all finish together (one
 *   request per container, the slow ones left out when that is faster).
 *
 *   node --import tsx bench/spread-bound.ts [--jobs 20000] [--record]
 *
 * No parascribe process runs here: it is the model of the endpoint, not a measurement of the product.
 */
import { parseArgs } from 'node:util';
import { hedgeAfterSec, predictedQueueSec } from '../src/plan/latency/hedge-policy.js';
import { simulateHedgedJob } from '../src/plan/latency/hedge-sim.js';
import type { LatencyModel } from '../src/plan/latency/model.js';
import { lognormalDraw, seededRandom, type Random } from '../src/plan/latency/random.js';
import { lengthsFromTargets } from '../src/plan/latency/targets.js';
import { fmt, machineDescription, markdownTable, median, positiveNumber, recordResults } from './lib.js';
import { SEED_SIM } from './lib-seed.js';

const { values } = parseArgs({ options: { jobs: { type: 'string' }, record: { type: 'boolean', default: false } } });
const jobs = positiveNumber(values.jobs, '--jobs', 20_000);
const BATCH = 10;
const DURATION_SEC = 3724.5; // long-3600.wav
const FLAC_BYTES_PER_AUDIO_SEC = 17_900; // bench/seed-fit.md
const CLIENT_SEC = 2.3; // the client's own time, as fitted from the history (bench/RESULTS.md)

const cold = SEED_SIM.coldStart;
if (cold.kind !== 'lognormal') throw new Error('spread-bound: the fitted endpoint has a lognormal cold start');
const { medianSec: coldMedianSec, sigma: coldSigma } = cold;
const perAudioSec = FLAC_BYTES_PER_AUDIO_SEC / SEED_SIM.uploadBytesPerSec;
// The endpoint itself, written as a latency model: what a perfect fit would find.
const endpoint: LatencyModel = {
  backend: 'serverless-gpu',
  k: SEED_SIM.maxContainers,
  kBound: 'exact',
  rtf: SEED_SIM.rtf,
  overhead: { fixedSec: SEED_SIM.rttSec, perAudioSec },
  coldStart: { kind: 'lognormal', medianSec: cold.medianSec, sigma: cold.sigma, samplesSec: [], p90Sec: 0, firstWaveProbability: 1, laterProbability: 0 },
  client: { fixedSec: CLIENT_SEC, perAudioSec: 0, beforeFixedSec: 0.4, beforePerAudioSec: 0 },
  wallSigma: 0,
};
const k = endpoint.k;
const warmSec = (d: number) => endpoint.overhead.fixedSec + (perAudioSec + endpoint.rtf) * d;

interface Plan {
  label: string;
  lengthsSec: number[];
  hedged: boolean;
}

function planWall(plan: Plan, random: Random): number {
  const n = plan.lengthsSec.length;
  const concurrency = Math.max(n, k); // every segment in flight, as the benchmark runs them
  const queued = predictedQueueSec(endpoint, plan.lengthsSec, concurrency, 0.75);
  const result = simulateHedgedJob({
    servers: k,
    concurrency,
    serviceSec: plan.lengthsSec.map(warmSec),
    computeSec: plan.lengthsSec.map((d) => endpoint.rtf * d),
    audioSec: plan.lengthsSec,
    bootSec: Array.from({ length: k }, () => lognormalDraw(coldMedianSec, coldSigma, random)),
    hedgeAfterSec: plan.lengthsSec.map((d, i) => (plan.hedged ? hedgeAfterSec(endpoint, d, i, k, 0.75, queued[i]) : undefined)),
    hedgeBudgetAudioSec: 0.1 * DURATION_SEC,
  });
  return CLIENT_SEC + Math.max(...result.completionsSec);
}

/** The clairvoyant split: container i gets audio so that every container used finishes at T. */
function clairvoyantWall(random: Random): number {
  const boots = Array.from({ length: k }, () => lognormalDraw(coldMedianSec, coldSigma, random)).sort((a, b) => a - b);
  const perSec = perAudioSec + endpoint.rtf;
  let best = Infinity;
  for (let m = 1; m <= k; m++) {
    const readySec = boots.slice(0, m).map((b) => b + endpoint.overhead.fixedSec);
    const finishSec = (readySec.reduce((s, r) => s + r, 0) + perSec * DURATION_SEC) / m;
    if (finishSec >= readySec[m - 1]!) best = Math.min(best, finishSec);
  }
  return CLIENT_SEC + best;
}

const boot = (bootSec: number, large: number): number[] => {
  const restSec = DURATION_SEC - k * bootSec;
  return [...Array<number>(k).fill(bootSec), ...Array<number>(large).fill(restSec / large)];
};
const even = (n: number) => Array<number>(n).fill(DURATION_SEC / n);
const plans: Plan[] = [
  { label: 'fixed 360 s (the reproduction)', lengthsSec: lengthsFromTargets(DURATION_SEC, [360]), hedged: false },
  { label: 'even 3 × 1242 s', lengthsSec: even(3), hedged: false },
  { label: 'even 4 × 931 s', lengthsSec: even(4), hedged: false },
  { label: 'even 4 × 931 s, hedged (10 % budget: none fit)', lengthsSec: even(4), hedged: true },
  { label: 'boot 4 × 60 s + 2 × 1742 s', lengthsSec: boot(60, 2), hedged: false },
  { label: 'boot 4 × 60 s + 2 × 1742 s, hedged', lengthsSec: boot(60, 2), hedged: true },
  { label: 'boot 4 × 45 s + 3 × 1182 s, hedged', lengthsSec: boot(45, 3), hedged: true },
  // What the 25 MiB upload limit allows in FLAC (1364 s segments): the plan the benchmark's history picks.
  { label: 'boot 4 × 45 s + 1364 s, hedged (upload limit)', lengthsSec: lengthsFromTargets(DURATION_SEC, [45, 45, 45, 45, 1364]), hedged: true },
];

const walls = new Map<string, number[]>();
for (const [i, plan] of plans.entries()) {
  const random = seededRandom(100 + i);
  walls.set(plan.label, Array.from({ length: jobs }, () => planWall(plan, random)));
}
const CLAIRVOYANT = 'CLAIRVOYANT bound (knows every boot time in advance)';
{
  const random = seededRandom(99);
  walls.set(CLAIRVOYANT, Array.from({ length: jobs }, () => clairvoyantWall(random)));
}

const batches = (xs: number[]) => {
  const out: Array<{ medianSec: number; spreadSec: number }> = [];
  for (let i = 0; i + BATCH <= xs.length; i += BATCH) {
    const b = xs.slice(i, i + BATCH);
    out.push({ medianSec: median(b), spreadSec: Math.max(...b) - Math.min(...b) });
  }
  return out;
};
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const fixed = batches(walls.get(plans[0]!.label)!);
const rows = [...walls.entries()].map(([label, xs]) => {
  const own = batches(xs);
  let medianOk = 0;
  let spreadOk = 0;
  let both = 0;
  own.forEach((b, i) => {
    const m = b.medianSec <= 0.8 * fixed[i]!.medianSec;
    const s = b.spreadSec <= 0.5 * fixed[i]!.spreadSec;
    medianOk += m ? 1 : 0;
    spreadOk += s ? 1 : 0;
    both += m && s ? 1 : 0;
  });
  const pct = (x: number) => `${fmt((100 * x) / own.length, 0)} %`;
  return [label, fmt(median(xs), 1), `${fmt(quantile(xs, 0.1), 1)}–${fmt(quantile(xs, 0.9), 1)}`, fmt(median(own.map((b) => b.spreadSec)), 1), pct(medianOk), pct(spreadOk), pct(both)];
});

const table = markdownTable(['plan', 'wall s (median)', 'p10–p90 s', 'spread of 10 runs s (median)', 'median ≤ 0.8 × fixed', 'spread ≤ 0.5 × fixed', 'both'], rows);
const body = [
  `${machineDescription()}`,
  '',
  table,
  '',
  `- ${jobs} simulated jobs per plan, compared batch by batch (${jobs / BATCH} batches of ${BATCH} runs) with the fixed 360 s reproduction; virtual time, the endpoint's rules and the table fit's parameters (k = ${k}, cold start lognormal ${cold.medianSec} s σ ${cold.sigma}, ${SEED_SIM.rttSec} s + ${fmt(perAudioSec, 4)} s per audio s per request, RTF ${SEED_SIM.rtf}), client ${CLIENT_SEC} s`,
  '- hedged: the model\'s rule (quantile 0.75) with a worst-case budget of 10 % of the audio; every segment in flight',
  '- the clairvoyant bound is not a plan anyone can run: it shows how much of the spread the cold starts leave whatever the client does with one request per container (it ignores the upload limit, so a limited plan can only do worse)',
].join('\n');
process.stdout.write(`${body}\n`);
if (values.record) recordResults('issue 6: how small a 10-run spread can be on the fitted endpoint (bench/spread-bound.ts, virtual time)', body);
