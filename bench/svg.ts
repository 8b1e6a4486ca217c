/**
 * Just enough SVG for the benchmark plots (bench/plot.ts), written by hand so the benchmarks need no
 * plotting dependency: escaping, linear scales with "nice" ticks, axes, shapes, markers and a legend.
 * Every function returns an SVG fragment as a string; `SvgDoc` collects them. Coordinates are in
 * pixels, y down; numbers are rounded to 0.01 px to keep the files small and diff-friendly.
 */

/** Escapes text for an SVG/XML text node or attribute value. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A pixel coordinate, rounded to 0.01 (no "-0", no trailing zeros). */
export function px(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

export type Attrs = Record<string, string | number | undefined>;

/** SVG attributes that are camelCase in SVG itself (all others are kebab-case presentation attributes). */
const CAMEL_CASE_ATTRS = new Set(['viewBox', 'patternUnits', 'patternContentUnits', 'patternTransform', 'gradientUnits', 'gradientTransform', 'preserveAspectRatio', 'textLength', 'lengthAdjust', 'markerWidth', 'markerHeight', 'markerUnits', 'refX', 'refY', 'clipPathUnits', 'stdDeviation']);

/** ` key="value"` for each attribute that is set; camelCase keys become kebab-case (strokeWidth → stroke-width) unless SVG spells them in camelCase (viewBox). */
export function attrs(a: Attrs = {}): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => ` ${CAMEL_CASE_ATTRS.has(k) ? k : k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${esc(typeof v === 'number' ? px(v) : v!)}"`)
    .join('');
}

/** "Nice" tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  if (min > max) [min, max] = [max, min];
  const step = niceStep((max - min) / Math.max(1, count));
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks.map((t) => Number(t.toPrecision(12)));
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** [min, max] widened outward to whole tick steps, so the axis ends on a labelled tick. */
export function niceDomain(min: number, max: number, count = 6): [number, number] {
  if (min === max) return [min - 1, max + 1];
  const step = niceStep((max - min) / Math.max(1, count));
  return [Math.floor(min / step + 1e-9) * step, Math.ceil(max / step - 1e-9) * step];
}

export interface Scale {
  (value: number): number;
  domain: [number, number];
  range: [number, number];
  ticks(count?: number): number[];
}

/** Maps `domain` linearly onto `range` (pixels; for y pass [bottom, top]). */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const scale = ((value: number) => r0 + (value - d0) * k) as Scale;
  scale.domain = domain;
  scale.range = range;
  scale.ticks = (count = 6) => niceTicks(d0, d1, count);
  return scale;
}

/** Maps `domain` (both > 0) logarithmically onto `range`; `ticks` gives 1-2-5 steps per decade (pass your own for a sparse axis). */
export function logScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (!(d0 > 0 && d1 > 0)) throw new RangeError(`log scale needs a positive domain, got ${d0}..${d1}`);
  const k = d1 === d0 ? 0 : (r1 - r0) / Math.log(d1 / d0);
  const scale = ((value: number) => r0 + Math.log(value / d0) * k) as Scale;
  scale.domain = domain;
  scale.range = range;
  scale.ticks = () => {
    const out: number[] = [];
    for (let p = Math.floor(Math.log10(Math.min(d0, d1))); 10 ** p <= Math.max(d0, d1); p++) {
      for (const m of [1, 2, 5]) {
        const v = Number((m * 10 ** p).toPrecision(12));
        if (v >= Math.min(d0, d1) && v <= Math.max(d0, d1)) out.push(v);
      }
    }
    return out;
  };
  return scale;
}

/** Tick label: integers as they are, others with up to 2 decimals, trailing zeros dropped. */
export function formatTick(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(2)));
}

/** A rough width of `text` in a sans-serif font of `size` px (for layout: legends, fitting labels). */
export function textWidth(text: string, size: number): number {
  let units = 0;
  for (const ch of text) units += /[il.,:;'|!()[\] ]/.test(ch) ? 0.32 : /[mwMW—]/.test(ch) ? 0.9 : /[A-Z0-9–]/.test(ch) ? 0.66 : 0.56;
  return units * size;
}

/** Splits `content` at spaces into lines no wider than `maxWidth` (by textWidth); a longer word gets a line of its own. */
export function wrapText(content: string, maxWidth: number, size: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of content.split(/ +/)) {
    const next = current ? `${current} ${word}` : word;
    if (current && textWidth(next, size) > maxWidth) {
      lines.push(current);
      current = word;
    } else current = next;
  }
  if (current) lines.push(current);
  return lines;
}

export const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';

