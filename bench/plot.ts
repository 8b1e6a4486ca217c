/**
 * Pictures of the seed study's reproduction (issue 6): wall-clock against segment length, and one job's
 * requests per container over time. Reads what bench/seed-table.ts writes (`--json-out`, default
 * bench/work/seed-table-results.json) and writes hand-made SVG (bench/svg.ts; no plotting dependency).
 *
 *   node --import tsx bench/plot.ts [--in bench/work/seed-table-results.json] [--out bench/plots]
 *     [--extra LABEL=FILE.json]... [--timeline SIZE:RUN]... [--timeline all|none] [--timeline-json FILE.json]...
 *     [--min-size 120] [--max-size 1800] [--step 5] [--split planner|even] [--draws 2000] [--client-sec S] [--no-wall]
 *
 * Writes, under --out:
 *
 * - `wall-vs-segment.svg`: x = segment length s (log scale), y = wall-clock s (spawn to exit). Series:
 *   the seed study's four rows (STUDY in bench/seed-model.ts); the reproduction, every run as a small dot
 *   and the median per size as a square; the model (bench/seed-model.ts `modelQuantiles`) as its median
 *   line and p10–p90 band over segment sizes --min-size..--max-size every --step s, with the endpoint
 *   parameters from the JSON (`params`), the file's duration D (`audio.durationSec`) and the median
 *   client seconds over all runs (or --client-sec). Segment lengths per size: `--split planner` (default)
 *   asks parascribe's own planner (src/plan/planner.ts, no pauses: segments of the target length and a
 *   last one with the rest, so n = the real runs' 21/13/11/9 on long-3600.wav); `--split even` splits D
 *   evenly into n = round(D / size) (300 s gives 12 there, where parascribe plans 13). The top axis
 *   shows the planner's n at each tick. Each --extra adds a series with its own marker (below).
 * - `timeline-<size>s-run<run>.svg` for each `--timeline SIZE:RUN` (default: run 1 of every size;
 *   `all`: every run; `none`: no timelines), and `timeline-<file name>.svg` for each --timeline-json:
 *   one job's requests, one lane per container (sorted by id), time from the job's first request. Each
 *   request is a bar of stacked phases, cold start, overhead and compute (and "late": real work past the
 *   simulated compute), labelled with its audio seconds (and `#segmentIndex` when known); its queue wait
 *   (arrival → container) is a thin grey line under the lane it ends up on. Hedged requests have a
 *   dashed purple outline and an "H", cancelled ones are hatched and marked "✕". A second panel plots,
 *   over the same time, requests in flight, containers busy and requests waiting: the parallelism got.
 *
 * --extra LABEL=FILE.json (repeatable; `FILE.json` alone takes the label from the file, else its name).
 * The file is either an array of points or `{ "label"?: string, "points": Point[] }`, where
 *
 *   Point = { "segmentSec"?: number, "label"?: string, "wallSec": number | number[] }
 *
 * A point with `segmentSec` is drawn at that x like the reproduction: each wall a small dot, the median
 * a marker. A point without it (e.g. "parascribe auto", which picks its own segment length) is a
 * horizontal dashed line at its median wall across the plot, labelled `label` (or the series label),
 * with a light band over its min–max. Example:
 *
 *   { "label": "parascribe auto", "points": [ { "label": "auto", "wallSec": [61.2, 64.8] },
 *                                             { "segmentSec": 600, "wallSec": [66.0] } ] }
 *
 * --timeline-json FILE.json: `{ "title"?: string, "subtitle"?: string, "requests": Request[] }` (or a bare
 * array), Request = the fields of SimReport (test/fakes/serverless-sim.ts): container, cold, coldStartSec,
 * queueWaitSec, overheadSec, computeSec, audioSec, arrivedAtSec, finishedAtSec, lateSec? — plus optional
 * `hedge?: boolean`, `cancelled?: boolean`, `segmentIndex?: number`. A request without a container
 * (cancelled while queued: container missing or 0) goes to a lane of its own, "no container". A cancelled
 * request's phases are cut at its finishedAtSec.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planSegments } from '../src/plan/planner.js';
import type { SimReport } from '../test/fakes/serverless-sim.js';
import { median } from './lib.js';
import { modelQuantiles, STUDY, type SeedParams } from './seed-model.js';
import type { SeedTableJson } from './seed-table.js';
import {
  SvgDoc,
  axes,
  band,
  hatchPattern,
  legend,
  legendSize,
  line,
  linearScale,
  logScale,
  marker,
  niceDomain,
  polyline,
  rect,
  text,
  textWidth,
  titled,
  wrapText,
  type LegendItem,
  type MarkerShape,
} from './svg.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Okabe–Ito, readable by most colour-blind viewers.
const C = { black: '#222222', orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442', blue: '#0072B2', red: '#D55E00', purple: '#CC79A7', grey: '#999999' };

// ---------------------------------------------------------------------------------------------- inputs

export interface ExtraPoint {
  segmentSec?: number;
  label?: string;
  wallSec: number[];
}

export interface ExtraSeries {
  label: string;
  points: ExtraPoint[];
}

/** Parses an --extra file's JSON (see the header); `label` (from LABEL=) wins over the file's. */
export function parseExtra(json: unknown, label: string | undefined, fallbackLabel: string): ExtraSeries {
  const doc = Array.isArray(json) ? { points: json } : (json as { label?: unknown; points?: unknown });
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.points)) throw new Error('an --extra file holds an array of points or { "label"?, "points": [...] }');
  const points = doc.points.map((p: unknown, i: number): ExtraPoint => {
    const point = p as { segmentSec?: unknown; label?: unknown; wallSec?: unknown };
    const walls = Array.isArray(point?.wallSec) ? point.wallSec : [point?.wallSec];
    if (walls.length === 0 || !walls.every((w) => typeof w === 'number' && Number.isFinite(w))) throw new Error(`point ${i}: wallSec must be a number or an array of numbers`);
    if (point.segmentSec !== undefined && !(typeof point.segmentSec === 'number' && point.segmentSec > 0)) throw new Error(`point ${i}: segmentSec must be a positive number`);
    return {
      ...(typeof point.segmentSec === 'number' ? { segmentSec: point.segmentSec } : {}),
      ...(typeof point.label === 'string' ? { label: point.label } : {}),
      wallSec: walls as number[],
    };
  });
  return { label: label ?? (typeof (doc as { label?: unknown }).label === 'string' ? (doc as { label: string }).label : fallbackLabel), points };
}

