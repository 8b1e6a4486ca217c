/**
 * The segment timeline: one lane per worker slot (per backend), each segment a bar from dispatch to
 * result coloured by state, the fast-first-words segment marked, the parallelism k over time beneath.
 * Clicking a bar plays that segment's audio. Each bar has a text title; a table (the attempt log)
 * carries the same data for screen readers.
 */
import { useEffect, useState } from 'preact/hooks';
import { clock, seconds } from '../format';
import { layoutLanes, type Bar } from '../job/lanes';
import type { PlayerBus } from '../job/player-bus';
import type { SegmentList } from '../types';

const LANE_PX = 16;
const LEGEND: Array<[string, string]> = [
  ['queued', 'queued (waiting for a slot)'],
  ['running', 'running'],
  ['completed', 'done'],
  ['cold', 'cold start'],
  ['retried', 'retried'],
  ['hedged', 'hedged'],
  ['failed', 'failed'],
  ['reused', 'reused (cache)'],
  ['first', 'first words'],
];

function describe(bar: Bar): string {
  const s = bar.segment;
  const parts = [`Segment ${s.index + 1} (${clock(s.start_sec)}–${clock(s.end_sec)})`, `${bar.state} on ${s.backend ?? '?'}`, `${seconds(bar.to - bar.from)} from dispatch`];
  if (bar.queued !== null) parts.push(`queued ${seconds(bar.from - bar.queued)} before`);
  if (s.compute_sec !== null) parts.push(`${seconds(s.compute_sec)} compute`);
  if (s.attempts > 1) parts.push(`${s.attempts} attempts`);
  if (bar.first) parts.push('first words');
  return parts.join(', ');
}

export function Timeline(props: { timings: SegmentList | null; live: boolean; bus: PlayerBus }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!props.live) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [props.live]);
  if (!props.timings || props.timings.data.length === 0) {
    return (
      <section class="timeline" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Segments</h2>
        <p class="muted">No segments yet.</p>
      </section>
    );
  }
  const layout = layoutLanes(props.timings.data, props.timings.started_at, props.live ? now : Date.parse(props.timings.data.map((s) => s.completed_at ?? '').sort().at(-1) || '') || now);
  const pct = (sec: number) => `${((sec / layout.spanSec) * 100).toFixed(3)}%`;
  const kPath = layout.k.length > 1
    ? `M0,100 ${layout.k.map((step, i) => {
        const x = (step.at / layout.spanSec) * 1000;
        const nextX = i + 1 < layout.k.length ? (layout.k[i + 1]!.at / layout.spanSec) * 1000 : 1000;
        const y = 100 - (step.k / Math.max(1, layout.maxK)) * 95;
        return `L${x.toFixed(1)},${y.toFixed(1)} L${nextX.toFixed(1)},${y.toFixed(1)}`;
      }).join(' ')} L1000,100 Z`
    : '';
  const done = props.timings.data.filter((s) => s.status === 'completed' || s.status === 'reused').length;
  return (
    <section class="timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Segments</h2>
      <p class="small" role="status">
        {done} of {props.timings.data.length} segments done
        {layout.waiting > 0 ? `, ${layout.waiting} waiting` : ''}
        {layout.reused.length > 0 ? `, ${layout.reused.length} reused from the cache` : ''} · peak k = {layout.maxK} · wall axis 0–{seconds(layout.spanSec)}
      </p>
      <ul class="legend" aria-label="Legend">
        {LEGEND.map(([cls, label]) => (
          <li key={cls}>
            <span class={`swatch ${cls}`} aria-hidden="true" /> {label}
          </li>
        ))}
      </ul>
      <div class="lanes">
        {layout.lanes.map((lane, i) => (
          <div class="lane" key={lane.label}>
            <span class="lane-label small">{lane.label}</span>
            <svg class="lane-track" height={LANE_PX} role="img" aria-label={`Lane ${lane.label}`}>
              {layout.bars
                .filter((b) => b.lane === i && b.queued !== null && b.from - b.queued! > layout.spanSec * 0.002)
                .map((b) => (
                  <rect key={`q${b.index}`} class="wait" x={pct(b.queued!)} width={pct(b.from - b.queued!)} y={LANE_PX / 2 - 1} height={2} />
                ))}
              {layout.bars
                .filter((b) => b.lane === i)
                .map((b) => (
                  <rect
                    key={b.index}
                    class={`bar ${b.state}${b.first ? ' first' : ''}`}
                    data-index={b.index}
                    x={pct(b.from)}
                    width={pct(Math.max(b.to - b.from, layout.spanSec * 0.004))}
                    y={1}
                    height={LANE_PX - 2}
                    rx={2}
                    onClick={() => props.bus.seek(b.segment.start_sec, true)}
                  >
                    <title>{describe(b)}</title>
                  </rect>
                ))}
            </svg>
          </div>
        ))}
        {layout.reused.length > 0 && (
          <div class="lane">
            <span class="lane-label small">cache</span>
            <svg class="lane-track" height={LANE_PX} role="img" aria-label="Segments reused from the cache">
              {layout.reused.map((s) => (
                <rect key={s.index} class="bar reused" data-index={s.index} x="0%" width="0.8%" y={1} height={LANE_PX - 2}>
                  <title>{`Segment ${s.index + 1} (${clock(s.start_sec)}–${clock(s.end_sec)}) reused from an earlier job`}</title>
                </rect>
              ))}
            </svg>
          </div>
        )}
        <div class="lane k-lane">
          <span class="lane-label small">k (max {layout.maxK})</span>
          <svg class="k-track" viewBox="0 0 1000 100" preserveAspectRatio="none" role="img" aria-label={`Segments in flight over time, at most ${layout.maxK}`}>
            <path d={kPath} class="k-area" />
          </svg>
        </div>
      </div>
    </section>
  );
}