export function text(x: number, y: number, content: string, a: Attrs = {}): string {
  return `<text${attrs({ x, y, fontFamily: FONT, fontSize: 12, fill: '#222', ...a })}>${esc(content)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, a: Attrs = {}): string {
  return `<line${attrs({ x1, y1, x2, y2, stroke: '#222', ...a })}/>`;
}

export function rect(x: number, y: number, width: number, height: number, a: Attrs = {}): string {
  return `<rect${attrs({ x, y, width: Math.max(0, width), height: Math.max(0, height), ...a })}/>`;
}

export function circle(cx: number, cy: number, r: number, a: Attrs = {}): string {
  return `<circle${attrs({ cx, cy, r, ...a })}/>`;
}

export function pointsAttr(points: ReadonlyArray<readonly [number, number]>): string {
  return points.map(([x, y]) => `${px(x)},${px(y)}`).join(' ');
}

export function polyline(points: ReadonlyArray<readonly [number, number]>, a: Attrs = {}): string {
  return `<polyline${attrs({ points: pointsAttr(points), fill: 'none', stroke: '#222', ...a })}/>`;
}

export function polygon(points: ReadonlyArray<readonly [number, number]>, a: Attrs = {}): string {
  return `<polygon${attrs({ points: pointsAttr(points), ...a })}/>`;
}

/** A band between two curves sampled at the same xs: `upper` left to right, then `lower` back. */
export function band(upper: ReadonlyArray<readonly [number, number]>, lower: ReadonlyArray<readonly [number, number]>, a: Attrs = {}): string {
  return polygon([...upper, ...[...lower].reverse()], a);
}

/** `<title>` tooltips: a fragment wrapped in a group with a hover text. */
export function titled(fragment: string, tooltip: string): string {
  return `<g><title>${esc(tooltip)}</title>${fragment}</g>`;
}

export type MarkerShape = 'circle' | 'square' | 'diamond' | 'triangle' | 'cross';

/** A point marker of about `size` px across. */
export function marker(shape: MarkerShape, x: number, y: number, size: number, a: Attrs = {}): string {
  const h = size / 2;
  switch (shape) {
    case 'circle':
      return circle(x, y, h, a);
    case 'square':
      return rect(x - h * 0.9, y - h * 0.9, h * 1.8, h * 1.8, a);
    case 'diamond':
      return polygon([[x, y - h * 1.2], [x + h * 1.2, y], [x, y + h * 1.2], [x - h * 1.2, y]], a);
    case 'triangle':
      return polygon([[x, y - h * 1.2], [x + h * 1.1, y + h * 0.8], [x - h * 1.1, y + h * 0.8]], a);
    case 'cross': {
      const { fill, stroke, ...rest } = a;
      const color = stroke ?? fill ?? '#222';
      return `<path${attrs({ d: `M${px(x - h)},${px(y - h)}L${px(x + h)},${px(y + h)}M${px(x - h)},${px(y + h)}L${px(x + h)},${px(y - h)}`, stroke: color, strokeWidth: 2, fill: 'none', ...rest })}/>`;
    }
  }
}

export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface AxesOptions {
  x: Scale;
  y: Scale;
  area: PlotArea;
  xLabel?: string;
  yLabel?: string;
  xTicks?: number[];
  yTicks?: number[];
  /** Light grid lines at the ticks (default true). */
  grid?: boolean;
  format?: (value: number) => string;
  fontSize?: number;
}

/** A frame, ticks, tick labels, grid lines and axis labels for a plot area. */
export function axes(o: AxesOptions): string {
  const { area, x, y } = o;
  const fs = o.fontSize ?? 12;
  const format = o.format ?? formatTick;
  const bottom = area.top + area.height;
  const right = area.left + area.width;
  const out: string[] = [];
  const xTicks = (o.xTicks ?? x.ticks()).filter((t) => t >= Math.min(...x.domain) - 1e-9 && t <= Math.max(...x.domain) + 1e-9);
  const yTicks = (o.yTicks ?? y.ticks()).filter((t) => t >= Math.min(...y.domain) - 1e-9 && t <= Math.max(...y.domain) + 1e-9);
  for (const t of xTicks) {
    const X = x(t);
    if (o.grid !== false) out.push(line(X, area.top, X, bottom, { stroke: '#e4e4e4', strokeWidth: 1 }));
    out.push(line(X, bottom, X, bottom + 5, { stroke: '#444' }));
    out.push(text(X, bottom + 7 + fs, format(t), { textAnchor: 'middle', fontSize: fs, fill: '#444' }));
  }
  for (const t of yTicks) {
    const Y = y(t);
    if (o.grid !== false) out.push(line(area.left, Y, right, Y, { stroke: '#e4e4e4', strokeWidth: 1 }));
    out.push(line(area.left - 5, Y, area.left, Y, { stroke: '#444' }));
    out.push(text(area.left - 8, Y + fs * 0.35, format(t), { textAnchor: 'end', fontSize: fs, fill: '#444' }));
  }
  out.push(rect(area.left, area.top, area.width, area.height, { fill: 'none', stroke: '#444', strokeWidth: 1 }));
  if (o.xLabel) out.push(text(area.left + area.width / 2, bottom + 14 + fs * 2, o.xLabel, { textAnchor: 'middle', fontSize: fs + 1 }));
  if (o.yLabel) {
    const widest = Math.max(0, ...yTicks.map((t) => textWidth(format(t), fs)));
    const X = area.left - 16 - widest;
    const Y = area.top + area.height / 2;
    out.push(text(X, Y, o.yLabel, { textAnchor: 'middle', fontSize: fs + 1, transform: `rotate(-90 ${px(X)} ${px(Y)})` }));
  }
  return out.join('\n');
}

export interface LegendItem {
  label: string;
  /** How the swatch looks: a line (optionally dashed), a filled box, a band, or a marker. */
  kind: 'line' | 'box' | 'marker';
  color: string;
  shape?: MarkerShape;
  dash?: string;
  /** Fill opacity of a box (a band), 1 if unset. */
  opacity?: number;
  /** Swatch stroke (for boxes), none if unset. */
  stroke?: string;
  /** A pattern id (e.g. 'url(#hatch)') drawn over a box. */
  pattern?: string;
  /** Marker size in px (default 9). */
  size?: number;
}

export interface LegendOptions {
  fontSize?: number;
  /** Lay items out in a row (wrapping at maxWidth) instead of a column. */
  horizontal?: boolean;
  maxWidth?: number;
  /** Draw a white box behind it (for a legend inside a plot area). */
  box?: boolean;
}

const SWATCH = 22;

/** The size a legend will take (so callers can place it before drawing). */
export function legendSize(items: readonly LegendItem[], o: LegendOptions = {}): { width: number; height: number } {
  return layoutLegend(items, o).size;
}

function layoutLegend(items: readonly LegendItem[], o: LegendOptions): { positions: Array<[number, number]>; size: { width: number; height: number } } {
  const fs = o.fontSize ?? 12;
  const rowH = fs + 8;
  const widths = items.map((i) => SWATCH + 6 + textWidth(i.label, fs));
  const positions: Array<[number, number]> = [];
  if (!o.horizontal) {
    items.forEach((_, i) => positions.push([0, i * rowH]));
    return { positions, size: { width: Math.max(0, ...widths), height: items.length * rowH } };
  }
  const maxWidth = o.maxWidth ?? Infinity;
  let x = 0;
  let y = 0;
  let width = 0;
  widths.forEach((w) => {
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      y += rowH;
    }
    positions.push([x, y]);
    width = Math.max(width, x + w);
    x += w + 18;
  });
  return { positions, size: { width, height: items.length ? y + rowH : 0 } };
}

/** A legend with its top-left corner at (x, y). */
export function legend(x: number, y: number, items: readonly LegendItem[], o: LegendOptions = {}): string {
  const fs = o.fontSize ?? 12;
  const { positions, size } = layoutLegend(items, o);
  const out: string[] = [];
  if (o.box) out.push(rect(x - 8, y - 6, size.width + 16, size.height + 8, { fill: '#fff', fillOpacity: 0.9, stroke: '#bbb', rx: 3 }));
  items.forEach((item, i) => {
    const [dx, dy] = positions[i]!;
    const X = x + dx;
    const cy = y + dy + fs / 2 + 1;
    if (item.kind === 'line') out.push(line(X, cy, X + SWATCH, cy, { stroke: item.color, strokeWidth: 2.5, strokeDasharray: item.dash }));
    else if (item.kind === 'box') {
      out.push(rect(X, cy - fs / 2, SWATCH, fs, { fill: item.color, fillOpacity: item.opacity, stroke: item.stroke, strokeDasharray: item.dash }));
      if (item.pattern) out.push(rect(X, cy - fs / 2, SWATCH, fs, { fill: item.pattern }));
    } else out.push(marker(item.shape ?? 'circle', X + SWATCH / 2, cy, item.size ?? 9, { fill: item.color, stroke: '#fff', strokeWidth: 0.8 }));
    out.push(text(X + SWATCH + 6, cy + fs * 0.35, item.label, { fontSize: fs }));
  });
  return out.join('\n');
}

/** Diagonal hatching as a pattern (use as fill: `url(#id)`). */
export function hatchPattern(id: string, color: string, spacing = 6, strokeWidth = 1.5): string {
  return `<pattern${attrs({ id, patternUnits: 'userSpaceOnUse', width: spacing, height: spacing, patternTransform: 'rotate(45)' })}>${line(0, 0, 0, spacing, { stroke: color, strokeWidth })}</pattern>`;
}

/** An SVG document: add fragments, then `toString()`. */
export class SvgDoc {
  readonly #defs: string[] = [];
  readonly #body: string[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
    readonly title?: string,
  ) {}

  def(fragment: string): this {
    this.#defs.push(fragment);
    return this;
  }

  add(...fragments: string[]): this {
    this.#body.push(...fragments.filter((f) => f !== ''));
    return this;
  }

  toString(): string {
    return [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<svg xmlns="http://www.w3.org/2000/svg"${attrs({ width: this.width, height: this.height, viewBox: `0 0 ${px(this.width)} ${px(this.height)}` })}>`,
      ...(this.title ? [`<title>${esc(this.title)}</title>`] : []),
      ...(this.#defs.length ? [`<defs>${this.#defs.join('')}</defs>`] : []),
      rect(0, 0, this.width, this.height, { fill: '#fff' }),
      ...this.#body,
      '</svg>',
      '',
    ].join('\n');
  }
}