export interface TimelineRequest extends Omit<SimReport, 'lateSec'> {
  lateSec?: number;
  hedge?: boolean;
  cancelled?: boolean;
  segmentIndex?: number;
}

export interface TimelineInput {
  title: string;
  subtitle?: string;
  requests: TimelineRequest[];
  /** The process's wall (spawn to exit), when known: the subtitle compares it with the endpoint's span. */
  processWallSec?: number;
}

// ------------------------------------------------------------------------------- wall vs segment size

export interface ModelPoint {
  sizeSec: number;
  segments: number;
  p10: number;
  median: number;
  p90: number;
}

/** Segment lengths for a file of `durationSec` at target `sizeSec`. */
export function splitLengths(durationSec: number, sizeSec: number, split: 'planner' | 'even'): number[] {
  if (split === 'even') {
    const n = Math.max(1, Math.round(durationSec / sizeSec));
    return Array.from({ length: n }, () => durationSec / n);
  }
  return planSegments(durationSec, [], { targetSec: sizeSec }).map((s) => s.endSec - s.startSec);
}

export function modelCurve(o: { durationSec: number; params: SeedParams; clientSec: number; minSec: number; maxSec: number; stepSec: number; split: 'planner' | 'even'; draws: number }): ModelPoint[] {
  const out: ModelPoint[] = [];
  for (let size = o.minSec; size <= o.maxSec + 1e-9; size += o.stepSec) {
    const lengths = splitLengths(o.durationSec, size, o.split);
    // Same seed at every size (common random numbers), so the curve is smooth rather than noisy.
    const q = modelQuantiles(lengths, o.params, o.clientSec, o.draws, 1);
    out.push({ sizeSec: size, segments: lengths.length, ...q });
  }
  return out;
}

/** Pixels by which series sharing a segment size are moved apart sideways. */
const NUDGE = 7;

const EXTRA_STYLES: Array<{ color: string; shape: MarkerShape }> = [
  { color: C.purple, shape: 'triangle' },
  { color: C.green, shape: 'circle' },
  { color: C.red, shape: 'cross' },
  { color: C.sky, shape: 'diamond' },
];

