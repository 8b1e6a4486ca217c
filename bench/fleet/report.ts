/** Summaries of simulator runs: percentiles per priority, SLO shares, GPU-hours, cost; and the plot. */
import { PRIORITIES, type Priority } from '../../src/core/types.js';
import { axes, circle, legend, line, linearScale, niceDomain, SvgDoc, text, type LegendItem } from '../svg.js';
import type { JobResult, SimResult } from './sim.js';

/** The SLO: 2 × the seed study's 79 s for a 60-minute file, scaled by length, at least 60 s. */
export const SEED_WALL_SEC = 79;
export function sloSec(audioSec: number): number {
  return Math.max(60, (2 * SEED_WALL_SEC * audioSec) / 3_600);
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface PriorityStats {
  jobs: number;
  p50: number;
  p95: number;
  p99: number;
  /** p95 of turnaround ÷ SLO (1 = at the SLO). */
  p95OfSlo: number;
  withinSlo: number;
  degraded: number;
}

export function priorityStats(jobs: readonly JobResult[]): PriorityStats {
  const t = jobs.map((j) => j.turnaroundSec).sort((a, b) => a - b);
  const ratio = jobs.map((j) => j.turnaroundSec / sloSec(j.audioSec)).sort((a, b) => a - b);
  return {
    jobs: jobs.length,
    p50: percentile(t, 0.5),
    p95: percentile(t, 0.95),
    p99: percentile(t, 0.99),
    p95OfSlo: percentile(ratio, 0.95),
    withinSlo: jobs.length > 0 ? jobs.filter((j) => j.withinSlo).length / jobs.length : NaN,
    degraded: jobs.filter((j) => j.degraded).length,
  };
}

export interface PolicySummary {
  policy: string;
  byPriority: Record<Priority, PriorityStats>;
  all: PriorityStats;
  gpuHours: number;
  cost: number;
  idleShare: number;
  scaleEvents: number;
  workersStarted: number;
  sloMisses: number;
}

export function summarise(result: SimResult, usdPerGpuHour: number): PolicySummary {
  const byPriority = Object.fromEntries(PRIORITIES.map((p) => [p, priorityStats(result.jobs.filter((j) => j.priority === p))])) as Record<Priority, PriorityStats>;
  const gpuHours = result.gpuSec / 3_600;
  return {
    policy: result.policy,
    byPriority,
    all: priorityStats(result.jobs),
    gpuHours,
    cost: gpuHours * usdPerGpuHour,
    idleShare: result.gpuSec > 0 ? 1 - result.busySec / result.gpuSec : NaN,
    scaleEvents: result.scaleUps + result.scaleDowns,
    workersStarted: result.workersStarted,
    sloMisses: result.jobs.filter((j) => !j.withinSlo).length,
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');
const sec = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');

export function summaryTable(rows: readonly PolicySummary[]): { headers: string[]; rows: string[][] } {
  const headers = ['policy', ...PRIORITIES.map((p) => `${p} p50/p95/p99 s`), 'critical in SLO', 'all in SLO', 'SLO misses', 'GPU-h', 'cost $', 'idle', 'scale events', 'workers started'];
  return {
    headers,
    rows: rows.map((r) => [
      r.policy,
      ...PRIORITIES.map((p) => `${sec(r.byPriority[p].p50)} / ${sec(r.byPriority[p].p95)} / ${sec(r.byPriority[p].p99)}`),
      pct(r.byPriority.critical.withinSlo),
      pct(r.all.withinSlo),
      String(r.sloMisses),
      r.gpuHours.toFixed(1),
      r.cost.toFixed(0),
      pct(r.idleShare),
      String(r.scaleEvents),
      String(r.workersStarted),
    ]),
  };
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** Cost against p95 turnaround ÷ SLO (all jobs), one point per policy. */
export function costVsP95Svg(rows: readonly PolicySummary[], title: string): string {
  const width = 760;
  const height = 440;
  const area = { left: 70, top: 50, width: 440, height: 320 };
  const xs = rows.map((r) => r.cost);
  const ys = rows.map((r) => r.all.p95OfSlo);
  const x = linearScale(niceDomain(0, Math.max(...xs) * 1.05), [area.left, area.left + area.width]);
  const y = linearScale(niceDomain(0, Math.max(1.2, ...ys.filter(Number.isFinite)) * 1.05), [area.top + area.height, area.top]);
  const doc = new SvgDoc(width, height, title);
  doc.add(text(width / 2, 24, title, { textAnchor: 'middle', fontSize: 15 }));
  doc.add(axes({ area, x, y, xLabel: 'cost of the day, $ (GPU-hours × price)', yLabel: 'p95 turnaround ÷ SLO, all jobs' }));
  // The SLO line: at 1, a policy's p95 job is at its SLO.
  doc.add(line(area.left, y(1), area.left + area.width, y(1), { stroke: '#999', strokeDasharray: '4 3' }));
  doc.add(text(area.left + area.width - 4, y(1) - 4, 'SLO', { textAnchor: 'end', fontSize: 11, fill: '#666' }));
  const items: LegendItem[] = [];
  rows.forEach((r, i) => {
    const color = COLORS[i % COLORS.length]!;
    if (Number.isFinite(r.all.p95OfSlo)) doc.add(circle(x(r.cost), y(Math.min(r.all.p95OfSlo, y.domain[1])), 6, { fill: color }));
    items.push({ label: `${r.policy} (${r.gpuHours.toFixed(0)} GPU-h, ${pct(r.all.withinSlo)} in SLO)`, kind: 'marker', color, shape: 'circle' });
  });
  doc.add(legend(area.left + area.width + 16, area.top, items, { maxWidth: width - area.left - area.width - 24 }));
  return doc.toString();
}
