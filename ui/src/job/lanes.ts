/**
 * The timeline's geometry, from the segments' timings: each dispatched segment a bar from dispatch to
 * result on a lane (lanes per backend, a segment on the first lane free when it was dispatched: the
 * worker slots as they were used), and the parallelism k over time (segments in flight).
 */
import type { SegmentTiming } from '../types';

export type BarState = 'running' | 'completed' | 'cold' | 'retried' | 'hedged' | 'failed' | 'cancelled';

export interface Bar {
  index: number;
  lane: number;
  /** When it was planned (queued for a slot); null if unknown. */
  queued: number | null;
  from: number;
  to: number;
  state: BarState;
  first: boolean;
  segment: SegmentTiming;
}

export interface Lanes {
  bars: Bar[];
  lanes: Array<{ label: string; backend: string }>;
  /** Seconds since the job started that the axis spans. */
  spanSec: number;
  /** Steps of k: from each time on, this many segments were in flight. */
  k: Array<{ at: number; k: number }>;
  maxK: number;
  reused: SegmentTiming[];
  waiting: number;
}

const secOf = (iso: string | null, origin: number) => (iso ? (Date.parse(iso) - origin) / 1000 : null);

export function barState(s: SegmentTiming): BarState {
  if (s.status === 'failed') return 'failed';
  if (s.status === 'cancelled') return 'cancelled';
  if (s.status === 'running' || s.status === 'pending') return 'running';
  if (s.hedged) return 'hedged';
  if (s.attempts > 1) return 'retried';
  if (s.cold_start) return 'cold';
  return 'completed';
}

export function layoutLanes(segments: readonly SegmentTiming[], startedAt: string | null, nowMs: number): Lanes {
  const origin = startedAt ? Date.parse(startedAt) : nowMs;
  const nowSec = (nowMs - origin) / 1000;
  const dispatched = segments.filter((s) => s.dispatched_at && !s.reused).sort((a, b) => Date.parse(a.dispatched_at!) - Date.parse(b.dispatched_at!));
  const laneEnds = new Map<string, number[]>();
  const bars: Bar[] = [];
  for (const s of dispatched) {
    const from = secOf(s.dispatched_at, origin)!;
    const ended = secOf(s.completed_at, origin) ?? secOf(s.attempt_log.at(-1)?.ended_at ?? null, origin);
    const state = barState(s);
    const to = Math.max(from, state === 'running' ? nowSec : (ended ?? nowSec));
    const backend = s.backend ?? '?';
    const ends = laneEnds.get(backend) ?? [];
    let lane = ends.findIndex((end) => end <= from + 1e-3);
    if (lane < 0) lane = ends.push(to) - 1;
    else ends[lane] = to;
    laneEnds.set(backend, ends);
    const queued = secOf(s.queued_at, origin);
    bars.push({ index: s.index, lane, queued: queued !== null && queued < from ? Math.max(0, queued) : null, from, to, state, first: s.index === 0, segment: s });
  }
  // Lanes numbered across backends, in the order the backends were first used.
  const lanes: Lanes['lanes'] = [];
  const offset = new Map<string, number>();
  for (const [backend, ends] of laneEnds) {
    offset.set(backend, lanes.length);
    ends.forEach((_, i) => lanes.push({ backend, label: `${backend} ${i + 1}` }));
  }
  for (const bar of bars) bar.lane += offset.get(bar.segment.backend ?? '?')!;
  const events = bars.flatMap((b) => [
    { at: b.from, d: 1 },
    { at: b.to, d: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  const k: Lanes['k'] = [{ at: 0, k: 0 }];
  let inFlight = 0;
  let maxK = 0;
  for (const e of events) {
    inFlight += e.d;
    maxK = Math.max(maxK, inFlight);
    if (k.at(-1)!.at === e.at) k.at(-1)!.k = inFlight;
    else k.push({ at: e.at, k: inFlight });
  }
  const spanSec = Math.max(1, nowSec > 0 && bars.some((b) => b.state === 'running') ? nowSec : 0, ...bars.map((b) => b.to));
  return {
    bars,
    lanes,
    spanSec,
    k,
    maxK,
    reused: segments.filter((s) => s.reused),
    waiting: segments.filter((s) => !s.dispatched_at && !s.reused && s.status === 'pending').length,
  };
}