export function wallVsSegmentSvg(data: SeedTableJson, extras: ExtraSeries[], o: { minSec: number; maxSec: number; stepSec: number; split: 'planner' | 'even'; draws: number; clientSec?: number }): string {
  const W = 980;
  const D = data.audio.durationSec;
  const runs = data.sizes.flatMap((s) => s.runs);
  const clientSec = o.clientSec ?? (runs.length ? median(runs.map((r) => r.clientSec)) : 3);
  const curve = modelCurve({ durationSec: D, params: data.params, clientSec, minSec: o.minSec, maxSec: o.maxSec, stepSec: o.stepSec, split: o.split, draws: o.draws });

  const xs = [o.minSec, o.maxSec, ...STUDY.map((s) => s.segmentSec), ...data.sizes.map((s) => s.segmentSec), ...extras.flatMap((e) => e.points.flatMap((p) => (p.segmentSec ? [p.segmentSec] : [])))];
  const ys = [...curve.map((c) => c.p90), ...STUDY.map((s) => s.wallSec), ...runs.map((r) => r.wallSec), ...extras.flatMap((e) => e.points.flatMap((p) => p.wallSec))];
  const sim = data.params;
  const cold = sim.coldStart.kind === 'lognormal' ? `cold start lognormal median ${sim.coldStart.medianSec} s σ ${sim.coldStart.sigma}` : `cold start ${sim.coldStart.kind}`;
  const subtitle = [
    `${data.quick ? 'QUICK run (a 10-minute file: not comparable to the study). ' : ''}Reproduction: ${path.basename(data.audio.file)} (${(D / 60).toFixed(1)} min), ${data.runsPerSize} run(s) per size, the real CLI against a simulated endpoint: k = ${sim.k}, ${cold}, ${sim.rttSec} s per request + upload + RTF ${sim.rtf}. The study's file: 60 min. Markers at a shared size are moved apart sideways by a few pixels.`,
    `Model: bench/seed-model.ts, ${o.draws} draws per size, client ${clientSec.toFixed(1)} s (median of the runs), segments by ${o.split === 'planner' ? "parascribe's planner without pauses" : 'an even split, n = round(D / size)'}.`,
  ].flatMap((s) => wrapText(s, W - 78 - 30, 12));
  const headerH = 40 + subtitle.length * 16 + 22;
  const H = headerH + 540;
  const area = { left: 78, top: headerH + 14, width: W - 78 - 30, height: 540 - 14 - 66 };
  const x = logScale([Math.min(...xs) * 0.95, Math.max(...xs) * 1.03], [area.left, area.left + area.width]);
  const y = linearScale(niceDomain(0, Math.max(...ys) * 1.05, 8), [area.top + area.height, area.top]);
  const xTicks = [120, 180, 240, 300, 360, 420, 600, 900, 1200, 1800].filter((t) => t >= x.domain[0] && t <= x.domain[1]);

  const doc = new SvgDoc(W, H, 'wall-clock against segment length');
  doc.add(text(area.left, 28, `Wall-clock against segment length: seed study, reproduction, model`, { fontSize: 17, fontWeight: 'bold' }));
  subtitle.forEach((l, i) => doc.add(text(area.left, 50 + i * 16, l, { fontSize: 12, fill: '#444' })));

  doc.add(axes({ x, y, area, xTicks, xLabel: `segment length s (log scale); along the top: the number of segments n for this file (${o.split === 'planner' ? 'planner' : 'even split'})`, yLabel: 'wall-clock s (spawn to exit)' }));
  // Top axis: the number of segments the planner makes at each tick.
  doc.add(text(area.left - 8, area.top - 8, 'n =', { textAnchor: 'end', fontSize: 11, fill: '#666' }));
  for (const t of xTicks) {
    doc.add(line(x(t), area.top - 4, x(t), area.top, { stroke: '#666' }));
    doc.add(text(x(t), area.top - 8, String(splitLengths(D, t, o.split).length), { textAnchor: 'middle', fontSize: 11, fill: '#666' }));
  }

  // Model: band, then median.
  doc.add(band(curve.map((c) => [x(c.sizeSec), y(c.p90)] as const), curve.map((c) => [x(c.sizeSec), y(c.p10)] as const), { fill: C.sky, fillOpacity: 0.28, stroke: 'none' }));
  doc.add(polyline(curve.map((c) => [x(c.sizeSec), y(c.median)] as const), { stroke: C.blue, strokeWidth: 2.2, strokeLinejoin: 'round' }));

  // Extra series without a segment size: horizontal reference lines.
  const legendItems: LegendItem[] = [
    { label: 'seed study (60-min file)', kind: 'marker', shape: 'diamond', color: C.black, size: 12 },
    { label: 'reproduction: a run', kind: 'marker', shape: 'circle', color: '#ffd27a', size: 7 },
    { label: 'reproduction: median per size', kind: 'marker', shape: 'square', color: C.orange, size: 11 },
    { label: 'model: median', kind: 'line', color: C.blue },
    { label: 'model: p10–p90', kind: 'box', color: C.sky, opacity: 0.28 },
  ];
  extras.forEach((series, i) => {
    const style = EXTRA_STYLES[i % EXTRA_STYLES.length]!;
    legendItems.push({ label: series.label, kind: 'marker', shape: style.shape, color: style.color, size: 11 });
    for (const point of series.points.filter((p) => p.segmentSec === undefined)) {
      const m = median(point.wallSec);
      const lo = Math.min(...point.wallSec);
      const hi = Math.max(...point.wallSec);
      if (hi > lo) doc.add(rect(area.left, y(hi), area.width, y(lo) - y(hi), { fill: style.color, fillOpacity: 0.12 }));
      doc.add(line(area.left, y(m), area.left + area.width, y(m), { stroke: style.color, strokeWidth: 1.8, strokeDasharray: '7 4' }));
      const label = `${point.label ?? series.label}: ${m.toFixed(1)} s${point.wallSec.length > 1 ? ` (${lo.toFixed(0)}–${hi.toFixed(0)}, ${point.wallSec.length} runs)` : ''}`;
      doc.add(text(area.left + area.width - 6, y(m) - 5, label, { textAnchor: 'end', fontSize: 11, fill: style.color, fontWeight: 'bold' }));
    }
  });

  // Where the study and the reproduction share a size, the study moves left and the reproduction right
  // (extras at such a size further right), so that no marker hides another.
  const studySizes = new Set(STUDY.map((s) => s.segmentSec));
  const reproSizes = new Set(data.sizes.filter((s) => s.runs.length).map((s) => s.segmentSec));
  const shared = (size: number) => (studySizes.has(size) ? 1 : 0) + (reproSizes.has(size) ? 1 : 0) > 1;
  for (const s of STUDY) {
    doc.add(titled(marker('diamond', x(s.segmentSec) - (shared(s.segmentSec) ? NUDGE : 0), y(s.wallSec), 12, { fill: C.black, stroke: '#fff', strokeWidth: 1 }), `study: ${s.segmentSec} s segments, n = ${s.segments}, ${s.wallSec} s`));
  }
  // Reproduction: the median square, then every run as a dot on top (spread by run so equal walls stay visible).
  for (const size of data.sizes) {
    const X = x(size.segmentSec) + (shared(size.segmentSec) ? NUDGE : 0);
    if (size.runs.length) {
      const m = median(size.runs.map((r) => r.wallSec));
      doc.add(titled(marker('square', X, y(m), 11, { fill: C.orange, stroke: '#5a3c00', strokeWidth: 1 }), `reproduction median: ${size.segmentSec} s: ${m.toFixed(1)} s`));
    }
    size.runs.forEach((r, i) => {
      const dx = (i - (size.runs.length - 1) / 2) * 4;
      doc.add(titled(marker('circle', X + dx, y(r.wallSec), 5, { fill: '#ffd27a', stroke: '#5a3c00', strokeWidth: 0.8 }), `reproduction: ${size.segmentSec} s, run ${r.run}: ${r.wallSec.toFixed(1)} s, ${r.segments} segments`));
    });
  }
  // Extra series with a segment size.
  extras.forEach((series, i) => {
    const style = EXTRA_STYLES[i % EXTRA_STYLES.length]!;
    for (const point of series.points.filter((p) => p.segmentSec !== undefined)) {
      const taken = studySizes.has(point.segmentSec!) || reproSizes.has(point.segmentSec!);
      const X = x(point.segmentSec!) + (taken ? NUDGE * (3 + 2 * i) : NUDGE * 2 * i);
      doc.add(titled(marker(style.shape, X, y(median(point.wallSec)), 11, { fill: style.color, stroke: '#fff', strokeWidth: 1 }), `${point.label ?? series.label}: ${point.segmentSec} s: ${median(point.wallSec).toFixed(1)} s`));
      point.wallSec.forEach((w, j) => doc.add(marker('circle', X + (j - (point.wallSec.length - 1) / 2) * 4, y(w), 5, { fill: '#fff', stroke: style.color, strokeWidth: 1.2 })));
    }
  });

  const size = legendSize(legendItems, { fontSize: 12 });
  doc.add(legend(area.left + area.width - size.width - 16, area.top + 14, legendItems, { fontSize: 12, box: true }));
  doc.add(text(W - 8, H - 8, `bench/plot.ts · ${data.createdAt.slice(0, 16).replace('T', ' ')} UTC`, { textAnchor: 'end', fontSize: 10, fill: '#999' }));
  return doc.toString();
}

