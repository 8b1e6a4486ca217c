/**
 * Arrival traces for the fleet simulator (bench/fleet-sim.ts) and the real compressed run
 * (bench/fleet-real.ts): one documented format, and a seeded working-day generator.
 *
 * Format (`parascribe-trace/1`, CSV with a header line):
 *
 *   at_sec,audio_sec,priority
 *   0.0,312.4,normal
 *   41.7,7180.0,batch
 *
 * - `at_sec`: arrival time in seconds from the start of the trace (ascending);
 * - `audio_sec`: the recording's length in seconds (> 0);
 * - `priority`: critical | normal | batch (core/types.ts PRIORITIES).
 * Lines starting with `#` are comments. A trace that breaks these rules is refused with the line number.
 */
import { PRIORITIES, type Priority } from '../../src/core/types.js';
import { seededRandom, standardNormal } from '../../src/plan/latency/random.js';

export interface TraceArrival {
  atSec: number;
  audioSec: number;
  priority: Priority;
}

export const TRACE_HEADER = 'at_sec,audio_sec,priority';

export function formatTrace(arrivals: readonly TraceArrival[], comment?: string): string {
  const lines = comment ? comment.split('\n').map((l) => `# ${l}`) : [];
  lines.push(TRACE_HEADER, ...arrivals.map((a) => `${a.atSec.toFixed(1)},${a.audioSec.toFixed(1)},${a.priority}`));
  return `${lines.join('\n')}\n`;
}

export function parseTrace(text: string): TraceArrival[] {
  const out: TraceArrival[] = [];
  let header = false;
  let last = -Infinity;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (!header) {
      if (line !== TRACE_HEADER) throw new Error(`trace line ${i + 1}: expected the header "${TRACE_HEADER}"`);
      header = true;
      return;
    }
    const [at, audio, priority, extra] = line.split(',');
    const atSec = Number(at);
    const audioSec = Number(audio);
    if (extra !== undefined || !Number.isFinite(atSec) || atSec < 0 || !(audioSec > 0) || !PRIORITIES.includes(priority as Priority)) {
      throw new Error(`trace line ${i + 1}: expected "<at_sec ≥ 0>,<audio_sec > 0>,<critical|normal|batch>", got "${line}"`);
    }
    if (atSec < last) throw new Error(`trace line ${i + 1}: at_sec ${atSec} goes back in time (previous ${last})`);
    last = atSec;
    out.push({ atSec, audioSec, priority: priority as Priority });
  });
  if (!header) throw new Error(`trace: no header "${TRACE_HEADER}"`);
  return out;
}

export interface WorkingDayOptions {
  seed: number;
  days: number;
  /** Jobs per hour at the busiest hour of a normal day (before bursts). */
  peakJobsPerHour: number;
  /** Night floor as a share of the peak rate. */
  nightShare: number;
  /** Bursts per day (10 minutes each) at `burstFactor` × the rate of that time. */
  burstsPerDay: number;
  burstFactor: number;
  burstSec: number;
  /** Day-to-day volume spread (lognormal sigma). */
  dayVolumeSigma: number;
  /** Job mix: shares of 5-minute calls, 30–60 minute meetings, 2-hour recordings. */
  mix: { calls: number; meetings: number; recordings: number };
  priorities: Record<Priority, number>;
}

export const WORKING_DAY: WorkingDayOptions = {
  seed: 1,
  days: 8,
  peakJobsPerHour: 600,
  nightShare: 0.03,
  burstsPerDay: 3,
  burstFactor: 3,
  burstSec: 600,
  dayVolumeSigma: 0.1,
  mix: { calls: 0.7, meetings: 0.22, recordings: 0.08 },
  priorities: { critical: 0.1, normal: 0.6, batch: 0.3 },
};

const DAY = 86_400;

/** The diurnal curve, 0..1: a morning and an afternoon hump (10:30, 14:30) over a night floor. */
export function diurnal(hourOfDay: number, nightShare: number): number {
  const hump = (centre: number, width: number) => Math.exp(-0.5 * ((hourOfDay - centre) / width) ** 2);
  return Math.min(1, nightShare + (1 - nightShare) * Math.max(hump(10.5, 1.6), 0.9 * hump(14.5, 1.8)));
}

export interface GeneratedDay {
  arrivals: TraceArrival[];
  /** [startSec, endSec) of each burst, for the report. */
  bursts: Array<[number, number]>;
}

/**
 * A non-homogeneous Poisson process by thinning: candidate arrivals at the peak rate × burst factor,
 * each kept with probability rate(t) ÷ that bound. Deterministic for a seed.
 */
export function generateWorkingDays(options: WorkingDayOptions = WORKING_DAY): GeneratedDay {
  const random = seededRandom(options.seed);
  const arrivals: TraceArrival[] = [];
  const bursts: Array<[number, number]> = [];
  const bound = (options.peakJobsPerHour / 3600) * options.burstFactor * 1.5;
  for (let day = 0; day < options.days; day++) {
    const volume = Math.exp(options.dayVolumeSigma * standardNormal(random));
    const dayBursts: Array<[number, number]> = [];
    for (let b = 0; b < options.burstsPerDay; b++) {
      const start = day * DAY + (8.5 + random() * 9) * 3600;
      dayBursts.push([start, start + options.burstSec]);
    }
    bursts.push(...dayBursts);
    let t = day * DAY;
    for (;;) {
      t += -Math.log(1 - random()) / bound;
      if (t >= (day + 1) * DAY) break;
      const inBurst = dayBursts.some(([s, e]) => t >= s && t < e);
      const rate = (options.peakJobsPerHour / 3600) * volume * diurnal((t - day * DAY) / 3600, options.nightShare) * (inBurst ? options.burstFactor : 1);
      if (random() >= rate / bound) continue;
      arrivals.push({ atSec: t, audioSec: drawLength(random, options.mix), priority: drawPriority(random, options.priorities) });
    }
  }
  return { arrivals, bursts };
}

function drawLength(random: () => number, mix: WorkingDayOptions['mix']): number {
  const total = mix.calls + mix.meetings + mix.recordings;
  const u = random() * total;
  if (u < mix.calls) return 240 + random() * 120;
  if (u < mix.calls + mix.meetings) return 1_800 + random() * 1_800;
  return 6_600 + random() * 1_200;
}

function drawPriority(random: () => number, shares: Record<Priority, number>): Priority {
  const total = PRIORITIES.reduce((s, p) => s + shares[p], 0);
  let u = random() * total;
  for (const p of PRIORITIES) {
    u -= shares[p];
    if (u < 0) return p;
  }
  return 'batch';
}