// ------------------------------------------------------------------------------------------- timeline

interface Placed {
  r: TimelineRequest;
  lane: number;
  /** The request's index in arrival order (1-based), for tooltips. */
  order: number;
  start: number;
  phases: Array<{ kind: 'cold' | 'overhead' | 'compute' | 'late'; from: number; to: number }>;
  end: number;
  waitRow: number;
}

const PHASE_COLOR = { cold: C.orange, overhead: C.sky, compute: C.green, late: C.red } as const;

/**
 * Counts over time: a step function as [time, value] pairs from [from, to) intervals. Events less than
 * `epsSec` apart count as simultaneous, so a container handed from one request to the next (end and
 * start a few µs apart) makes no spike.
 */
export function stepCounts(intervals: ReadonlyArray<readonly [number, number]>, epsSec = 1e-3): Array<[number, number]> {
  const events: Array<[number, number]> = [];
  for (const [from, to] of intervals) if (to > from) events.push([from, 1], [to, -1]);
  events.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [[0, 0]];
  let value = 0;
  let groupAt = -Infinity;
  for (const [t, d] of events) {
    value += d;
    if (t - groupAt <= epsSec) out[out.length - 1]![1] = value;
    else {
      groupAt = t;
      if (out[out.length - 1]![0] === t) out[out.length - 1]![1] = value;
      else out.push([t, value]);
    }
  }
  return out;
}

export function timelineSvg(input: TimelineInput): string {
  const requests = [...input.requests].sort((a, b) => a.arrivedAtSec - b.arrivedAtSec);
  if (requests.length === 0) throw new Error(`timeline '${input.title}': no requests`);
  const t0 = requests[0]!.arrivedAtSec;
  const containerIds = [...new Set(requests.map((r) => (r.container > 0 ? r.container : 0)))].sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : a - b));
  const laneOf = new Map(containerIds.map((id, i) => [id, i]));
  const waitRows = new Array<number>(containerIds.length).fill(0);

  const placed: Placed[] = requests.map((r, i) => {
    const arrived = r.arrivedAtSec - t0;
    const finished = r.finishedAtSec - t0;
    const start = arrived + Math.max(0, r.queueWaitSec);
    const phases: Placed['phases'] = [];
    let t = start;
    for (const [kind, sec] of [['cold', r.coldStartSec], ['overhead', r.overheadSec], ['compute', r.computeSec], ['late', r.lateSec ?? 0]] as const) {
      if (!(sec > 0)) continue;
      let to = t + sec;
      if (r.cancelled) to = Math.min(to, finished);
      if (to > t) phases.push({ kind, from: t, to });
      t = to;
    }
    const lane = laneOf.get(r.container > 0 ? r.container : 0)!;
    const waits = r.queueWaitSec > 0.05 || !(r.container > 0);
    return { r, lane, order: i + 1, start: r.container > 0 ? start : finished, phases: r.container > 0 ? phases : [], end: Math.max(finished, t), waitRow: waits ? waitRows[lane]!++ : -1 };
  });

  const W = 1100;
  const left = 104;
  const right = 30;
  const headerLines = [
    ...wrapParts(summary(placed, requests, input.processWallSec), ' · ', W - left - right, 12),
    ...(input.subtitle ? wrapText(input.subtitle, W - left - right, 12) : []),
  ];
  const hasLate = requests.some((r) => (r.lateSec ?? 0) > 0);
  const items: LegendItem[] = [
    { label: 'queue wait (arrival → container)', kind: 'line', color: C.grey },
    { label: 'cold start', kind: 'box', color: C.orange },
    { label: 'overhead (per request, holds the container)', kind: 'box', color: C.sky },
    { label: 'compute', kind: 'box', color: C.green },
    ...(hasLate ? [{ label: 'late (real work past the simulated compute)', kind: 'box' as const, color: C.red }] : []),
    ...(requests.some((r) => r.hedge) ? [{ label: 'hedge (H)', kind: 'box' as const, color: '#fff', stroke: C.purple, dash: '4 2' }] : []),
    ...(requests.some((r) => r.cancelled) ? [{ label: 'cancelled (✕)', kind: 'box' as const, color: '#ddd', pattern: 'url(#cancelled)' }] : []),
    { label: 'bar label: the segment\'s audio s', kind: 'box', color: '#fff', stroke: '#bbb' },
  ];
  const legendTop = 40 + headerLines.length * 16;
  const legendH = legendSize(items, { horizontal: true, maxWidth: W - left - right, fontSize: 11.5 }).height;
  const top = legendTop + legendH + 12;
  const barH = 24;
  const waitGap = 5;
  const lanePad = 8;
  const laneHeights = containerIds.map((_, i) => lanePad + barH + 4 + waitRows[i]! * waitGap + lanePad);
  const lanesH = laneHeights.reduce((a, b) => a + b, 0);
  const laneTop = laneHeights.map((_, i) => top + laneHeights.slice(0, i).reduce((a, b) => a + b, 0));
  const countH = 130;
  const countTop = top + lanesH + 56;
  const H = countTop + countH + 60;
  const span = spanOf(placed);
  const x = linearScale(niceDomain(0, span, 10), [left, W - right]);

  const doc = new SvgDoc(W, H, input.title);
  doc.def(hatchPattern('cancelled', '#555', 6, 1.4));
  doc.add(text(left, 28, input.title, { fontSize: 17, fontWeight: 'bold' }));
  headerLines.forEach((l, i) => doc.add(text(left, 50 + i * 16, l, { fontSize: 12, fill: '#444' })));
  doc.add(legend(left, legendTop, items, { horizontal: true, maxWidth: W - left - right, fontSize: 11.5 }));
  const served = placed.filter((p) => p.r.container > 0);

  // Lanes.
  const laneBottom = top + lanesH;
  for (const t of x.ticks(10)) if (t >= x.domain[0] && t <= x.domain[1]) doc.add(line(x(t), top, x(t), laneBottom, { stroke: '#ececec' }));
  containerIds.forEach((id, i) => {
    const yTop = laneTop[i]!;
    if (i % 2 === 1) doc.add(rect(left, yTop, W - right - left, laneHeights[i]!, { fill: '#f6f6f6' }));
    doc.add(text(left - 10, yTop + lanePad + barH / 2 + 4, id > 0 ? `container ${id}` : 'no container', { textAnchor: 'end', fontSize: 12 }));
  });
  doc.add(rect(left, top, W - right - left, lanesH, { fill: 'none', stroke: '#444' }));

  for (const p of placed) {
    const yBar = laneTop[p.lane]! + lanePad;
    const tooltip = [
      `request ${p.order}${p.r.segmentIndex !== undefined ? `, segment #${p.r.segmentIndex}` : ''}${p.r.hedge ? ' (hedge)' : ''}${p.r.cancelled ? ' (cancelled)' : ''}`,
      `container ${p.r.container > 0 ? p.r.container : '—'}${p.r.cold ? ', cold' : ''}; audio ${p.r.audioSec.toFixed(1)} s`,
      `arrived ${(p.r.arrivedAtSec - t0).toFixed(1)} s, waited ${p.r.queueWaitSec.toFixed(1)} s, cold ${p.r.coldStartSec.toFixed(1)} s, overhead ${p.r.overheadSec.toFixed(1)} s, compute ${p.r.computeSec.toFixed(2)} s${p.r.lateSec ? `, late ${p.r.lateSec.toFixed(2)} s` : ''}, done ${(p.r.finishedAtSec - t0).toFixed(1)} s`,
    ].join('\n');
    const parts: string[] = [];
    if (p.waitRow >= 0) {
      const yWait = yBar + barH + 4 + p.waitRow * waitGap + 1;
      const from = x(p.r.arrivedAtSec - t0);
      const to = x(p.start);
      parts.push(line(from, yWait, to, yWait, { stroke: p.r.cancelled ? '#666' : C.grey, strokeWidth: 2, strokeDasharray: p.r.cancelled ? '3 2' : undefined }));
      parts.push(line(from, yWait - 2, from, yWait + 2, { stroke: C.grey, strokeWidth: 1.2 }));
      if (p.phases.length) parts.push(line(to, yWait, to, yBar + barH, { stroke: '#aaa', strokeWidth: 1, strokeDasharray: '1.5 1.5' }));
      else parts.push(marker('cross', to, yWait, 6, { stroke: '#444', strokeWidth: 1.3 }));
    }
    for (const ph of p.phases) parts.push(rect(x(ph.from), yBar, x(ph.to) - x(ph.from), barH, { fill: PHASE_COLOR[ph.kind] }));
    if (p.phases.length) {
      const x0 = x(p.phases[0]!.from);
      const x1 = x(p.phases[p.phases.length - 1]!.to);
      if (p.r.cancelled) parts.push(rect(x0, yBar, x1 - x0, barH, { fill: 'url(#cancelled)' }));
      parts.push(rect(x0, yBar, x1 - x0, barH, { fill: 'none', stroke: p.r.hedge ? C.purple : '#fff', strokeWidth: p.r.hedge ? 2 : 1, strokeDasharray: p.r.hedge ? '4 2' : undefined }));
      const label = `${p.r.segmentIndex !== undefined ? `#${p.r.segmentIndex} ` : ''}${p.r.audioSec.toFixed(0)} s${p.r.hedge ? ' H' : ''}${p.r.cancelled ? ' ✕' : ''}`;
      // Over the widest phase-free part of the bar, i.e. after the cold start when there is one.
      const bodyFrom = p.phases[0]!.kind === 'cold' && p.phases.length > 1 ? x(p.phases[1]!.from) : x0;
      const fit = [11, 9.5, 8].flatMap((fs) => [[fs, bodyFrom], [fs, x0]] as const).find(([fs, from]) => textWidth(label, fs) + 4 <= x1 - from);
      if (fit) {
        const [fs, from] = fit;
        parts.push(text((from + x1) / 2, yBar + barH / 2 + fs * 0.36, label, { textAnchor: 'middle', fontSize: fs, fill: '#111' }));
      }
    }
    doc.add(titled(parts.join(''), tooltip));
  }
  doc.add(axes({ x, y: linearScale([0, 1], [laneBottom, top]), area: { left, top, width: W - right - left, height: lanesH }, yTicks: [], grid: false, xLabel: '' }));

  // Counts over time.
  const inflight = stepCounts(placed.map((p) => [p.r.arrivedAtSec - t0, p.end] as const));
  const busy = stepCounts(served.map((p) => [p.start, p.end] as const));
  const waiting = stepCounts(placed.map((p) => [p.r.arrivedAtSec - t0, p.start] as const));
  const maxCount = Math.max(1, ...inflight.map(([, v]) => v));
  const yc = linearScale([0, niceDomain(0, maxCount, 4)[1]], [countTop + countH, countTop]);
  const cArea = { left, top: countTop, width: W - right - left, height: countH };
  doc.add(axes({ x, y: yc, area: cArea, xLabel: "seconds since the job's first request", yLabel: 'requests', yTicks: niceTicksInt(yc.domain[1]) }));
  const steps = (pts: Array<[number, number]>, endT: number): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    pts.forEach(([t, v], i) => {
      if (i > 0) out.push([x(t), yc(pts[i - 1]![1])]);
      out.push([x(t), yc(v)]);
    });
    out.push([x(endT), yc(pts[pts.length - 1]![1])]);
    return out;
  };
  const endT = x.domain[1];
  // Busy under in-flight (thick under thin), so both show where they coincide.
  doc.add(polyline(steps(busy, endT), { stroke: C.green, strokeWidth: 4 }));
  doc.add(polyline(steps(waiting, endT), { stroke: C.grey, strokeWidth: 1.6, strokeDasharray: '5 3' }));
  doc.add(polyline(steps(inflight, endT), { stroke: C.black, strokeWidth: 1.3 }));
  const countItems: LegendItem[] = [
    { label: 'in flight (arrived, not answered)', kind: 'line', color: C.black },
    { label: 'containers busy', kind: 'line', color: C.green },
    { label: 'waiting for a container', kind: 'line', color: C.grey, dash: '5 3' },
  ];
  doc.add(text(left, countTop - 12, 'Requests over time', { fontSize: 13, fontWeight: 'bold' }));
  const cl = legendSize(countItems, { fontSize: 11.5, horizontal: true });
  doc.add(legend(W - right - cl.width, countTop - 22, countItems, { fontSize: 11.5, horizontal: true }));
  doc.add(text(W - 8, H - 8, 'bench/plot.ts', { textAnchor: 'end', fontSize: 10, fill: '#999' }));
  return doc.toString();
}

function spanOf(placed: readonly Placed[]): number {
  return Math.max(...placed.map((p) => p.end));
}

/** Joins `parts` with `separator` into lines no wider than `maxWidth`, breaking only between parts. */
function wrapParts(parts: readonly string[], separator: string, maxWidth: number, size: number): string[] {
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines[lines.length - 1];
    if (last !== undefined && textWidth(last + separator + part, size) <= maxWidth) lines[lines.length - 1] = last + separator + part;
    else lines.push(part);
  }
  return lines;
}

/** What the job got from the endpoint, in parts for the header. */
function summary(placed: readonly Placed[], requests: readonly TimelineRequest[], processWallSec?: number): string[] {
  const span = spanOf(placed);
  const busySec = placed.filter((p) => p.r.container > 0).reduce((sum, p) => sum + (p.end - p.start), 0);
  const colds = requests.filter((r) => r.cold);
  return [
    `${requests.length} requests on ${new Set(requests.filter((r) => r.container > 0).map((r) => r.container)).size} containers`,
    `${colds.length} cold start${colds.length === 1 ? '' : 's'}${colds.length ? ` (longest ${Math.max(...colds.map((r) => r.coldStartSec)).toFixed(1)} s)` : ''}`,
    `endpoint span ${span.toFixed(1)} s${processWallSec ? ` of a ${processWallSec.toFixed(1)} s process wall` : ''}`,
    `mean parallelism ${(busySec / span).toFixed(2)} (container-seconds busy / span)`,
    `longest queue wait ${Math.max(...requests.map((r) => r.queueWaitSec)).toFixed(1)} s`,
  ];
}

function niceTicksInt(max: number): number[] {
  const step = max <= 6 ? 1 : max <= 12 ? 2 : max <= 30 ? 5 : 10;
  const out: number[] = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

/** A timeline from a seed-table JSON run. */
export function timelineFromSeedTable(data: SeedTableJson, sizeSec: number, run: number): TimelineInput {
  const size = data.sizes.find((s) => s.segmentSec === sizeSec);
  if (!size) throw new Error(`no size ${sizeSec} s in the results (sizes: ${data.sizes.map((s) => s.segmentSec).join(', ')})`);
  const r = size.runs.find((x) => x.run === run);
  if (!r) throw new Error(`no run ${run} for ${sizeSec} s (runs: ${size.runs.map((x) => x.run).join(', ') || 'none'})`);
  const sim = data.params;
  const cold = sim.coldStart.kind === 'lognormal' ? `cold start lognormal median ${sim.coldStart.medianSec} s σ ${sim.coldStart.sigma}` : `cold start ${sim.coldStart.kind}`;
  return {
    title: `One job's requests per container: ${sizeSec} s segments, run ${run}${data.quick ? ' (QUICK run)' : ''}`,
    subtitle: `${path.basename(data.audio.file)} (${(data.audio.durationSec / 60).toFixed(1)} min), ${r.segments} segments, all sent at once; simulated endpoint k = ${sim.k}, ${cold}, ${sim.rttSec} s per request + upload + RTF ${sim.rtf}; client ${r.clientSec.toFixed(1)} s outside the span`,
    requests: r.requests,
    processWallSec: r.wallSec,
  };
}

export function parseTimelineJson(json: unknown, fallbackTitle: string): TimelineInput {
  const doc = Array.isArray(json) ? { requests: json } : (json as { title?: unknown; subtitle?: unknown; requests?: unknown });
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.requests)) throw new Error('a --timeline-json file holds { "title"?, "requests": [...] } or an array of requests');
  const requests = doc.requests.map((raw: unknown, i: number): TimelineRequest => {
    const r = raw as Record<string, unknown>;
    const num = (key: string, fallback?: number): number => {
      const v = r[key];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (fallback !== undefined) return fallback;
      throw new Error(`request ${i}: ${key} must be a number`);
    };
    return {
      container: num('container', 0),
      cold: r.cold === true,
      coldStartSec: num('coldStartSec', 0),
      queueWaitSec: num('queueWaitSec', 0),
      overheadSec: num('overheadSec', 0),
      computeSec: num('computeSec', 0),
      audioSec: num('audioSec', 0),
      lateSec: num('lateSec', 0),
      arrivedAtSec: num('arrivedAtSec'),
      finishedAtSec: num('finishedAtSec'),
      ...(r.hedge === true ? { hedge: true } : {}),
      ...(r.cancelled === true ? { cancelled: true } : {}),
      ...(typeof r.segmentIndex === 'number' ? { segmentIndex: r.segmentIndex } : {}),
    };
  });
  const d = doc as { title?: unknown; subtitle?: unknown };
  return { title: typeof d.title === 'string' ? d.title : fallbackTitle, ...(typeof d.subtitle === 'string' ? { subtitle: d.subtitle } : {}), requests };
}

// ---------------------------------------------------------------------------------------------- main

function die(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_');

function main(): void {
  const { values } = parseArgs({
    options: {
      in: { type: 'string' },
      out: { type: 'string', default: path.join(REPO_ROOT, 'bench', 'plots') },
      extra: { type: 'string', multiple: true, default: [] },
      timeline: { type: 'string', multiple: true, default: [] },
      'timeline-json': { type: 'string', multiple: true, default: [] },
      'min-size': { type: 'string', default: '120' },
      'max-size': { type: 'string', default: '1800' },
      step: { type: 'string', default: '5' },
      split: { type: 'string', default: 'planner' },
      draws: { type: 'string', default: '2000' },
      'client-sec': { type: 'string' },
      'no-wall': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, ''));
    return;
  }
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) die(`--${flag} must be a positive number, got '${v}'`);
    return n;
  };
  if (values.split !== 'planner' && values.split !== 'even') die(`--split is planner or even, got '${values.split}'`);
  const split = values.split;
  const outDir = path.resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, svg: string) => {
    const file = path.join(outDir, name);
    writeFileSync(file, svg);
    written.push(path.relative(process.cwd(), file));
  };
  const readJson = (file: string): unknown => {
    if (!existsSync(file)) die(`${file} not found`);
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (error) {
      die(`${file}: ${(error as Error).message}`);
    }
  };

  const defaultIn = path.join(REPO_ROOT, 'bench', 'work', 'seed-table-results.json');
  const inFile = values.in ? path.resolve(values.in) : defaultIn;
  // Without --in, a missing default file is fine when there is a --timeline-json to draw instead.
  let data: SeedTableJson | undefined;
  if (existsSync(inFile)) {
    data = readJson(inFile) as SeedTableJson;
    if (data.format !== 'parascribe-seed-table/1') die(`${inFile} is not bench/seed-table.ts output (format '${String(data.format)}')`);
    if (!data.complete) console.error(`note: ${inFile} is from a run still going or cut short (complete: false)`);
  } else if (values.in || values['timeline-json'].length === 0) {
    die(`${inFile} not found: run bench/seed-table.ts first (it writes it), or pass --in`);
  } else {
    console.error(`note: ${path.relative(process.cwd(), inFile)} not found: drawing the --timeline-json files only`);
  }

  if (data && !values['no-wall']) {
    const extras = values.extra.map((spec) => {
      const eq = spec.indexOf('=');
      const [label, file] = eq > 0 && !existsSync(spec) ? [spec.slice(0, eq), spec.slice(eq + 1)] : [undefined, spec];
      try {
        return parseExtra(readJson(path.resolve(file)), label, path.basename(file, '.json'));
      } catch (error) {
        die(`--extra ${spec}: ${(error as Error).message}`);
      }
    });
    write(
      'wall-vs-segment.svg',
      wallVsSegmentSvg(data, extras, {
        minSec: num('min-size', values['min-size']),
        maxSec: num('max-size', values['max-size']),
        stepSec: num('step', values.step),
        split,
        draws: Math.round(num('draws', values.draws)),
        ...(values['client-sec'] ? { clientSec: num('client-sec', values['client-sec']) } : {}),
      }),
    );
  }

  if (data) {
    const specs = values.timeline.length ? values.timeline : ['first'];
    const picks: Array<[number, number]> = [];
    for (const spec of specs) {
      if (spec === 'none') continue;
      if (spec === 'first' || spec === 'all') {
        for (const s of data.sizes) for (const r of s.runs) if (spec === 'all' || r.run === Math.min(...s.runs.map((x) => x.run))) picks.push([s.segmentSec, r.run]);
        continue;
      }
      const m = /^(\d+(?:\.\d+)?):(\d+)$/.exec(spec);
      if (!m) die(`--timeline is SIZE:RUN (e.g. 300:1), all or none, got '${spec}'`);
      picks.push([Number(m[1]), Number(m[2])]);
    }
    for (const [size, run] of picks) {
      try {
        write(`timeline-${size}s-run${run}.svg`, timelineSvg(timelineFromSeedTable(data, size, run)));
      } catch (error) {
        die((error as Error).message);
      }
    }
  }
  for (const file of values['timeline-json']) {
    const name = path.basename(file).replace(/\.json$/i, '');
    try {
      write(`timeline-${safeName(name)}.svg`, timelineSvg(parseTimelineJson(readJson(path.resolve(file)), name)));
    } catch (error) {
      die(`--timeline-json ${file}: ${(error as Error).message}`);
    }
  }
  if (written.length === 0) die('nothing to draw');
  for (const file of written) console.log(`wrote ${file}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
